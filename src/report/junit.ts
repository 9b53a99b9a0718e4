import {
  chainName,
  type AuditSink,
  type AuditSummary,
  type ChainRef,
  type ChainSummary,
  type DigestRecord,
  type Finding,
  type GapRecord,
  type Severity,
} from '../audit/types.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import { findingWindow } from './hours.js';
import type { ReportOutput } from './output.js';
import { clip, xmlAttr, xmlText } from './xml.js';

/**
 * `--junit FILE`: JUnit XML for CI dashboards (GitLab, Jenkins, GitHub test reporters). One
 * <testsuite> per chain; its test cases are days: `2024-05-01` passes when the day has valid
 * hours, and `2024-05-01 <code>` fails (<failure type="<code>">) for each finding code of that day,
 * naming the hours and the first messages. Aggregated per day so that an organization-year stays
 * far under GitLab's 30 MB: once FULL_BUDGET bytes are written, each further chain gets one test
 * case per finding code (its days listed) and one for its valid days. Written as chains finish:
 * memory holds the days of the chains started and not ended (one; the chains of a log folder
 * several trails share wait for the folder's findings, which can be any of theirs: run.ts).
 */
export const JUNIT_FULL_BUDGET = 20 * 1024 * 1024;
const MESSAGES_PER_CASE = 3;
const MESSAGE_CHARS = 400;
const DAY = 24 * MICROS_PER_HOUR;

interface CodeDay {
  severity: Severity;
  count: number;
  hours: number; // bit i: hour i of the day (UTC)
  messages: string[];
}

interface Day {
  valid: number; // bit i: hour i has a valid digest
  codes: Map<string, CodeDay>;
}

/** A chain's test cases being gathered. */
interface Open {
  readonly days: Map<number, Day>;
  readonly undated: Map<string, CodeDay>;
}

export interface JunitOptions {
  /** The root's name, e.g. `trailproof audit s3://bucket`. */
  readonly name: string;
  /** Findings at or above this severity are failures; below it they pass with their message (pending: skipped). */
  readonly failOn: 'error' | 'warning' | 'never';
  /** Bytes written in full (a test case per day) before the rest goes one per finding code (default JUNIT_FULL_BUDGET). */
  readonly fullBudget?: number;
}

export class JunitReport implements AuditSink {
  private written = 0;
  /** By chain label (chainName): one chain's, or those of a shared log folder. */
  private readonly open = new Map<string, Open>();
  private last: [ChainRef, Open] | null = null;
  private outside: Finding[] = [];

  constructor(
    private readonly out: ReportOutput,
    private readonly o: JunitOptions,
  ) {}

  private write(text: string): void {
    this.written += Buffer.byteLength(text);
    this.out.write(text);
  }

  header(): void {
    this.write(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlAttr(this.o.name)}">\n`);
  }

  chainStart(chain: ChainRef): void {
    this.open.set(chainName(chain), { days: new Map(), undated: new Map() });
    this.last = null;
  }

  event(): void {}

  record(chain: ChainRef, r: DigestRecord | GapRecord): void {
    if (r.kind !== 'digest' || !r.valid || r.backfill || r.logs.invalid > 0 || r.from === null || r.to === null) return;
    const o = this.of(chain);
    for (let h = r.from - (r.from % MICROS_PER_HOUR); h < r.to; h += MICROS_PER_HOUR) day(o, h).valid |= 1 << hourOf(h);
  }

  finding(f: Finding): void {
    if (f.chain === null) {
      this.outside.push(f);
      return;
    }
    const w = findingWindow(f);
    const o = this.of(f.chain);
    const slot = w === null ? o.undated : day(o, w.from).codes;
    let c = slot.get(f.code);
    if (!c) slot.set(f.code, (c = { severity: f.severity, count: 0, hours: 0, messages: [] }));
    c.count++;
    if (w) for (let h = w.from - (w.from % MICROS_PER_HOUR); h < w.to && h < dayOf(w.from) + DAY; h += MICROS_PER_HOUR) c.hours |= 1 << hourOf(h);
    if (c.messages.length < MESSAGES_PER_CASE) c.messages.push(clip(f.message, MESSAGE_CHARS));
  }

  chainEnd(s: ChainSummary): void {
    const cases: string[] = [];
    const counts = { failures: 0, errors: 0, skipped: 0 };
    // The chain's one label as suite name and classname: a test case is (classname, name), unique per chain and day.
    const cls = chainName(s.chain);
    const o = this.of(s.chain);
    this.open.delete(cls);
    this.last = null;
    const days = [...o.days.entries()].sort(([a], [b]) => a - b);
    const full = this.written < (this.o.fullBudget ?? JUNIT_FULL_BUDGET);
    if (full) {
      for (const [day, d] of days) {
        const date = formatDisplay(day).slice(0, 10);
        if (d.valid !== 0) cases.push(testcase(cls, date, `<system-out>${bits(d.valid)} valid hour(s): ${hourList(d.valid)}</system-out>`));
        for (const [code, c] of d.codes) cases.push(this.codeCase(cls, `${date} ${code}`, code, c, `hours (UTC) ${hourList(c.hours)}`, counts));
      }
    } else {
      const validDays = days.filter(([, d]) => d.valid !== 0).length;
      if (validDays > 0) cases.push(testcase(cls, 'valid days', `<system-out>${validDays} day(s) with valid hours</system-out>`));
      const byCode = new Map<string, { c: CodeDay; days: string[] }>();
      for (const [day, d] of days) {
        for (const [code, c] of d.codes) {
          const g = byCode.get(code) ?? { c: { severity: c.severity, count: 0, hours: 0, messages: [] }, days: [] };
          g.c.count += c.count;
          if (g.c.messages.length < MESSAGES_PER_CASE) g.c.messages.push(...c.messages.slice(0, MESSAGES_PER_CASE - g.c.messages.length));
          if (g.days.length < 31) g.days.push(formatDisplay(day).slice(0, 10));
          byCode.set(code, g);
        }
      }
      for (const [code, g] of byCode)
        cases.push(this.codeCase(cls, code, code, g.c, `days ${g.days.join(', ')}${g.days.length === 31 ? ', ...' : ''}`, counts));
    }
    for (const [code, c] of o.undated) cases.push(this.codeCase(cls, code, code, c, 'the whole range', counts));
    if (s.fatal !== null) {
      counts.errors++;
      cases.push(testcase(cls, 'run', `<error type="stopped" message="${xmlAttr(clip(s.fatal, MESSAGE_CHARS))}"/>`));
    }
    this.suite(cls, cases, counts, s.chain);
  }

  summary(s: AuditSummary): void {
    if (this.outside.length > 0 || (s.fatal !== null && s.chains === 0)) {
      const counts = { failures: 0, errors: 0, skipped: 0 };
      const byCode = new Map<string, CodeDay>();
      for (const f of this.outside) {
        const c = byCode.get(f.code) ?? { severity: f.severity, count: 0, hours: 0, messages: [] };
        c.count += f.count;
        if (c.messages.length < MESSAGES_PER_CASE) c.messages.push(clip(f.message, MESSAGE_CHARS));
        byCode.set(f.code, c);
      }
      const cases = [...byCode].map(([code, c]) => this.codeCase('trailproof.bucket', code, code, c, `in s3://${s.bucket}`, counts));
      if (s.fatal !== null && s.chains === 0) {
        counts.errors++;
        cases.push(testcase('trailproof.bucket', 'run', `<error type="stopped" message="${xmlAttr(clip(s.fatal, MESSAGE_CHARS))}"/>`));
      }
      this.suite(`s3://${s.bucket} (outside any chain)`, cases, counts, null);
    }
    this.write('</testsuites>\n');
  }

  private codeCase(cls: string, name: string, code: string, c: CodeDay, where: string, counts: { failures: number; skipped: number }): string {
    const body = xmlText(`${c.count} finding(s), ${where}\n${c.messages.join('\n')}${c.count > c.messages.length ? '\n...' : ''}`);
    const message = xmlAttr(c.messages[0] ?? code);
    if (failing(c.severity, this.o.failOn)) {
      counts.failures++;
      return testcase(cls, name, `<failure type="${xmlAttr(code)}" message="${message}">${body}</failure>`);
    }
    if (code === 'pending') {
      counts.skipped++;
      return testcase(cls, name, `<skipped message="${message}"/>`);
    }
    return testcase(cls, name, `<system-out>${xmlText(`${c.severity.toUpperCase()} ${code}: `)}${body}</system-out>`);
  }

  private suite(name: string, cases: string[], counts: { failures: number; errors: number; skipped: number }, chain: ChainRef | null): void {
    const props = chain
      ? `<properties>${(['account', 'region', 'trail', 'homeRegion', 'organizationId', 'prefix'] as const)
          .filter((k) => chain[k] !== null)
          .map((k) => `<property name="${k}" value="${xmlAttr(chain[k]!)}"/>`)
          .join('')}</properties>\n`
      : '';
    this.write(
      `<testsuite name="${xmlAttr(name)}" tests="${cases.length}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="0">\n${props}${cases.join('')}</testsuite>\n`,
    );
  }

  /** The chain's test cases being gathered; the last one asked for is remembered (a record per hour). */
  private of(chain: ChainRef): Open {
    if (this.last?.[0] === chain) return this.last[1];
    const name = chainName(chain);
    let o = this.open.get(name);
    if (!o) this.open.set(name, (o = { days: new Map(), undated: new Map() }));
    this.last = [chain, o];
    return o;
  }
}

function day(o: Open, t: number): Day {
  const key = dayOf(t);
  let d = o.days.get(key);
  if (!d) o.days.set(key, (d = { valid: 0, codes: new Map() }));
  return d;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export function failing(severity: Severity, failOn: 'error' | 'warning' | 'never'): boolean {
  return failOn !== 'never' && SEVERITY_RANK[severity] >= SEVERITY_RANK[failOn];
}

function testcase(cls: string, name: string, inner: string): string {
  return `<testcase classname="${xmlAttr(cls)}" name="${xmlAttr(name)}" time="0">${inner}</testcase>\n`;
}

function dayOf(t: number): number {
  return t - (((t % DAY) + DAY) % DAY);
}

function hourOf(t: number): number {
  return Math.floor((t - dayOf(t)) / MICROS_PER_HOUR);
}

function bits(mask: number): number {
  let n = 0;
  for (let m = mask; m !== 0; m &= m - 1) n++;
  return n;
}

/** `00-05, 07, 10-23` (hours of the day, UTC). */
function hourList(mask: number): string {
  const parts: string[] = [];
  for (let h = 0; h < 24; h++) {
    if (!(mask & (1 << h))) continue;
    let e = h;
    while (e + 1 < 24 && mask & (1 << (e + 1))) e++;
    const p = (n: number) => String(n).padStart(2, '0');
    parts.push(e === h ? p(h) : `${p(h)}-${p(e)}`);
    h = e;
  }
  return parts.join(', ');
}

import {
  chainName,
  type AuditSink,
  type AuditSummary,
  type ChainRef,
  type ChainSummary,
  type DigestRecord,
  type Finding,
  type GapRecord,
} from '../audit/types.js';
import { formatDisplay, formatStamp, formatYmdPath, MICROS_PER_HOUR, MICROS_PER_SECOND } from '../format/time.js';
import { findingState, findingWindow, hourSpan, recordState, stampOf, STATE, type HourState } from './hours.js';
import { pageEnd, pageStart } from './html-page.js';
import type { ReportOutput } from './output.js';
import { clip, scriptJson } from './xml.js';

/**
 * `--html FILE`: one self-contained page (no network, no external file: html-page.ts) with a
 * timeline of every chain, one cell per hour (or day). Streamed: the head first, then each chain
 * as it ends, as one JSON block: typed arrays (base64) of its hour states, log counts, digest key
 * stamps and key fingerprints (a year of a chain is 8,760 hours: ~60 KB), plus details only for
 * hours that are not valid, within a byte budget. The page draws them on a canvas. A chain's row is
 * kept from its chainStart to its chainEnd: one at a time, or the chains of a log folder that
 * several trails share, whose findings come once the folder's last chain is walked (run.ts).
 */
export const DETAILS_PER_CHAIN = 2000;
export const DETAIL_BUDGET = 8 * 1024 * 1024;
const NO_STAMP = 0xffff;
const NO_KEY = 0xff;

export interface HtmlOptions {
  readonly title: string;
  /** `trailproof audit` / `trailproof validate-logs`, for the page's heading. */
  readonly command: string;
  readonly failOn: 'error' | 'warning' | 'never';
}

interface Detail {
  h: number;
  e: number;
  c: string;
  v: string;
  m: string;
  s?: string | null;
  k?: string;
  w?: string;
  fp?: string | null;
  r?: string | null;
  l?: Array<[string, string]>;
  n?: [number, number];
}

/** One chain's row of the timeline, from its chainStart to its chainEnd. */
class Row {
  readonly states: Uint8Array;
  readonly logs: Uint16Array;
  readonly stamps: Uint16Array;
  readonly keyIndex: Uint8Array;
  readonly fingerprints: string[] = [];
  /** A valid digest's key is template[0] + YYYY/MM/DD/ + template[1] + stamp + .json.gz. */
  template: [string, string] | null = null;
  readonly details: Detail[] = [];
  dropped = 0;
  readonly invalidLogHour = new Map<string, number>();

  constructor(hours: number) {
    this.states = new Uint8Array(hours);
    this.logs = new Uint16Array(hours);
    this.stamps = new Uint16Array(hours).fill(NO_STAMP);
    this.keyIndex = new Uint8Array(hours).fill(NO_KEY);
  }

  mark(first: number, last: number, state: HourState): void {
    const v = STATE[state];
    for (let h = first; h < last; h++) if (this.states[h]! < v) this.states[h] = v;
  }
}

export class HtmlReport implements AuditSink {
  private origin = 0;
  private hours = 0;
  private detailBytes = 0;
  private droppedDetails = 0;
  /** By chain label (chainName). */
  private readonly rows = new Map<string, Row>();
  private last: [ChainRef, Row] | null = null;
  private readonly outside: Finding[] = [];

  constructor(
    private readonly out: ReportOutput,
    private readonly o: HtmlOptions,
  ) {}

  header(bucket: string, prefix: string | undefined, start: number, end: number): void {
    this.origin = start - (start % MICROS_PER_HOUR);
    this.hours = Math.max(1, Math.ceil((end - this.origin) / MICROS_PER_HOUR));
    const meta = {
      command: this.o.command,
      bucket,
      prefix: prefix ?? null,
      start: formatDisplay(start),
      end: formatDisplay(end),
      origin: this.origin / 1000,
      hours: this.hours,
    };
    this.out.write(pageStart(this.o.title, scriptJson(meta)));
  }

  chainStart(chain: ChainRef): void {
    this.rows.set(chainName(chain), new Row(this.hours));
    this.last = null;
  }

  event(): void {}

  record(chain: ChainRef, r: DigestRecord | GapRecord): void {
    const row = this.row(chain);
    if (r.from === null || r.to === null) {
      if (r.kind === 'digest')
        this.detail(row, { h: 0, e: 0, c: 'digest', v: 'error', m: `digest s3://${r.bucket}/${r.key}: ${r.reason ?? ''}`, k: r.key, r: r.reason });
      return;
    }
    const [first, last] = hourSpan(this.origin, this.hours, r.from, r.to);
    const state = recordState(r);
    row.mark(first, last, state);
    if (r.kind === 'gap') return;
    const window = `${formatDisplay(r.from)} to ${formatDisplay(r.to)}`;
    for (const l of r.invalidLogs) row.invalidLogHour.set(l.key, first);
    if (first < last && r.valid) row.logs[first] = Math.min(0xffff, row.logs[first]! + r.logs.valid + r.logs.invalid);
    // A valid digest lives in the typed arrays; a digest that is not found is the missing-digest finding's detail.
    if ((state === 'valid' && this.keep(row, r, first, last)) || r.reason === 'not found') return;
    this.detail(row, {
      h: first,
      e: last,
      c: r.backfill ? 'backfill digest' : 'digest',
      v: state === 'backfill' ? '' : 'error',
      m: r.valid ? (r.logs.invalid > 0 ? `${r.logs.invalid} of its logs INVALID` : 'valid') : `INVALID: ${r.reason ?? ''}`,
      s: `s3://${r.bucket}/${r.key}`,
      k: r.key,
      w: window,
      fp: r.fingerprint,
      r: r.reason,
      l: r.invalidLogs.map((l) => [l.key, l.reason]),
      n: [r.logs.valid, r.logs.invalid],
    });
  }

  finding(f: Finding): void {
    if (f.chain === null) {
      if (this.outside.length < 200) this.outside.push(f);
      return;
    }
    const row = this.row(f.chain);
    let span: [number, number];
    const logHour = f.code === 'log-invalid' && f.s3 !== null ? row.invalidLogHour.get(f.s3.slice(f.s3.indexOf('/', 5) + 1)) : undefined;
    if (logHour !== undefined) span = [logHour, Math.min(this.hours, logHour + 1)];
    else {
      const w = findingWindow(f);
      span = w === null ? [0, this.hours] : hourSpan(this.origin, this.hours, w.from, w.to);
    }
    const state = findingState(f.code);
    if (state) row.mark(span[0], span[1], state);
    this.detail(row, { h: span[0], e: span[1], c: f.code, v: f.severity, m: clip(f.message, 2000), s: f.s3 });
  }

  chainEnd(s: ChainSummary): void {
    const c = s.chain;
    const row = this.row(c);
    this.rows.delete(chainName(c));
    this.last = null;
    const block = {
      n: chainName(c),
      a: c.account,
      r: c.region,
      t: c.trail,
      o: c.organizationId,
      p: c.prefix,
      f: s.findings,
      dg: { valid: s.digests.valid + s.backfillDigests.valid, invalid: s.digests.invalid + s.backfillDigests.invalid },
      lg: s.logs,
      x: s.fatal,
      s: b64(row.states),
      l: b64(row.logs),
      k: b64(row.stamps),
      kt: row.template,
      q: b64(row.keyIndex),
      fp: row.fingerprints,
      d: row.details,
      dm: row.dropped,
    };
    this.out.write(`<script type="application/json" class="tp-chain">${scriptJson(block)}</script>\n`);
  }

  summary(s: AuditSummary): void {
    const totals = { ...s, requestedStart: formatDisplay(s.requestedStart), requestedEnd: formatDisplay(s.requestedEnd), failOn: this.o.failOn };
    const outside = this.outside.map((f) => ({ c: f.code, v: f.severity, m: clip(f.message, 2000), s: f.s3 }));
    this.out.write(pageEnd(scriptJson({ totals, outside, droppedDetails: this.droppedDetails })));
  }

  /** The chain's row (made if a writer skipped its chainStart); the last one asked for is remembered (a record per hour). */
  private row(chain: ChainRef): Row {
    if (this.last?.[0] === chain) return this.last[1];
    const name = chainName(chain);
    let row = this.rows.get(name);
    if (!row) this.rows.set(name, (row = new Row(this.hours)));
    this.last = [chain, row];
    return row;
  }

  /**
   * A valid standard digest, kept in the typed arrays: its key as its stamp (seconds after the
   * hour) on the chain's key template, its key fingerprint as an index into the chain's list.
   * False when the key does not rebuild from the template (it then gets a detail of its own).
   */
  private keep(row: Row, r: DigestRecord, first: number, last: number): boolean {
    const stamp = stampOf(r.key);
    if (stamp === null) return false;
    const cut = r.key.lastIndexOf('/');
    const dir = r.key.slice(0, cut + 1);
    const file = r.key.slice(cut + 1);
    const folder = `${formatYmdPath(stamp)}/`;
    const tail = `${formatStamp(stamp)}.json.gz`;
    if (!dir.endsWith(`/${folder}`) || !file.endsWith(tail)) return false;
    const template: [string, string] = [dir.slice(0, -folder.length), file.slice(0, -tail.length)];
    row.template ??= template;
    if (template[0] !== row.template[0] || template[1] !== row.template[1]) return false;
    let fp = r.fingerprint === null ? NO_KEY : row.fingerprints.indexOf(r.fingerprint);
    if (fp < 0 && row.fingerprints.length < NO_KEY) fp = row.fingerprints.push(r.fingerprint!) - 1;
    if (fp < 0) return false;
    for (let h = first; h < last; h++) {
      const offset = Math.round((stamp - (this.origin + h * MICROS_PER_HOUR)) / MICROS_PER_SECOND);
      if (row.stamps[h] !== NO_STAMP || offset < 0 || offset >= NO_STAMP) continue;
      row.stamps[h] = offset;
      row.keyIndex[h] = fp;
    }
    return true;
  }

  private detail(row: Row, d: Detail): void {
    const size = JSON.stringify(d).length;
    if (row.details.length >= DETAILS_PER_CHAIN || this.detailBytes + size > DETAIL_BUDGET) {
      row.dropped++;
      this.droppedDetails++;
      return;
    }
    this.detailBytes += size;
    row.details.push(d);
  }
}

function b64(a: Uint8Array | Uint16Array): string {
  // Uint16 little-endian, as the page reads it back (Uint16Array over the bytes on every browser we target).
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

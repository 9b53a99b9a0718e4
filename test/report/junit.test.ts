import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainName, finding, type ChainRef } from '../../src/audit/types.js';
import { JunitReport } from '../../src/report/junit.js';
import { memoryReport } from '../../src/report/output.js';
import { xmlSafe } from '../../src/report/xml.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { parseJunit, type ParsedSuite } from '../helpers/junit-parse.js';
import { lacks } from '../helpers/system-tools.js';
import { auditSummary, buildReportFixture, validateArgs, chainLabel, type ReportFixture } from './fixture.js';

/**
 * `--junit FILE`, read back by a real JUnit consumer (Debian's python3-junitparser): one testsuite
 * per chain, failures carrying the finding codes the audit's own JSON reports, in the hours where
 * they are; validate-logs' one chain with its stdout unchanged; hostile text survives the XML.
 */
let dir: { path: string; cleanup: () => void };
let fx: ReportFixture;
let suites: ParsedSuite[];
let findings: Array<Record<string, unknown>>;

beforeAll(async () => {
  if (lacks('junitparser')) return;
  dir = tempDir();
  fx = await buildReportFixture(dir.path);
  const file = join(dir.path, 'audit.xml');
  const r = await runInProcess([...fx.args, '--junit', file], { timeoutMs: 120_000 });
  expect(r.status, r.err).toBe(1);
  suites = parseJunit(file);
  const json = await runInProcess([...fx.args, '--output', 'json'], { timeoutMs: 120_000 });
  findings = json.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((x) => x.kind === 'finding');
}, 180_000);
afterAll(() => dir?.cleanup());

const failures = (s: ParsedSuite) => s.cases.flatMap((c) => c.results.filter((r) => r.tag === 'failure').map((r) => ({ c, r })));

describe.skipIf(lacks('junitparser'))('audit --junit', () => {
  it('one testsuite per chain, its counts consistent with its test cases, the chain in its properties', () => {
    expect(suites.map((s) => s.name).sort()).toEqual(fx.chains.map(chainLabel).sort());
    for (const s of suites) {
      expect(s.tests).toBe(s.cases.length);
      expect(s.failures).toBe(failures(s).length);
      expect(`${s.properties.account} ${s.properties.region} ${s.properties.trail} (home ${s.properties.homeRegion})`).toBe(s.name);
      for (const c of s.cases) expect(c.classname).toBe(s.name);
    }
  });

  it('a failure per chain, day and code of every error the audit reports, naming its hours', () => {
    const got = suites.flatMap((s) => failures(s).map(({ c, r }) => `${s.name}|${c.name}|${r.type}`)).sort();
    const day = fx.archive.startTime.slice(0, 10);
    const want = [
      ...new Set(
        findings
          .filter((f) => f.severity === 'error')
          .map((f) => `${String(f.account)} ${String(f.region)} ${String(f.trail)} (home ${String(f.homeRegion)})|${day} ${String(f.code)}|${String(f.code)}`),
      ),
    ].sort();
    expect(got).toEqual(want);
    for (const e of fx.expected.filter((x) => x.state !== 'valid')) {
      const s = suites.find((x) => x.name === e.chain)!;
      const hours = failures(s).map(({ r }) => r.text ?? '');
      expect(
        hours.some(
          (t) => new RegExp(`hours \\(UTC\\) [^\\n]*\\b${String(e.hour).padStart(2, '0')}\\b`).test(t) || t.includes(`-${String(e.hour).padStart(2, '0')}`),
        ),
        `${e.chain} ${e.hour}`,
      ).toBe(true);
    }
    const invalid = findings.find((f) => f.code === 'digest-invalid')!;
    const r = suites.flatMap(failures).find(({ r }) => r.type === 'digest-invalid')!.r;
    expect(r.message).toBe(invalid.message);
  });

  it('a clean chain: its day passes with every hour valid', () => {
    const s = suites.find((x) => x.name === chainLabel(fx.chains[3]!))!;
    expect(s.failures + s.errors + s.skipped).toBe(0);
    expect(s.cases).toHaveLength(1);
    expect(s.cases[0]!.name).toBe(fx.archive.startTime.slice(0, 10));
    expect(s.cases[0]!.systemOut).toBe('8 valid hour(s): 00-07');
  });
});

describe.skipIf(lacks('junitparser'))('validate-logs --junit', () => {
  it("one chain's verdicts; stdout and stderr byte for byte those of the run without it", async () => {
    const c = fx.chains[0]!;
    const args = ['validate-logs', ...validateArgs(fx, c)];
    const file = join(dir.path, 'validate.xml');
    const plain = await runInProcess(args, { timeoutMs: 120_000 });
    const withJunit = await runInProcess([...args, '--junit', file], { timeoutMs: 120_000 });
    expect(withJunit.status).toBe(plain.status);
    expect(withJunit.stdout.equals(plain.stdout)).toBe(true);
    expect(withJunit.stderr.equals(plain.stderr)).toBe(true);
    const [s, ...rest] = parseJunit(file);
    expect(rest).toEqual([]);
    expect(s!.name).toBe(chainLabel(c));
    const types = failures(s!)
      .map(({ r }) => r.type)
      .sort();
    // The changed digest INVALID, the deleted one not found: what validate-logs' own report says.
    expect(plain.err).toMatch(/Digest file\ts3:\/\/\S+\tINVALID: signature verification failed/);
    expect(plain.err).toMatch(/Digest file\ts3:\/\/\S+\tINVALID: not found/);
    expect(types).toEqual(['digest-invalid', 'missing-digest']);
  });
});

describe.skipIf(lacks('junitparser'))('JunitReport', () => {
  const chain: ChainRef = { account: '111122223333', region: 'us-east-1', trail: 't', homeRegion: 'us-east-1', organizationId: null, prefix: null };
  const summary = (findings: number) => ({
    chain,
    digests: { valid: 0, invalid: 0 },
    backfillDigests: { valid: 0, invalid: 0 },
    logs: { valid: 0, invalid: 0 },
    findings: { error: findings, warning: 0, info: 0 },
    newestEnd: null,
    fatal: null,
  });
  const total = auditSummary();

  it('any text (controls, surrogates, markup, quotes, CR/LF) comes back from the XML as written, characters XML cannot carry as U+FFFD', () => {
    const messages = fc
      .sample(fc.string({ unit: 'binary', maxLength: 80 }), 300)
      .concat(['</testsuite>&<x a="1">', "it's \r\n\t", '\u0000\u001f\ud800\udfff\uffff']);
    const out = memoryReport();
    const w = new JunitReport(out, { name: 'hostile', failOn: 'error' });
    w.header();
    messages.forEach((m, i) => {
      const c = { ...chain, trail: `t${i}` };
      w.chainStart(c);
      w.finding(finding('digest-invalid', c, m, { from: 0, to: 3_600_000_000 }));
      w.chainEnd({ ...summary(1), chain: c });
    });
    w.summary(total);
    const file = join(dir.path, 'hostile.xml');
    writeFileSync(file, out.text);
    const parsed = parseJunit(file);
    expect(parsed).toHaveLength(messages.length);
    parsed.forEach((s, i) => {
      const r = failures(s)[0]!.r;
      expect(r.message ?? '').toBe(xmlSafe(messages[i]!));
      expect(r.text).toBe(`1 finding(s), hours (UTC) 00\n${xmlSafe(messages[i]!)}`);
    });
  });

  it('past its size budget, a chain gets one test case per finding code instead of one per day', () => {
    const out = memoryReport();
    const w = new JunitReport(out, { name: 'budget', failOn: 'error', fullBudget: 1 });
    w.header();
    w.chainStart(chain);
    for (let day = 0; day < 30; day++)
      w.finding(finding('missing-digest', chain, `day ${day}`, { from: day * 86_400_000_000, to: day * 86_400_000_000 + 3_600_000_000 }));
    w.chainEnd(summary(30));
    w.summary(total);
    const file = join(dir.path, 'budget.xml');
    writeFileSync(file, out.text);
    const [s] = parseJunit(file);
    expect(s!.name).toBe(chainName(chain));
    expect(s!.cases.map((c) => c.name)).toEqual(['missing-digest']);
    expect(failures(s!)[0]!.r.text).toMatch(/^30 finding\(s\), days 1970-01-01, 1970-01-02, .*1970-01-30\nday 0\nday 1\nday 2\n\.\.\.$/);
    expect(readFileSync(file, 'utf8').length).toBeLessThan(2000);
  });
});

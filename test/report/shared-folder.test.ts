import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditJsonReport, AuditTextReport } from '../../src/audit/reports.js';
import { runAudit } from '../../src/audit/run.js';
import { auditCommand } from '../../src/cli/audit.js';
import { Coordinator } from '../../src/distributed/coordinator.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { GithubReport } from '../../src/report/github.js';
import { HtmlReport } from '../../src/report/html.js';
import { JunitReport } from '../../src/report/junit.js';
import { memoryReport, TeeSink } from '../../src/report/output.js';
import { LocalStore } from '../../src/store/local.js';
import { classifyKey } from '../../src/format/archive-keys.js';
import { formatDisplay } from '../../src/format/time.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { tempDir } from '../helpers/cli.js';
import { InProcessQueue } from '../helpers/in-process-queue.js';
import { runInProcess } from '../helpers/in-process.js';
import { parseJunit } from '../helpers/junit-parse.js';
import { deleteDigest, deleteNewestDigests, localAuditArgs, plantUnreferencedLog, readObject, type ArchiveChain } from '../helpers/org-archive.js';
import { lacks } from '../helpers/system-tools.js';
import { buildTwinArchive, copyArchive, type TwinArchive } from '../helpers/twin-archive.js';
import { chainLabel } from './fixture.js';

/**
 * A log folder two chains share (two trails of one name in two home regions, one source region):
 * the folder's findings are known once its last chain is walked, and each must be filed under the
 * chain it is about, with that chain's counts. A deleted digest of the FIRST chain: its
 * unchecked-logs under the first chain. A planted log: one unreferenced-log (no chain owns a log),
 * under the folder's last chain, naming both chains. The first chain's newest digests deleted:
 * its chain-stops under it. In every report (text, JSON, JUnit, HTML, GitHub) each chain counts
 * exactly the findings filed under it, and the totals are their sum. A folder of one chain is as
 * before. Expected values are read from the archive (the deleted digest's own list of logs).
 */
let dir: { path: string; cleanup: () => void };
let twin: TwinArchive;

beforeAll(async () => {
  dir = tempDir();
  twin = await buildTwinArchive(join(dir.path, 'build'));
}, 180_000);
afterAll(() => dir?.cleanup());

type Severity = 'error' | 'warning' | 'info';
interface TextChain {
  counts: Record<Severity, number>;
  findings: Array<{ severity: Severity; code: string; message: string }>;
}

/** The text report read back: each chain line's counts and the findings listed under it, and the totals. */
function readText(out: string): { chains: Map<string, TextChain>; totals: Record<Severity, number> } {
  const chains = new Map<string, TextChain>();
  let current: TextChain | null = null;
  let totals: Record<Severity, number> | null = null;
  for (const line of out.split('\n')) {
    const f = /^ {2}(ERROR|WARNING|INFO) ([a-z-]+): (.*)$/.exec(line);
    if (f) {
      expect(current, `a finding outside any chain: ${line}`).not.toBeNull();
      current!.findings.push({ severity: f[1]!.toLowerCase() as Severity, code: f[2]!, message: f[3]! });
      continue;
    }
    const c = /^(.*): \d+ digests?.*; (\d+) errors?, (\d+) warnings?, (\d+) info$/.exec(line);
    const t = /^Totals: .*; findings: (\d+) errors?, (\d+) warnings?, (\d+) info$/.exec(line);
    if (t) totals = { error: Number(t[1]), warning: Number(t[2]), info: Number(t[3]) };
    current = c ? { counts: { error: Number(c[2]), warning: Number(c[3]), info: Number(c[4]) }, findings: [] } : null;
    if (c) chains.set(c[1]!, current!);
  }
  expect(totals).not.toBeNull();
  return { chains, totals: totals! };
}

const sum = (xs: Array<Record<Severity, number>>): Record<Severity, number> =>
  xs.reduce((a, x) => ({ error: a.error + x.error, warning: a.warning + x.warning, info: a.info + x.info }), { error: 0, warning: 0, info: 0 });
const tally = (fs: Array<{ severity: string }>): Record<Severity, number> => {
  const t = { error: 0, warning: 0, info: 0 };
  for (const f of fs) t[f.severity as Severity]++;
  return t;
};

/** Text: every chain line counts exactly the findings listed under it, and the totals are their sum. */
function checkText(out: string): Map<string, TextChain> {
  const { chains, totals } = readText(out);
  expect([...chains.keys()].sort()).toEqual([chainLabel(twin.first), chainLabel(twin.last)].sort());
  for (const [label, c] of chains) expect(tally(c.findings), label).toEqual(c.counts);
  expect(sum([...chains.values()].map((c) => c.counts))).toEqual(totals);
  return chains;
}

type Rec = Record<string, unknown>;
/** JSON: each chain record counts exactly the finding records of its chain; the summary the sum. */
function checkJson(out: string): { findings: Rec[]; chains: Rec[] } {
  const all = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
  const findings = all.filter((x) => x.kind === 'finding');
  const chains = all.filter((x) => x.kind === 'chain');
  expect(chains).toHaveLength(2);
  for (const c of chains) {
    const mine = findings.filter((f) => (['account', 'region', 'trail', 'homeRegion', 'organizationId', 'prefix'] as const).every((k) => f[k] === c[k]));
    expect(tally(mine as Array<{ severity: string }>), String(c.homeRegion)).toEqual(c.findings);
  }
  expect(findings.every((f) => f.account !== null)).toBe(true);
  expect(all.at(-1)).toMatchObject({ kind: 'summary', findings: sum(chains.map((c) => c.findings as Record<Severity, number>)) });
  return { findings, chains };
}

const jsonChain = (chains: Rec[], c: ArchiveChain): Rec => chains.find((x) => x.homeRegion === c.scope.homeRegion)!;

/** The audit of a tampered copy in every report: text, JSON, JUnit and HTML files, GitHub. */
async function auditAll(root: string, tag: string) {
  const args = localAuditArgs(twin.archive, root);
  const text = await runInProcess(args);
  const json = await runInProcess([...args, '--output', 'json']);
  const junit = join(dir.path, `${tag}.xml`);
  const html = join(dir.path, `${tag}.html`);
  const files = await runInProcess([...args, '--junit', junit, '--html', html]);
  expect(files.status, files.err).toBe(text.status);
  const summary = join(dir.path, `${tag}.md`);
  writeFileSync(summary, '');
  const gh = memoryOutput();
  await auditCommand(args.slice(1), { output: gh, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
  return { text, json, junit, html, markdown: readFileSync(summary, 'utf8'), annotations: gh.stderr.split('\n').filter((l) => l.startsWith('::')) };
}

/** HTML: each chain's block carries its counts and the details of its findings. */
function htmlBlocks(file: string): Array<{ n: string; f: Record<Severity, number>; d: Array<{ c: string; m: string }> }> {
  return [...readFileSync(file, 'utf8').matchAll(/<script type="application\/json" class="tp-chain">([^<]*)<\/script>/g)].map((m) => JSON.parse(m[1]!));
}

function checkJunit(file: string, failing: Record<string, string[]>): void {
  const suites = parseJunit(file);
  expect(suites.map((s) => s.name).sort()).toEqual(Object.keys(failing).sort());
  for (const s of suites) {
    const failed = s.cases.flatMap((c) => c.results.filter((x) => x.tag === 'failure').map((x) => x.type!));
    expect([...new Set(failed)].sort(), s.name).toEqual([...failing[s.name]!].sort());
    expect(s.failures).toBe(failed.length);
  }
}

describe('a log folder two chains share', () => {
  it('the twins share their log folder, and the first in report order is not the last', () => {
    expect(twin.first.logPrefix).toBe(twin.last.logPrefix);
    expect(chainLabel(twin.first)).not.toBe(chainLabel(twin.last));
  });

  it('a digest of the FIRST chain deleted: unchecked-logs under the first chain, counted in its summary in every report', async () => {
    const copy = copyArchive(twin.archive, join(dir.path, 'deleted'));
    const index = 2;
    const key = twin.first.digestKeys[index]!;
    // The logs only that digest referenced: the unchecked ones (the twin's own logs stay referenced by its digests).
    const listed = (JSON.parse(gunzipSync(await readObject(copy, key)).toString('utf8')) as { logFiles: unknown[] }).logFiles.length;
    expect(listed).toBeGreaterThan(0);
    await deleteDigest(copy, twin.first, index);
    const s3 = `s3://${copy.bucket}/${key}`;
    const r = await auditAll(copy.root, 'deleted');
    expect(r.text.status, r.text.err).toBe(1);

    const text = checkText(r.text.out);
    const first = text.get(chainLabel(twin.first))!;
    const last = text.get(chainLabel(twin.last))!;
    expect(first.findings.map((f) => f.code).sort()).toEqual(['missing-digest', 'unchecked-logs']);
    const unchecked = first.findings.find((f) => f.code === 'unchecked-logs')!;
    expect(unchecked.message).toMatch(
      new RegExp(`^${listed} log file\\(s\\) delivered from .* could not be checked: ${s3.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is missing or invalid$`),
    );
    expect(first.counts).toEqual({ error: 2, warning: 0, info: 0 });
    expect(last).toEqual({ counts: { error: 0, warning: 0, info: 0 }, findings: [] });

    const json = checkJson(r.json.out);
    expect(json.findings.filter((f) => f.code === 'unchecked-logs')).toEqual([
      expect.objectContaining({ homeRegion: twin.first.scope.homeRegion, trail: twin.first.scope.trailName, count: listed }),
    ]);
    expect(jsonChain(json.chains, twin.first).findings).toEqual({ error: 2, warning: 0, info: 0 });
    expect(jsonChain(json.chains, twin.last).findings).toEqual({ error: 0, warning: 0, info: 0 });

    if (!lacks('junitparser')) checkJunit(r.junit, { [chainLabel(twin.first)]: ['missing-digest', 'unchecked-logs'], [chainLabel(twin.last)]: [] });
    const blocks = htmlBlocks(r.html);
    expect(blocks.map((b) => [b.n, b.f.error, b.d.filter((d) => d.c === 'unchecked-logs').length])).toEqual([
      [chainLabel(twin.first), 2, 1],
      [chainLabel(twin.last), 0, 0],
    ]);
    expect(r.markdown).toContain(`| \`${chainLabel(twin.first)}\` | `);
    expect(r.markdown).not.toContain(`| \`${chainLabel(twin.last)}\` | `);
    expect(r.markdown).toContain('1 chain(s) without findings.');
    expect(r.annotations.filter((a) => a.includes('unchecked-logs'))).toEqual([
      expect.stringContaining(`::error title=trailproof unchecked-logs in ${chainLabel(twin.first)}::`),
    ]);
  });

  it('a log planted in the shared folder: one unreferenced-log, under the last chain, naming both chains', async () => {
    const copy = copyArchive(twin.archive, join(dir.path, 'planted'));
    const planted = await plantUnreferencedLog(copy, twin.first);
    const s3 = `s3://${copy.bucket}/${planted.key}`;
    const k = classifyKey(planted.key);
    expect(k.kind).toBe('log');
    const message = `log ${s3}, delivered ${formatDisplay((k as { delivered: number }).delivered)}, is referenced by no valid digest of any of the 2 chains delivering into its log folder: ${chainLabel(twin.first)}; ${chainLabel(twin.last)}`;
    const r = await auditAll(copy.root, 'planted');
    expect(r.text.status, r.text.err).toBe(1);

    const text = checkText(r.text.out);
    expect(text.get(chainLabel(twin.first))).toEqual({ counts: { error: 0, warning: 0, info: 0 }, findings: [] });
    expect(text.get(chainLabel(twin.last))).toEqual({
      counts: { error: 1, warning: 0, info: 0 },
      findings: [{ severity: 'error', code: 'unreferenced-log', message }],
    });

    const json = checkJson(r.json.out);
    expect(json.findings).toEqual([
      expect.objectContaining({
        code: 'unreferenced-log',
        s3,
        account: twin.last.scope.account,
        region: twin.last.scope.sourceRegion,
        homeRegion: twin.last.scope.homeRegion,
        message,
      }),
    ]);
    if (!lacks('junitparser')) checkJunit(r.junit, { [chainLabel(twin.first)]: [], [chainLabel(twin.last)]: ['unreferenced-log'] });
    expect(htmlBlocks(r.html).map((b) => [b.n, b.f.error, b.d.filter((d) => d.c === 'unreferenced-log').map((d) => d.m)])).toEqual([
      [chainLabel(twin.first), 0, []],
      [chainLabel(twin.last), 1, [message]],
    ]);
    expect(r.annotations).toHaveLength(1);
  });

  it("the first chain's newest digests deleted: its chain-stops under it; its logs after them, which no chain owns, under the last", async () => {
    const copy = copyArchive(twin.archive, join(dir.path, 'stops'));
    await deleteNewestDigests(copy, twin.first, 3);
    const r = await auditAll(copy.root, 'stops');
    const text = checkText(r.text.out);
    const first = text.get(chainLabel(twin.first))!;
    const last = text.get(chainLabel(twin.last))!;
    expect(first.findings.map((f) => f.code)).toEqual(['chain-stops']);
    expect(first.findings[0]!.message).toMatch(/log file\(s\) were delivered after it: its newest digests were probably deleted$/);
    expect(last.findings.map((f) => f.code)).not.toContain('chain-stops');
    // The first chain's logs of those hours: referenced by no digest of either chain.
    expect(last.findings.filter((f) => f.code === 'unreferenced-log' || f.code === 'pending').length).toBeGreaterThan(0);
    const json = checkJson(r.json.out);
    expect(json.findings.filter((f) => f.code === 'chain-stops').map((f) => f.homeRegion)).toEqual([twin.first.scope.homeRegion]);
    expect(jsonChain(json.chains, twin.first).findings).toEqual({ error: 0, warning: 1, info: 0 });
    expect(htmlBlocks(r.html).map((b) => [b.n, b.f])).toEqual([
      [chainLabel(twin.first), first.counts],
      [chainLabel(twin.last), last.counts],
    ]);
  });

  it('a folder of one chain: the findings and their messages as before', async () => {
    const copy = copyArchive({ ...twin.archive, root: twin.singleRoot }, join(dir.path, 'single'));
    const planted = await plantUnreferencedLog(copy, twin.last);
    await deleteDigest(copy, twin.last, 4);
    const r = await runInProcess(localAuditArgs(twin.archive, copy.root));
    const { chains, totals } = readText(r.out);
    expect([...chains.keys()]).toEqual([chainLabel(twin.last)]);
    const only = chains.get(chainLabel(twin.last))!;
    expect(only.findings.map((f) => f.code)).toEqual(['missing-digest', 'unreferenced-log', 'unchecked-logs']);
    const k = classifyKey(planted.key) as { delivered: number };
    expect(only.findings[1]!.message).toBe(`log s3://${copy.bucket}/${planted.key}, delivered ${formatDisplay(k.delivered)}, is referenced by no valid digest`);
    expect(only.counts).toEqual(totals);
    expect(totals).toEqual({ error: 3, warning: 0, info: 0 });
  });

  it('the distributed audit reports the same bytes (verbose text and JSON, JUnit, HTML, GitHub)', async () => {
    const copy = copyArchive(twin.archive, join(dir.path, 'parity'));
    await deleteDigest(copy, twin.first, 2);
    await plantUnreferencedLog(copy, twin.first, 4);
    await deleteNewestDigests(copy, twin.last, 3);
    const keys = entriesSource(parsePublicKeysJson(readFileSync(twin.archive.publicKeysFile, 'utf8'), 'keys'));
    const { bucket, start, end } = twin.archive;
    const run = async (distributed: boolean) => {
      const store = new LocalStore(copy.root);
      const [text, json] = [memoryOutput(), memoryOutput()];
      const [junit, html, annotations, summary] = [memoryReport(), memoryReport(), memoryReport(), memoryReport()];
      const queue = new InProcessQueue({ store, keys, bucket, end, concurrency: 8, readAhead: 0 });
      const remote = distributed ? new Coordinator(queue, { run: 'shared-folder', segmentHours: 2, ahead: 50 }) : undefined;
      const sink = new TeeSink([
        new AuditTextReport(text, true),
        new AuditJsonReport(json, true),
        new JunitReport(junit, { name: 'shared', failOn: 'error' }),
        new HtmlReport(html, { title: 'shared', command: 'trailproof audit', failOn: 'error' }),
        new GithubReport(annotations, summary, { command: 'trailproof audit', reproduce: 'trailproof audit' }),
      ]);
      await runAudit({ store, bucket, keys, start, end, concurrency: 8, verbose: true, records: true, remote }, sink);
      return { text: text.stdout, json: json.stdout, junit: junit.text, html: html.text, annotations: annotations.text, summary: summary.text };
    };
    const local = await run(false);
    const text = checkText(local.text.replace(/^ {4}.*\n/gm, ''));
    for (const code of ['unchecked-logs', 'unreferenced-log', 'chain-stops'])
      expect(
        [...text.values()].some((c) => c.findings.some((f) => f.code === code)),
        code,
      ).toBe(true);
    expect(await run(true)).toEqual(local);
  });
});

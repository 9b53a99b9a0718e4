import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditJsonReport, AuditTextReport } from '../../src/audit/reports.js';
import { runAudit } from '../../src/audit/run.js';
import { auditCommand } from '../../src/cli/audit.js';
import { Coordinator } from '../../src/distributed/coordinator.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { LocalStore } from '../../src/store/local.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { tempDir } from '../helpers/cli.js';
import { InProcessQueue } from '../helpers/in-process-queue.js';
import { runInProcess } from '../helpers/in-process.js';
import { parseJunit } from '../helpers/junit-parse.js';
import { localAuditArgs, objectPath, type ArchiveChain, type OrgArchive } from '../helpers/org-archive.js';
import { buildTwinArchive, TWIN_ACCOUNT, TWIN_TRAIL } from '../helpers/twin-archive.js';
import { lacks } from '../helpers/system-tools.js';
import { chainLabel } from './fixture.js';
import { TeeSink } from '../../src/report/output.js';

/**
 * Two trails of one name in two home regions, logging into one bucket (no prefix) for the same
 * source region: two chains that differ only by their home region, sharing their log folder. A
 * forged gzip member appended to one digest of one of them (`digest-trailing-data`, and nothing
 * else) must be reported against that chain, and that chain only, by every report: text, JSON,
 * JUnit (whose test cases must stay unique), GitHub annotations and step summary, the HTML
 * timeline's data; and the distributed audit must say the same bytes.
 */
const ACCOUNT = TWIN_ACCOUNT;
const TRAIL = TWIN_TRAIL;
let dir: { path: string; cleanup: () => void };
let archive: OrgArchive;
let tampered: ArchiveChain;
let other: ArchiveChain;
let forgedKey: string;

beforeAll(async () => {
  dir = tempDir();
  const twin = await buildTwinArchive(dir.path);
  archive = twin.archive;
  // The chain audited first (chainId order: eu-west-1 before us-east-1), so that being last in the shared folder is no help.
  tampered = twin.first;
  other = twin.last;
  expect(tampered.scope.homeRegion).toBe('eu-west-1');
  forgedKey = tampered.digestKeys[2]!;
  appendFileSync(objectPath(archive, forgedKey), gzipSync('{"logFiles":[]}'));
}, 180_000);
afterAll(() => dir?.cleanup());

const args = () => localAuditArgs(archive);
const records = (out: string) =>
  out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const forgedS3 = () => `s3://${archive.bucket}/${forgedKey}`;

describe('two trails of one name in two home regions', () => {
  it('the two chains have distinct labels, each naming its home region', () => {
    expect(chainLabel(tampered)).not.toBe(chainLabel(other));
    expect(chainLabel(tampered)).toContain(`(home ${tampered.scope.homeRegion})`);
  });

  it('text: the finding under its own chain line; the other chain clean', async () => {
    const r = await runInProcess(args());
    expect(r.status, r.err).toBe(1);
    const lines = r.out.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`${chainLabel(tampered)}: `));
    const clean = lines.findIndex((l) => l.startsWith(`${chainLabel(other)}: `));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(clean).toBeGreaterThanOrEqual(0);
    expect(lines[at]).toMatch(/; 1 error, 0 warnings, 0 info$/);
    expect(lines[at + 1]).toBe(
      `  ERROR digest-trailing-data: digest ${forgedS3()} has bytes after its gzip member: CloudTrail writes one member, and what follows is not signed`,
    );
    expect(lines[clean]).toMatch(/; 0 errors, 0 warnings, 0 info$/);
    expect(lines[clean + 1]!.startsWith('  ')).toBe(false);
  });

  it('JSON: finding, chain and --verbose records carry the home region', async () => {
    const r = await runInProcess([...args(), '--output', 'json', '--verbose']);
    const all = records(r.out);
    const findings = all.filter((x) => x.kind === 'finding');
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      code: 'digest-trailing-data',
      s3: forgedS3(),
      account: ACCOUNT,
      region: tampered.scope.sourceRegion,
      trail: TRAIL,
      homeRegion: tampered.scope.homeRegion,
      organizationId: null,
    });
    const chains = all.filter((x) => x.kind === 'chain');
    expect(chains.map((c) => [c.homeRegion, (c.findings as { error: number }).error]).sort()).toEqual(
      [
        [tampered.scope.homeRegion, 1],
        [other.scope.homeRegion, 0],
      ].sort(),
    );
    // Every digest and log record names the chain whose digest it is (the home region is in the digest's name).
    const verbose = all.filter((x) => x.kind === 'digest' || x.kind === 'log');
    expect(verbose.length).toBeGreaterThan(0);
    for (const v of verbose) expect(String(v.kind === 'log' ? v.digestKey : v.key)).toContain(`_${TRAIL}_${String(v.homeRegion)}_`);
    expect(new Set(verbose.map((v) => v.homeRegion))).toEqual(new Set([tampered.scope.homeRegion, other.scope.homeRegion]));
    // Finding and verbose records name their chain by the same six fields as its `chain` record.
    const six = (x: Record<string, unknown>) =>
      JSON.stringify(['account', 'region', 'trail', 'homeRegion', 'organizationId', 'prefix'].map((k) => (k in x ? x[k] : '(absent)')));
    expect(chains.every((c) => 'prefix' in c && 'organizationId' in c)).toBe(true);
    const chainIds = new Set(chains.map(six));
    expect(chainIds.size).toBe(2);
    for (const x of [...findings, ...verbose]) expect(chainIds.has(six(x)), six(x)).toBe(true);
  });

  it.skipIf(lacks('junitparser'))('JUnit: one suite per chain, every test case unique (classname, name), the failure in its chain', async () => {
    const file = join(dir.path, 'twins.xml');
    expect((await runInProcess([...args(), '--junit', file])).status).toBe(1);
    const suites = parseJunit(file);
    expect(suites.map((s) => s.name).sort()).toEqual([chainLabel(tampered), chainLabel(other)].sort());
    const ids = suites.flatMap((s) => s.cases.map((c) => `${c.classname}\u0000${c.name}`));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(suites.flatMap((s) => s.cases.map((c) => c.classname))).size).toBe(2);
    for (const s of suites) {
      expect(s.properties.homeRegion).toBe(s.name === chainLabel(tampered) ? tampered.scope.homeRegion : other.scope.homeRegion);
      for (const c of s.cases) expect(c.classname).toBe(s.name);
      const failed = s.cases.flatMap((c) => c.results.filter((x) => x.tag === 'failure').map((x) => x.type));
      expect(failed).toEqual(s.name === chainLabel(tampered) ? ['digest-trailing-data'] : []);
    }
  });

  it('GitHub: the annotation and the step summary name the tampered chain', async () => {
    const summaryFile = join(dir.path, 'summary.md');
    writeFileSync(summaryFile, '');
    const output = memoryOutput();
    expect(await auditCommand(args().slice(1), { output, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile } })).toBe(1);
    const annotations = output.stderr.split('\n').filter((l) => l.startsWith('::'));
    expect(annotations).toHaveLength(1);
    expect(annotations[0]!.startsWith(`::error title=trailproof digest-trailing-data in ${chainLabel(tampered)}::digest ${forgedS3()} `)).toBe(true);
    const md = readFileSync(summaryFile, 'utf8');
    expect(md).toContain(`| \`${chainLabel(tampered)}\` | `);
    expect(md).not.toContain(`\`${chainLabel(other)}\``);
    expect(md).toContain('1 chain(s) without findings.');
    expect(md).toContain(`| error | digest-trailing-data | \`${chainLabel(tampered)}\` | `);
  });

  it("HTML: each chain's block under its own label, the finding's detail in the tampered one only", async () => {
    const file = join(dir.path, 'twins.html');
    expect((await runInProcess([...args(), '--html', file])).status).toBe(1);
    const blocks = [...readFileSync(file, 'utf8').matchAll(/<script type="application\/json" class="tp-chain">([^<]*)<\/script>/g)].map(
      (m) => JSON.parse(m[1]!) as { n: string; d: Array<{ c: string; s: string | null }> },
    );
    expect(blocks.map((b) => b.n).sort()).toEqual([chainLabel(tampered), chainLabel(other)].sort());
    for (const b of blocks) expect(b.d.filter((d) => d.c === 'digest-trailing-data').map((d) => d.s)).toEqual(b.n === chainLabel(tampered) ? [forgedS3()] : []);
  });

  it('the distributed audit reports the same bytes (verbose text and JSON)', async () => {
    const keys = entriesSource(parsePublicKeysJson(readFileSync(archive.publicKeysFile, 'utf8'), 'keys'));
    const run = async (distributed: boolean) => {
      const store = new LocalStore(archive.root);
      const text = memoryOutput();
      const json = memoryOutput();
      const queue = new InProcessQueue({ store, keys, bucket: archive.bucket, end: archive.end, concurrency: 8, readAhead: 0 });
      const remote = distributed ? new Coordinator(queue, { run: 'twins', segmentHours: 2, ahead: 50 }) : undefined;
      const tee = new TeeSink([new AuditTextReport(text, true), new AuditJsonReport(json, true)]);
      await runAudit({ store, bucket: archive.bucket, keys, start: archive.start, end: archive.end, concurrency: 8, verbose: true, remote }, tee);
      return { text: text.stdout, json: json.stdout };
    };
    const local = await run(false);
    expect(local.text).toContain(`${chainLabel(tampered)}: `);
    expect(await run(true)).toEqual(local);
  });
});

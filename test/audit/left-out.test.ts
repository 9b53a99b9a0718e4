import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { AuditJsonReport, AuditTextReport } from '../../src/audit/reports.js';
import { runAudit } from '../../src/audit/run.js';
import { Coordinator } from '../../src/distributed/coordinator.js';
import { parseTrailArn } from '../../src/format/arn.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { TeeSink } from '../../src/report/output.js';
import { LocalStore } from '../../src/store/local.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { InProcessQueue } from '../helpers/in-process-queue.js';
import { runInProcess } from '../helpers/in-process.js';
import { deleteDigest, localAuditArgs, objectPath, plantUnreferencedLog, readObject, type ArchiveChain } from '../helpers/org-archive.js';
import { jsonLines, twinPerFile } from '../helpers/twin-archive.js';

/**
 * A log folder two trails share, audited with --trail-arn naming one of them. The other trail's
 * logs lie in the same folder and their names do not say whose they are: its digests are read for
 * the folder check (left-out.ts), so its logs are referenced (no false unreferenced-log), a planted
 * log is still an unreferenced-log, and the logs of its missing digest are unattributed-logs (an
 * error: its or planted, nothing can tell); a forged chain planted beside the log covers nothing. And without filters, a chain's chain-stops counts only the logs
 * after its end that no other chain of the folder references (the other trail's go on).
 */
const { twin, fresh } = twinPerFile();

type Rec = Record<string, unknown>;

async function auditJson(root: string, only?: ArchiveChain, chains = only ? 1 : 2): Promise<{ status: number; findings: Rec[] }> {
  const args = [...localAuditArgs(twin().archive, root), '--output', 'json', ...(only ? ['--trail-arn', only.trailArn] : [])];
  const r = await runInProcess(args);
  const all = jsonLines(r.out);
  expect(
    all.filter((x) => x.kind === 'chain'),
    r.err,
  ).toHaveLength(chains);
  return { status: r.status ?? -1, findings: all.filter((x) => x.kind === 'finding') };
}

/** The log keys a digest lists. */
async function logsOf(digestKey: string): Promise<string[]> {
  const d = JSON.parse(gunzipSync(await readObject(twin().archive, digestKey)).toString('utf8')) as { logFiles: Array<{ s3Object: string }> };
  return d.logFiles.map((l) => l.s3Object);
}

describe('--trail-arn on a shared log folder', () => {
  it('a clean archive: nothing reported for either trail (the other trail`s logs are referenced by its digests)', async () => {
    for (const only of [twin().first, twin().last]) {
      const r = await auditJson(twin().archive.root, only);
      expect(r.findings).toEqual([]);
      expect(r.status).toBe(0);
    }
  });

  it('a planted log is still one unreferenced-log, its message saying the other chain was left out', async () => {
    const copy = fresh();
    const planted = await plantUnreferencedLog(copy, twin().first);
    const r = await auditJson(copy.root, twin().first);
    expect(r.findings.map((f) => [f.code, f.s3])).toEqual([['unreferenced-log', `s3://${copy.bucket}/${planted.key}`]]);
    expect(String(r.findings[0]!.message)).toContain('1 of them left out by the filters');
    expect(r.status).toBe(1);
  });

  it('a digest of the left-out chain deleted: its logs are unattributed-logs, an error, under the audited chain', async () => {
    const copy = fresh();
    const victim = twin().last.digestKeys[2]!;
    const listed = (await logsOf(victim)).length;
    expect(listed).toBeGreaterThan(0);
    await deleteDigest(copy, twin().last, 2);
    const r = await auditJson(copy.root, twin().first);
    expect(r.findings.map((f) => [f.code, f.severity, f.count, f.homeRegion])).toEqual([['unattributed-logs', 'error', listed, twin().first.scope.homeRegion]]);
    expect(String(r.findings[0]!.message)).toContain(victim);
    expect(r.status).toBe(1);
    // Audited as well, the same deletion is the other chain's error (missing-digest, unchecked-logs).
    const both = await auditJson(copy.root);
    expect(both.findings.filter((f) => f.code === 'unattributed-logs')).toEqual([]);
    expect(both.findings.find((f) => f.code === 'unchecked-logs')).toMatchObject({ count: listed, homeRegion: twin().last.scope.homeRegion });
  });
});

describe('--trail-arn and a forged chain', () => {
  it('a planted log beside a planted chain whose digests do not verify is still an error', async () => {
    const copy = fresh();
    const planted = await plantUnreferencedLog(copy, twin().first, 1);
    // A copy of a real digest (and its sidecar) under another trail's name: it verifies nowhere else.
    const real = twin().first.digestKeys[1]!;
    const forged = real.replace(`_${twin().first.scope.trailName}_`, '_forged-trail_');
    expect(forged).not.toBe(real);
    for (const suffix of ['', '.metadata.json']) copyFileSync(objectPath(copy, real) + suffix, objectPath(copy, forged) + suffix);
    const r = await auditJson(copy.root, twin().first);
    expect(r.status).toBe(1);
    const errors = r.findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => [f.code, f.count])).toEqual([['unattributed-logs', 1]]);
    expect(String(errors[0]!.message)).toContain(`s3://${copy.bucket}/${forged}`);
    // Audited too, the forged chain is an error of its own and the log an unreferenced-log.
    const all = await auditJson(copy.root, undefined, 3);
    expect(all.findings.some((f) => f.code === 'digest-invalid' && f.s3 === `s3://${copy.bucket}/${forged}`)).toBe(true);
    expect(all.findings.some((f) => f.code === 'unchecked-logs' || (f.code === 'unreferenced-log' && f.s3 === `s3://${copy.bucket}/${planted.key}`))).toBe(
      true,
    );
  });
});

describe('--trail-arn on a shared log folder, distributed', () => {
  it('the distributed audit reports the same bytes', async () => {
    const copy = fresh();
    await deleteDigest(copy, twin().last, 2);
    await plantUnreferencedLog(copy, twin().first, 4);
    const keys = entriesSource(parsePublicKeysJson(readFileSync(twin().archive.publicKeysFile, 'utf8'), 'keys'));
    const { bucket, start, end } = twin().archive;
    const arn = parseTrailArn(twin().first.trailArn);
    const filters = { trails: [{ account: arn.account, region: arn.region, name: arn.name }] };
    const run = async (distributed: boolean) => {
      const store = new LocalStore(copy.root);
      const [text, json] = [memoryOutput(), memoryOutput()];
      const queue = new InProcessQueue({ store, keys, bucket, end, concurrency: 8, readAhead: 0 });
      const remote = distributed ? new Coordinator(queue, { run: 'left-out', segmentHours: 2, ahead: 50 }) : undefined;
      const sink = new TeeSink([new AuditTextReport(text, true), new AuditJsonReport(json, true)]);
      await runAudit({ store, bucket, keys, start, end, concurrency: 8, verbose: true, filters, remote }, sink);
      return { text: text.stdout, json: json.stdout };
    };
    const local = await run(false);
    expect(local.json).toContain('"code":"unattributed-logs"');
    expect(local.json).toContain('"code":"unreferenced-log"');
    expect(await run(true)).toEqual(local);
  });
});

describe('chain-stops in a shared folder', () => {
  it('logging stopped for one trail while the other goes on: "logging was probably stopped"', async () => {
    const copy = fresh();
    // The first trail stops after its third hour: its last digests and their logs are gone.
    for (const key of twin().first.digestKeys.slice(3)) {
      for (const log of await logsOf(key)) rmSync(objectPath(copy, log));
      await copy.store.delete(copy.bucket, key);
    }
    const r = await auditJson(copy.root);
    const stops = r.findings.filter((f) => f.code === 'chain-stops');
    expect(stops.map((f) => f.homeRegion)).toEqual([twin().first.scope.homeRegion]);
    expect(String(stops[0]!.message)).toContain('no log file was delivered after it: logging was probably stopped');
    expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});

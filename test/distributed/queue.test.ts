import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult } from '../helpers/cli.js';
import { startCli } from '../helpers/cli-async.js';
import {
  buildOrgArchive,
  changeByte,
  deleteDigest,
  deleteNewestDigests,
  plantUnreferencedLog,
  localAuditArgs,
  type OrgArchive,
} from '../helpers/org-archive.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';
import { buildTwinArchive, copyArchive } from '../helpers/twin-archive.js';

/**
 * The distributed audit through a real redis-server, one coordinator and two worker processes
 * (the built CLI), on a simulated organization of 100 accounts x 4 regions: the report (verbose
 * text, verbose JSON) and the state file are the local audit's, byte for byte, clean and tampered;
 * results too large for Redis go through a results folder.
 */
let redis: TestRedis;
let archive: OrgArchive;
let workers: Array<ReturnType<typeof startCli>> = [];

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];

beforeAll(async () => {
  if (lacks('redis')) return;
  redis = await startRedis();
  archive = await buildOrgArchive({ accounts: 100, regions: REGIONS, hours: 2, filesPerHour: 1, organizationId: 'o-queue0test' });
  workers = [0, 1].map(() => startCli(['worker', ...redis.queue, '--lock-seconds', '5', '--stalled-check-seconds', '2'], { timeout: 600_000 }));
}, 300_000);

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.done));
  await redis?.stop();
  archive?.cleanup();
}, 60_000);

const auditArgs = (root: string, extra: string[] = []) => [...localAuditArgs(archive, root), '--verbose', ...extra];

async function distributed(args: string[]): Promise<CliResult> {
  const run = startCli([...args, ...redis.queue, '--segment-hours', '1', '--queue-check-ms', '300'], { timeout: 300_000 });
  return run.done;
}

function same(local: CliResult, remote: CliResult): void {
  expect(remote.err).toMatch(/queue: started run/);
  expect(remote.status).toBe(local.status);
  expect(remote.out).toBe(local.out);
}

describe.skipIf(lacks('redis'))('audit --queue with worker processes', () => {
  it("clean organization (400 chains): text, JSON and the state file are the local run's", async () => {
    const dir = tempDir();
    try {
      for (const output of ['text', 'json']) {
        const localState = join(dir.path, `local-${output}.json`);
        const remoteState = join(dir.path, `remote-${output}.json`);
        const local = runCli([...auditArgs(archive.root, ['--output', output, '--state', localState])], { timeout: 300_000 });
        expect(local.status, local.err).toBe(0);
        const remote = await distributed(auditArgs(archive.root, ['--output', output, '--state', remoteState]));
        same(local, remote);
        expect(readFileSync(remoteState, 'utf8')).toBe(readFileSync(localState, 'utf8'));
        // 2 hours from 00:00, listed to 03:00: 3 one-hour segments a chain, none walked twice.
        expect(remote.err).toContain(`${archive.chains.length * 3} segments, 0 walked again at a seam, 0 chain(s) walked whole`);
      }
    } finally {
      dir.cleanup();
    }
  });

  it('tampered organization: the same findings, in the same bytes (text, JUnit, HTML); large results through --results', async () => {
    const dir = tempDir();
    try {
      const root = join(dir.path, 'root');
      cpSync(archive.root, root, { recursive: true });
      const a = { root, bucket: archive.bucket, store: archive.store };
      const { LocalStore, SIDECAR_SUFFIX } = await import('../../src/store/local.js');
      const store = new LocalStore(root);
      await deleteDigest({ ...a, store }, archive.chains[5]!, 0);
      await changeByte({ ...a, store }, archive.chains[17]!.logKeys[0]!);
      await plantUnreferencedLog({ ...a, store, start: archive.start }, archive.chains[200]!, 1);
      writeFileSync(join(root, archive.bucket, `${archive.chains[300]!.logKeys[0]!}${SIDECAR_SUFFIX}`), '{"signature":"00"}');
      const files = (who: string) => ['--junit', join(dir.path, `${who}.xml`), '--html', join(dir.path, `${who}.html`)];
      const local = runCli([...auditArgs(root), ...files('local')], { timeout: 300_000 });
      expect(local.status).toBe(1);
      expect(local.out).toMatch(/ERROR missing-digest/);
      expect(local.out).toMatch(/ERROR stray-sidecar/);
      const results = join(dir.path, 'results');
      const remote = await distributed([...auditArgs(root), ...files('remote'), '--results', results, '--result-inline-max', '2000']);
      same(local, remote);
      // The JUnit and HTML reports (audit sinks too) are the same bytes.
      for (const ext of ['xml', 'html'])
        expect(readFileSync(join(dir.path, `remote.${ext}`), 'utf8')).toBe(readFileSync(join(dir.path, `local.${ext}`), 'utf8'));
      // The run's results were put there (every segment result is larger than 2000 bytes) and removed at its end.
      expect(existsSync(results)).toBe(true);
      expect(readdirSync(results)).toEqual([]);
    } finally {
      dir.cleanup();
    }
  });

  it("a log folder two chains share: each folder finding under its chain, in the local run's bytes (text, JSON, JUnit, HTML)", async () => {
    const dir = tempDir();
    try {
      const twin = await buildTwinArchive(join(dir.path, 'build'));
      const copy = copyArchive(twin.archive, join(dir.path, 'root'));
      await deleteDigest(copy, twin.first, 2);
      await plantUnreferencedLog(copy, twin.first, 4);
      await deleteNewestDigests(copy, twin.last, 3);
      for (const output of ['text', 'json']) {
        const args = [...localAuditArgs(twin.archive, copy.root), '--verbose', '--output', output];
        const files = (who: string) => ['--junit', join(dir.path, `${who}-${output}.xml`), '--html', join(dir.path, `${who}-${output}.html`)];
        const local = runCli([...args, ...files('local')], { timeout: 300_000 });
        expect(local.status, local.err).toBe(1);
        for (const code of ['unchecked-logs', 'unreferenced-log', 'chain-stops']) expect(local.out).toContain(code);
        const remote = await distributed([...args, ...files('remote')]);
        same(local, remote);
        for (const ext of ['xml', 'html'])
          expect(readFileSync(join(dir.path, `remote-${output}.${ext}`), 'utf8')).toBe(readFileSync(join(dir.path, `local-${output}.${ext}`), 'utf8'));
      }
    } finally {
      dir.cleanup();
    }
  });

  it('a result too large for Redis without --results stops the run with a message', async () => {
    const remote = await distributed([...auditArgs(archive.root), '--result-inline-max', '100', '--accounts', archive.accounts[0]!]);
    expect(remote.status, remote.out + remote.err).toBe(255);
    expect(remote.err).toMatch(/larger than --result-inline-max \(100\): give the coordinator --results/);
    expect(remote.err).not.toMatch(/at .*\.js:\d+/);
  });
});

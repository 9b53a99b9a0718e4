import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeInventoryReport } from '../../src/simulate/inventory.js';
import { LocalStore } from '../../src/store/local.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { startCli } from '../helpers/cli-async.js';
import { buildOrgArchive, deleteDigest, plantUnreferencedLog, localAuditArgs, type OrgArchive } from '../helpers/org-archive.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';

/**
 * `audit --inventory --queue`: the coordinator and the worker processes (the built CLI, a real
 * redis-server) list the bucket from the same S3 Inventory report (the workers check its sha256);
 * the report is the local audit's with the same report, byte for byte. A worker refuses a manifest
 * whose bytes are not the ones the run was started with (RunConfig.inventory's sha256).
 */
let redis: TestRedis;
let archive: OrgArchive;
let dir: { path: string; cleanup: () => void };
let workers: Array<ReturnType<typeof startCli>> = [];

beforeAll(async () => {
  if (lacks('redis')) return;
  redis = await startRedis();
  archive = await buildOrgArchive({ accounts: 4, regions: ['us-east-1', 'eu-west-1'], hours: 2, filesPerHour: 1, organizationId: 'o-invqueue0test' });
  dir = tempDir();
  workers = [0, 1].map(() => startCli(['worker', ...redis.queue, '--lock-seconds', '5', '--stalled-check-seconds', '2'], { timeout: 600_000 }));
}, 300_000);

afterAll(async () => {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.done));
  await redis?.stop();
  archive?.cleanup();
  dir?.cleanup();
}, 60_000);

const auditArgs = (extra: string[] = []) => [...localAuditArgs(archive), '--verbose', ...extra];

/** A report of the bucket without the keys `omit` (a report older than those objects). */
async function report(name: string, omit: ReadonlySet<string> = new Set()): Promise<string> {
  const at = join(dir.path, name);
  mkdirSync(at, { recursive: true });
  const store = new LocalStore(archive.root);
  await writeInventoryReport(
    {
      list: async function* (bucket, options) {
        for await (const key of store.list(bucket, options)) if (!omit.has(key)) yield key;
      },
    },
    { bucket: archive.bucket, destinationBucket: 'inventory-dest', creationTimestamp: Date.now(), rowsPerFile: 40 },
    async (file, bytes) => writeFileSync(join(at, file), bytes),
  );
  return join(at, 'manifest.json');
}

describe.skipIf(lacks('redis'))('audit --inventory --queue with worker processes', () => {
  it("the workers list from the report: text and JSON are the local run's with the report", async () => {
    const a = { root: archive.root, bucket: archive.bucket, store: archive.store };
    await deleteDigest(a, archive.chains[3]!, 0);
    await plantUnreferencedLog({ ...a, start: archive.start }, archive.chains[6]!, 1);
    // The report lacks a chain's newest digest: what the local run with the report says differs
    // from what LIST gives, so the distributed run's equality shows its workers listed from the report.
    const newest = archive.chains[1]!.digestKeys.at(-1)!;
    const manifest = await report('report', new Set([newest]));
    for (const output of ['text', 'json']) {
      const listed = runCli(auditArgs(['--output', output]), { timeout: 300_000 });
      const local = runCli(auditArgs(['--output', output, '--inventory', manifest]), { timeout: 300_000 });
      expect(local.status, local.err).toBe(1);
      expect(local.out).not.toBe(listed.out);
      const remote = await startCli(
        [...auditArgs(['--output', output, '--inventory', manifest]), ...redis.queue, '--segment-hours', '1', '--queue-check-ms', '300'],
        {
          timeout: 300_000,
        },
      ).done;
      expect(remote.err).toMatch(/queue: started run/);
      expect(remote.status, remote.err).toBe(local.status);
      expect(remote.out).toBe(local.out);
    }
  }, 300_000);

  it("a worker refuses a manifest that is not the run's (it changed since the coordinator read it)", async () => {
    const { openInventory } = await import('../../src/store/inventory-open.js');
    const manifest = await report('changed');
    const store = new LocalStore(archive.root);
    const opened = await openInventory(manifest, store, archive.bucket);
    await opened.store.close();
    const again = await openInventory(manifest, store, archive.bucket, { sha256: opened.sha256 });
    expect(again.sha256).toBe(opened.sha256);
    await again.store.close();
    await expect(openInventory(manifest, store, archive.bucket, { sha256: 'f'.repeat(64) })).rejects.toThrow(/is not the manifest the run was started with/);
  });
});

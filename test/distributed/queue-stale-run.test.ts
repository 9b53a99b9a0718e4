import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startCli } from '../helpers/cli-async.js';
import { buildOrgArchive, changeByte, localAuditArgs, type OrgArchive } from '../helpers/org-archive.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';

/**
 * a finished run's record (`trailproof:runs:<params>`) expires after --queue-keep-hours,
 * but its completed jobs stay in Redis until a later completion prunes them (BullMQ removes jobs by
 * age lazily). The same audit run again later (same window, bucket, keys) then gets the same run id
 * (`<params>-1`) and the same job ids, the jobs are not added again (the ids exist), and the sweep
 * hands the coordinator the old results: the archive as it was, not as it is.
 */
let redis: TestRedis;
let archive: OrgArchive;

beforeAll(async () => {
  if (lacks('redis')) return;
  redis = await startRedis();
  archive = await buildOrgArchive({ accounts: 1, regions: ['us-east-1'], hours: 2, filesPerHour: 1 });
}, 120_000);
afterAll(async () => {
  await redis?.stop();
  archive?.cleanup();
});

const coordinator = () => startCli([...localAuditArgs(archive), ...redis.queue, '--segment-hours', '1', '--queue-check-ms', '200'], { timeout: 60_000 }).done;

describe.skipIf(lacks('redis'))('a later audit with the same settings', () => {
  it('never takes the results of an earlier, finished run (its record expired)', async () => {
    const w = startCli(['worker', ...redis.queue], { timeout: 120_000 });
    const first = await coordinator();
    expect(first.status, first.err).toBe(0);
    w.child.kill('SIGTERM');
    await w.done;

    // The archive is tampered with afterwards, and the run record expires (keep-hours later).
    await changeByte(archive, archive.chains[0]!.logKeys[0]!);
    const client = new Redis(redis.port, '127.0.0.1');
    for (const k of await client.keys('trailproof:runs:*')) await client.del(k);
    await client.quit();

    const w2 = startCli(['worker', ...redis.queue], { timeout: 120_000 });
    const second = await coordinator();
    w2.child.kill('SIGTERM');
    await w2.done;
    expect(second.out).toContain('log-invalid');
    expect(second.status, second.out).toBe(1);
  }, 120_000);
});

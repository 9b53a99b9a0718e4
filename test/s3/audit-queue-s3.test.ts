import type { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startCli } from '../helpers/cli-async.js';
import { buildOrgArchive, type OrgArchive } from '../helpers/org-archive.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { lacks } from '../helpers/system-tools.js';
import { adminClient, createBucket, NO_S3, removeBucket, S3_ENDPOINT, uniqueBucket, uploadTree } from './helpers.js';

/**
 * The distributed audit on the test S3 server: a simulated organization of 100 accounts x 4
 * regions uploaded, one coordinator and two worker processes reading it through S3, results
 * through an S3 prefix: the report is the local copy's, byte for byte.
 */
describe.skipIf(NO_S3 || lacks('redis'))('audit --queue on S3', () => {
  let admin: S3Client;
  let archive: OrgArchive;
  let redis: TestRedis;
  let bucket: string;
  let results: string;

  beforeAll(async () => {
    admin = adminClient();
    bucket = uniqueBucket('queue');
    results = uniqueBucket('results');
    await createBucket(admin, bucket);
    await createBucket(admin, results);
    archive = await buildOrgArchive({ accounts: 100, regions: ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'], hours: 2, filesPerHour: 1, bucket });
    await uploadTree(admin, join(archive.root, bucket), bucket);
    redis = await startRedis();
  }, 600_000);

  afterAll(async () => {
    if (admin && bucket) await removeBucket(admin, bucket);
    if (admin && results) await removeBucket(admin, results);
    archive?.cleanup();
    await redis?.stop();
    admin?.destroy();
  });

  it("two workers on S3 give the local copy's report; results through s3://", async () => {
    const args = [
      'audit',
      '--s3-bucket',
      bucket,
      '--keys-dir',
      archive.keysDir,
      '--start-time',
      archive.startTime,
      '--end-time',
      archive.endTime,
      '--output',
      'json',
    ];
    const local = runCli([...args, '--local-root', archive.root], { timeout: 300_000 });
    expect(local.status, local.err).toBe(0);
    const workers = [0, 1].map(() => startCli(['worker', ...redis.queue, '--endpoint-url', S3_ENDPOINT!], { timeout: 600_000 }));
    try {
      const remote = await startCli(
        [...args, '--endpoint-url', S3_ENDPOINT!, ...redis.queue, '--results', `s3://${results}/runs`, '--result-inline-max', '1500'],
        { timeout: 600_000 },
      ).done;
      expect(remote.status, remote.err).toBe(0);
      expect(remote.out).toBe(local.out);
      expect(remote.err).toMatch(/queue: started run/);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.done));
    }
  }, 600_000);
});

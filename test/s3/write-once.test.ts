import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../src/aws/s3-store.js';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { formatDisplay, MICROS_PER_HOUR, nowMicros, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { formatPublicKeysJson } from '../../src/keys/public-keys.js';
import { StoreError } from '../../src/store/errors.js';
import { tempDir } from '../helpers/cli.js';
import { adminClient, createBucket, NO_S3, removeBucket, runCliAsync, S3_ENDPOINT, uniqueBucket } from './helpers.js';

/**
 * Issue 14 on the test S3 server (Ceph RGW): PutObject with `If-None-Match: *` is honoured (412 on
 * the second write, the first object and its metadata kept), and signer processes that share no
 * lock (each its own key store, each its own key) end with one intact chain.
 */
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/race`;

describe.skipIf(NO_S3)('write-once digests on S3', () => {
  let admin: S3Client;
  let bucket: string;
  let dir: { path: string; cleanup: () => void };
  const s3 = (args: string[]) => runCliAsync([...args, '--endpoint-url', S3_ENDPOINT!], { timeout: 180_000 });

  beforeAll(async () => {
    admin = adminClient();
    bucket = uniqueBucket('once');
    await createBucket(admin, bucket);
    dir = tempDir();
  });

  afterAll(async () => {
    if (admin && bucket) await removeBucket(admin, bucket);
    admin?.destroy();
    dir?.cleanup();
  });

  it('the server honours If-None-Match: * (412 on the second write, the first object and metadata kept)', async () => {
    const store = new S3Store({ endpoint: S3_ENDPOINT, region: 'us-east-1' });
    try {
      await store.put(bucket, 'once/a', Buffer.from('first'), { signature: 'aa' }, { createOnly: true });
      const second = await store.put(bucket, 'once/a', Buffer.from('second'), { signature: 'bb' }, { createOnly: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(second).toBeInstanceOf(StoreError);
      expect((second as StoreError).kind).toBe('Exists');
      expect((second as Error).message).toBe(`s3://${bucket}/once/a already exists (written by another signer)`);
      const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: 'once/a' }));
      expect(head.Metadata?.signature).toBe('aa');
      const body = await (await admin.send(new GetObjectCommand({ Bucket: bucket, Key: 'once/a' }))).Body!.transformToString();
      expect(body).toBe('first');
    } finally {
      store.destroy();
    }
  });

  it('three signer processes with no lock in common, each with its own key, end with one intact chain', async () => {
    const sim = await s3([
      'simulate',
      '--bucket',
      bucket,
      '--account',
      ACCOUNT,
      '--regions',
      'us-east-1',
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--hours',
      '12',
      '--files-per-hour',
      '2',
      '--records-per-file',
      '3',
    ]);
    expect(sim.status, sim.err).toBe(0);
    const stores = [join(dir.path, 'k1'), join(dir.path, 'k2'), join(dir.path, 'k3')];
    await copyKeyStore(TEST_KEYS, stores[0]!);
    for (const k of stores.slice(1)) await new KeyStore(k).create('us-east-1', parseDate('2024-04-01T00:00:00Z').clock, 365, 365);
    // Signers that share a chain trust each other's keys (sign --trust-public-keys): one that starts
    // after another wrote its first digests continues from them.
    const entries = (await Promise.all(stores.map((k) => new KeyStore(k).publicEntries()))).flat();
    writeFileSync(join(dir.path, 'keys.json'), formatPublicKeysJson(entries));
    const trust = ['--trust-public-keys', join(dir.path, 'keys.json')];
    const runs = await Promise.all(
      stores.map((k) => s3(['sign', '--keys-dir', k, ...trust, '--trail-arn', ARN, '--s3-bucket', bucket, '--until', '2024-05-01T12:00:00Z'])),
    );
    const notice =
      /^notice: another signer wrote s3:\/\/\S+ first: this run left the chain of 111122223333 us-east-1 to it from there \(nothing was overwritten; re-running sign continues after its digests\)$/;
    let losers = 0;
    for (const r of runs) {
      expect(r.status, r.err).toBe(0);
      for (const line of r.err.split('\n').filter((l) => l !== '' && !l.startsWith('rotated '))) {
        expect(line).toMatch(notice);
        losers++;
      }
    }
    // Whoever won each hour, the chain holds every hour once and validates with the three keys.
    const v = await s3([
      'validate-logs',
      '--trail-arn',
      ARN,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-05-01T12:00:00Z',
      '--s3-bucket',
      bucket,
      '--public-keys',
      join(dir.path, 'keys.json'),
    ]);
    expect(v.err).toBe('');
    expect(v.out).toContain('12/12 digest files valid');
    expect(v.out).toContain('24/24 log files valid');
    expect(v.status).toBe(0);
    expect(losers).toBeLessThanOrEqual(2);
  });

  it('keeps a witness in another bucket with Object Lock (s3://W/P): a deleted newest digest is chain-stops', async () => {
    const witnessBucket = uniqueBucket('witness');
    // Object Lock with a default retention: records cannot be deleted or overwritten before it ends.
    await admin.send(new CreateBucketCommand({ Bucket: witnessBucket, ObjectLockEnabledForBucket: true }));
    await admin.send(
      new PutObjectLockConfigurationCommand({
        Bucket: witnessBucket,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } } },
      }),
    );
    try {
      const keys = join(dir.path, 'k1');
      // The chain's head is whichever racing signer won: this one is told to trust all three (sign --trust-public-keys).
      const signed = await s3([
        'sign',
        '--keys-dir',
        keys,
        '--trust-public-keys',
        join(dir.path, 'keys.json'),
        '--trail-arn',
        ARN,
        '--s3-bucket',
        bucket,
        '--until',
        '2024-05-01T13:00:00Z',
        '--witness',
        `s3://${witnessBucket}/trail-heads`,
      ]);
      expect(signed.status, signed.err).toBe(0);
      const newest = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/05/01/${ACCOUNT}_CloudTrail-Digest_us-east-1_race_us-east-1_20240501T130000Z.json.gz`;
      const record = await admin.send(new GetObjectCommand({ Bucket: witnessBucket, Key: `trail-heads/${bucket}/${newest}.witness.json` }));
      expect(JSON.parse(await record.Body!.transformToString())).toMatchObject({ schema: 1, bucket, key: newest });
      const validate = () =>
        s3([
          'validate-logs',
          '--trail-arn',
          ARN,
          '--start-time',
          '2024-05-01T00:00:00Z',
          '--end-time',
          '2024-05-01T13:00:00Z',
          '--s3-bucket',
          bucket,
          '--public-keys',
          join(dir.path, 'keys.json'),
          '--witness',
          `s3://${witnessBucket}/trail-heads`,
        ]);
      const ok = await validate();
      expect(ok.err).toMatch(/^witness: the archive holds /);
      expect(ok.status).toBe(0);
      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: newest }));
      const gone = await validate();
      expect(gone.out).toContain('12/12 digest files valid'); // the AWS CLI's report cannot see the deletion
      expect(gone.err).toMatch(/^witness: chain-stops: the witness recorded s3:\/\/\S+_20240501T130000Z\.json\.gz .* but the archive does not have it/);
      expect(gone.status).toBe(1);
      // Every digest of the chain deleted: the audit no longer discovers it; the witness still names it.
      const digests = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `AWSLogs/${ACCOUNT}/CloudTrail-Digest/` }));
      for (const o of digests.Contents ?? []) await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key! }));
      const audited = await s3([
        'audit',
        '--s3-bucket',
        bucket,
        '--start-time',
        '2024-05-01T00:00:00Z',
        '--end-time',
        '2024-05-01T13:00:00Z',
        '--public-keys',
        join(dir.path, 'keys.json'),
        '--witness',
        `s3://${witnessBucket}/trail-heads`,
        '--output',
        'json',
      ]);
      const findings = audited.out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((o) => o.kind === 'finding' && o.code === 'chain-stops');
      expect(findings).toEqual([expect.objectContaining({ severity: 'error', account: ACCOUNT, trail: 'race', s3: `s3://${bucket}/${newest}` })]);
      expect(audited.status).toBe(1);
      const versions = await admin.send(new ListObjectVersionsCommand({ Bucket: witnessBucket }));
      const locked = versions.Versions?.[0];
      const retention = await admin.send(new GetObjectRetentionCommand({ Bucket: witnessBucket, Key: locked!.Key!, VersionId: locked!.VersionId! }));
      expect(retention.Retention?.Mode).toBe('GOVERNANCE');
    } finally {
      // Governance mode: the test's admin may bypass it to clean up.
      const versions = await admin.send(new ListObjectVersionsCommand({ Bucket: witnessBucket }));
      for (const v of versions.Versions ?? []) {
        await admin.send(new DeleteObjectCommand({ Bucket: witnessBucket, Key: v.Key!, VersionId: v.VersionId!, BypassGovernanceRetention: true }));
      }
      await removeBucket(admin, witnessBucket);
    }
  });

  it('signs objects of any layout under --logs-prefix by their LastModified (sign --logs-prefix on S3)', async () => {
    const appBucket = uniqueBucket('applogs');
    await createBucket(admin, appBucket);
    try {
      for (const name of ['app/a.log.gz', 'app/b.log.gz']) {
        await admin.send(new PutObjectCommand({ Bucket: appBucket, Key: name, Body: gzipSync(`line of ${name}\n`) }));
      }
      // S3 sets LastModified to now: sign up to the end of the next hour.
      const until = formatDisplay((Math.floor(nowMicros() / MICROS_PER_HOUR) + 2) * MICROS_PER_HOUR);
      const k = join(dir.path, 'k1');
      const appArn = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/app`;
      const r = await s3(['sign', '--keys-dir', k, '--trail-arn', appArn, '--s3-bucket', appBucket, '--logs-prefix', 'app/', '--until', until]);
      expect(r.status, r.err).toBe(0);
      expect(r.out).toMatch(/signed \d digests? \(2 log files\)/);
      const v = await s3([
        'validate-logs',
        '--trail-arn',
        appArn,
        '--start-time',
        formatDisplay(nowMicros() - 2 * MICROS_PER_HOUR),
        '--end-time',
        until,
        '--s3-bucket',
        appBucket,
        '--keys-dir',
        k,
      ]);
      expect(v.out).toContain('2/2 log files valid');
      expect(v.status, v.err).toBe(0);
    } finally {
      await removeBucket(admin, appBucket);
    }
  });
});

import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { tempDir } from '../helpers/cli.js';
import { adminClient, createBucket, NO_S3, removeBucket, runCliAsync, S3_ENDPOINT, uniqueBucket, uploadTree } from './helpers.js';

/**
 * Issue 4's acceptance on a real S3 server: simulate and sign straight into S3, validate from S3
 * (all valid), then tamper through the S3 API and see each change reported; and a trail of more than
 * 1000 digests in range (several listing pages) validated completely.
 */
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/s3-trail`;
const DIGESTS = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/05/01`;
const digestKey = (hhmmss: string) => `${DIGESTS}/${ACCOUNT}_CloudTrail-Digest_us-east-1_s3-trail_us-east-1_20240501T${hhmmss}Z.json.gz`;

describe.skipIf(NO_S3)('sign into S3, validate from S3', () => {
  let admin: S3Client;
  let bucket: string;
  let keys: { path: string; cleanup: () => void };
  const s3 = (args: string[]) => runCliAsync([...args, '--endpoint-url', S3_ENDPOINT!], { timeout: 120_000 });
  const validate = () =>
    s3([
      'validate-logs',
      '--trail-arn',
      ARN,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-05-01T04:00:00Z',
      '--s3-bucket',
      bucket,
      '--keys-dir',
      join(keys.path, 'keys'),
    ]);

  beforeAll(async () => {
    admin = adminClient();
    bucket = uniqueBucket('sign');
    await createBucket(admin, bucket);
    keys = tempDir();
    await copyKeyStore(TEST_KEYS, join(keys.path, 'keys'));
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
      '4',
      '--files-per-hour',
      '3',
      '--records-per-file',
      '10',
    ]);
    expect(sim.err).toBe('');
    expect(sim.status).toBe(0);
    const sign = await s3(['sign', '--keys-dir', join(keys.path, 'keys'), '--trail-arn', ARN, '--s3-bucket', bucket, '--until', '2024-05-01T04:00:00Z']);
    // The test keys rotate us-east-1 at 03:00.
    expect(sign.err).toBe(
      'rotated us-east-1 from key 7709b8c6cb2b405be24aa7bd0ef0f402 to eaa30b58a1a1b30b4bbc8ef13106ab69: digests from 2024-05-01T02:00:00Z on are signed with it\n',
    );
    expect(sign.out).toContain('signed 4 digests (12 log files)');
  }, 180_000);

  afterAll(async () => {
    if (admin && bucket) await removeBucket(admin, bucket);
    keys?.cleanup();
    admin?.destroy();
  });

  it('writes digests with the signature metadata and validates all valid', async () => {
    const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: digestKey('020000') }));
    expect(head.Metadata?.['signature-algorithm']).toBe('SHA256withRSA');
    expect(head.Metadata?.signature).toMatch(/^[0-9a-f]{512}$/);
    const r = await validate();
    expect(r.err).toBe('');
    expect(r.out).toContain('4/4 digest files valid\n12/12 log files valid\n');
    expect(r.status).toBe(0);
  });

  it('signing again writes nothing', async () => {
    const again = await s3(['sign', '--keys-dir', join(keys.path, 'keys'), '--trail-arn', ARN, '--s3-bucket', bucket, '--until', '2024-05-01T04:00:00Z']);
    expect(again.out).toContain('nothing to sign');
  });

  it("export-signatures copies every digest's metadata into a local copy (newest included)", async () => {
    const copy = tempDir();
    try {
      const e = await s3([
        'export-signatures',
        '--trail-arn',
        ARN,
        '--start-time',
        '2024-05-01T00:00:00Z',
        '--end-time',
        '2024-05-01T04:00:00Z',
        '--s3-bucket',
        bucket,
        '--local-root',
        copy.path,
        '--with-digests',
      ]);
      expect(e.err).toBe('');
      expect(e.out).toContain('exported the metadata of 4 digest files');
      for (const t of ['010000', '020000', '030000', '040000']) {
        const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: digestKey(t) }));
        const sidecar = JSON.parse(readFileSync(join(copy.path, bucket, `${digestKey(t)}.metadata.json`), 'utf8')) as Record<string, string>;
        expect(sidecar).toEqual(head.Metadata);
        expect(existsSync(join(copy.path, bucket, digestKey(t)))).toBe(true);
      }
    } finally {
      copy.cleanup();
    }
  });

  it('reports each change made through the S3 API', async () => {
    const get = async (key: string) => {
      const o = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return { body: Buffer.from(await o.Body!.transformToByteArray()), metadata: o.Metadata ?? {} };
    };
    // A log changed: one record edited, re-gzipped.
    const digest = JSON.parse(gunzipSync((await get(digestKey('030000'))).body).toString('utf8')) as { logFiles: Array<{ s3Object: string }> };
    const logKey = digest.logFiles[0]!.s3Object;
    const log = await get(logKey);
    await admin.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: logKey,
        Body: gzipSync(
          gunzipSync(log.body)
            .toString('utf8')
            .replace(/"eventName":"[A-Za-z]+"/, '"eventName":"DeleteTrail"'),
        ),
      }),
    );
    // A digest's signature corrupted: the object copied onto itself with new metadata.
    const signed = await get(digestKey('040000'));
    const bad = signed.metadata.signature!.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    await admin.send(
      new CopyObjectCommand({
        Bucket: bucket,
        Key: digestKey('040000'),
        CopySource: `${bucket}/${digestKey('040000')}`,
        MetadataDirective: 'REPLACE',
        Metadata: { ...signed.metadata, signature: bad },
      }),
    );
    // A digest deleted.
    await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: digestKey('020000') }));

    // The walk (behaviour §3): 04:00 fails, the listing leads to 03:00 (valid, its tampered log),
    // whose previous digest 02:00 is not found; the listing then leads to 01:00.
    const r = await validate();
    expect(r.status).toBe(1);
    expect(r.err).toBe(
      `Digest file\ts3://${bucket}/${digestKey('040000')}\tINVALID: signature verification failed\n\n` +
        `Log file\ts3://${bucket}/${logKey}\tINVALID: hash value doesn't match\n\n` +
        `Digest file\ts3://${bucket}/${digestKey('020000')}\tINVALID: not found\n\n`,
    );
    expect(r.out).toContain('2/4 digest files valid, 2/4 digest files INVALID\n');
  });
});

describe.skipIf(NO_S3)('more than 1000 digests in range', () => {
  let admin: S3Client;
  let bucket: string;
  let work: { path: string; cleanup: () => void };
  const HOURS = 1010;

  beforeAll(async () => {
    admin = adminClient();
    bucket = uniqueBucket('pages');
    await createBucket(admin, bucket);
    work = tempDir();
    await copyKeyStore(TEST_KEYS, join(work.path, 'keys'));
    // Signed on a local root (fast), then uploaded with the metadata: 1010 digests and 1010 logs.
    const { runCli } = await import('../helpers/cli.js');
    const root = join(work.path, 'root');
    expect(
      runCli([
        'simulate',
        '--local-root',
        root,
        '--bucket',
        bucket,
        '--account',
        ACCOUNT,
        '--regions',
        'us-east-1',
        '--start-time',
        '2024-05-01T00:00:00Z',
        '--hours',
        String(HOURS),
        '--files-per-hour',
        '1',
        '--records-per-file',
        '1',
      ]).status,
    ).toBe(0);
    expect(
      runCli([
        'sign',
        '--keys-dir',
        join(work.path, 'keys'),
        '--trail-arn',
        ARN,
        '--s3-bucket',
        bucket,
        '--local-root',
        root,
        '--until',
        '2024-06-12T02:00:00Z',
      ]).status,
    ).toBe(0);
    expect(await uploadTree(admin, join(root, bucket), bucket)).toBe(2 * HOURS);
  }, 300_000);

  afterAll(async () => {
    if (admin && bucket) await removeBucket(admin, bucket);
    work?.cleanup();
    admin?.destroy();
  });

  it('reads every page of the listing: the same report as the local copy', async () => {
    const args = [
      'validate-logs',
      '--trail-arn',
      ARN,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-06-12T02:00:00Z',
      '--s3-bucket',
      bucket,
      '--keys-dir',
      join(work.path, 'keys'),
    ];
    const fromS3 = await runCliAsync([...args, '--endpoint-url', S3_ENDPOINT!], { timeout: 240_000 });
    const local = await runCliAsync([...args, '--local-root', join(work.path, 'root')], { timeout: 240_000 });
    expect(fromS3.err).toBe('');
    expect(fromS3.out).toContain(`${HOURS}/${HOURS} digest files valid\n${HOURS}/${HOURS} log files valid\n`);
    expect(fromS3.out).toBe(local.out);
    expect(fromS3.status).toBe(0);
  }, 300_000);
});

import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';
import { adminClient, createBucket, NO_S3, removeBucket, runCliAsync, S3_ENDPOINT, uniqueBucket, uploadTree } from './helpers.js';

/**
 * Issue 15: a run on S3 that meets no error loads nothing of the S3 client (GetBucketLocation,
 * ListObjects and GetObject take the fast path; credentials from the environment need no provider),
 * and gives the report of the local copy, byte for byte. Whatever the fast path does not take goes
 * to the SDK, loaded then: a missing log (a 404) loads it, and the report is still the local one.
 * Seen from outside, in the built CLI: a module hook records every SDK specifier resolved.
 */
const PRELOAD = join(ROOT, 'test', 'helpers', 'sdk-imports-preload.mjs');
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/startup`;

function walk(d: string): string[] {
  return readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
}

describe.skipIf(NO_S3)('start-up on S3', () => {
  const bucket = uniqueBucket('startup');
  const dir = tempDir('trailproof-startup-');
  const root = join(dir.path, 'root');
  const keys = join(dir.path, 'keys');
  let admin: S3Client;

  const cli = (args: string[]) => {
    const r = runCli(args, { timeout: 120_000 });
    if (r.status !== 0) throw new Error(`${args[0]} failed: ${r.err}`);
  };

  beforeAll(async () => {
    admin = adminClient();
    cli(
      ['simulate', '--local-root', root, '--bucket', bucket, '--account', ACCOUNT, '--regions', 'us-east-1', '--start-time', '2024-05-01T00:00:00Z'].concat([
        '--hours',
        '3',
        '--files-per-hour',
        '4',
        '--records-per-file',
        '3',
        '--seed',
        '5',
      ]),
    );
    cli(['keys', 'create', '--keys-dir', keys, '--region', 'us-east-1', '--valid-from', '2024-04-30T00:00:00Z']);
    cli([
      'sign',
      '--keys-dir',
      keys,
      '--trail-arn',
      ARN,
      '--s3-bucket',
      bucket,
      '--regions',
      'us-east-1',
      '--local-root',
      root,
      '--until',
      '2024-05-01T03:00:00Z',
    ]);
    await createBucket(admin, bucket);
    await uploadTree(admin, join(root, bucket), bucket);
  }, 180_000);

  afterAll(async () => {
    await removeBucket(admin, bucket);
    admin.destroy();
    dir.cleanup();
  });

  const window = ['--trail-arn', ARN, '--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-01T03:00:00Z', '--s3-bucket', bucket, '--keys-dir', keys];

  /** validate-logs from S3 with the import hook: its output and the SDK specifiers it resolved. */
  const fromS3 = async () => {
    const file = join(dir.path, `imports-${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(file, '');
    const r = await runCliAsync(['validate-logs', ...window, '--endpoint-url', S3_ENDPOINT!, '--verbose'], {
      timeout: 120_000,
      env: { NODE_OPTIONS: `--import=${PRELOAD}`, TRAILPROOF_TEST_SDK_IMPORTS: file, AWS_REGION: 'us-east-1', TRAILPROOF_S3_SDK_ONLY: '' },
    });
    const sdk = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    return { ...r, sdk };
  };
  const local = () => runCli(['validate-logs', ...window, '--local-root', root, '--verbose'], { timeout: 120_000 });

  it('loads nothing of the S3 client or the credential chain, and reports what the local copy reports', async () => {
    const s3 = await fromS3();
    const expected = local();
    expect(s3.err).toBe('');
    expect(s3.status).toBe(0);
    expect(s3.out).toBe(expected.out);
    expect(s3.out).toMatch(/12\/12 log files valid/);
    expect(s3.sdk).not.toContain('@aws-sdk/client-s3');
    expect(s3.sdk).not.toContain('@aws-sdk/credential-provider-node');
  });

  it('loads the S3 client for what the fast path does not take (a 404), with the same report as the local copy', async () => {
    const logs = join(root, bucket, 'AWSLogs', ACCOUNT, 'CloudTrail');
    const victim = walk(logs).sort()[0]!;
    const key = victim
      .slice(join(root, bucket).length + 1)
      .split(sep)
      .join('/');
    await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    rmSync(victim);
    const s3 = await fromS3();
    const expected = local();
    expect(s3.status).toBe(1);
    expect(s3.out).toBe(expected.out);
    // The AWS CLI writes INVALID lines to stderr.
    expect(s3.err).toBe(expected.err);
    expect(s3.err.split('\n').find((line) => line.includes(key))).toMatch(/INVALID: not found$/);
    expect(s3.sdk).toContain('@aws-sdk/client-s3');
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type CliResult } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { adminClient, createBucket, emptyBucket, NO_S3, removeBucket, runCliAsync as runCli, S3_ENDPOINT, uploadTree } from './helpers.js';
import { startMockCloudTrail, type MockAnswer, type MockCall, type MockCloudTrail } from './mock-cloudtrail.js';

/**
 * The reference vectors again, but read from a real S3 server instead of --local-root: every case's
 * objects are uploaded with their sidecars as user metadata, then the built CLI must print what
 * aws-cli 1.45.x printed, byte for byte, with the same exit code. Once with --public-keys, once with
 * the keys from ListPublicKeys (a local stand-in for CloudTrail answering with the same keys).
 */
const VECTORS = join(ROOT, 'test', 'vectors');
const SUITES = [
  // Made by an independent implementation, answered by the AWS CLI itself.
  { name: 'reference vectors', dir: VECTORS, min: 8 },
  // Made by trailproof's own simulate + sign: the local and S3 runs must not differ.
  { name: 'fixtures', dir: join(ROOT, 'fixtures'), min: 0 },
].map((s) => ({ ...s, cases: existsSync(s.dir) ? readdirSync(s.dir).filter((c) => existsSync(join(s.dir, c, 'expected'))) : [] }));

interface Spec {
  args: string[];
  local_root: string;
  public_keys: string;
}

function spec(c: string, mode: string, dir = VECTORS): Spec {
  return JSON.parse(readFileSync(join(dir, c, 'expected', `${mode}.args.json`), 'utf8')) as Spec;
}

/** A keys file's entries as CloudTrail's JSON API sends them (timestamps in epoch seconds). */
interface ApiKey {
  Value: string;
  Fingerprint: string;
  ValidityStartTime: number;
  ValidityEndTime: number;
}
function apiKeys(file: string): ApiKey[] {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { PublicKeyList: Array<Record<string, string | number>> };
  const seconds = (v: string | number) => (typeof v === 'number' ? v : /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v) / 1000);
  return doc.PublicKeyList.map((k) => ({
    Value: String(k.Value),
    Fingerprint: String(k.Fingerprint),
    ValidityStartTime: seconds(k.ValidityStartTime!),
    ValidityEndTime: seconds(k.ValidityEndTime!),
  }));
}

/**
 * validate-logs against the server: in-process (the same dispatcher as the CLI, from the sources)
 * unless the run needs its own environment (ListPublicKeys from the stand-in CloudTrail); the
 * spawned runs below keep the process-level behaviours covered.
 */
function s3Run(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  const argv = ['validate-logs', ...args, '--endpoint-url', S3_ENDPOINT!];
  return env ? runCli(argv, { timeout: 60_000, env }) : runInProcess(argv, { timeoutMs: 60_000 });
}

function expectSame(actual: CliResult, expected: { stdout: Buffer; stderr: Buffer; status: number | null }): void {
  expect(actual.out).toBe(expected.stdout.toString('utf8'));
  expect(actual.err).toBe(expected.stderr.toString('utf8'));
  expect(actual.stdout.equals(expected.stdout)).toBe(true);
  expect(actual.stderr.equals(expected.stderr)).toBe(true);
  expect(actual.status).toBe(expected.status);
}

/** Empties (or creates) each bucket folder of a case's root and uploads it. */
async function loadCase(admin: S3Client, root: string): Promise<string[]> {
  const buckets = readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name);
  for (const bucket of buckets) {
    await createBucket(admin, bucket);
    await emptyBucket(admin, bucket);
    await uploadTree(admin, join(root, bucket), bucket);
  }
  return buckets;
}

describe.skipIf(NO_S3)('reference vectors read from S3', () => {
  let admin: S3Client;
  const used = new Set<string>();
  // CloudTrail and Organizations: what the stand-in answers for the case under test.
  let cloudTrail: MockCloudTrail;
  let keys: ApiKey[] = [];
  let trailList: unknown[] = [];
  const answer = (call: MockCall): MockAnswer => {
    switch (call.operation) {
      case 'ListPublicKeys': {
        // The keys whose validity overlaps [StartTime, EndTime], as CloudTrail selects them.
        const from = Number(call.body.StartTime);
        const to = Number(call.body.EndTime);
        return { body: { PublicKeyList: keys.filter((k) => k.ValidityStartTime <= to && k.ValidityEndTime >= from) } };
      }
      case 'DescribeTrails':
        return { body: { trailList } };
      case 'DescribeOrganization':
        return { body: { Organization: { Id: 'o-exampleorgid' } } };
      default:
        return { status: 400, error: 'InvalidAction', message: call.operation };
    }
  };
  const awsEnv = (): NodeJS.ProcessEnv => ({ AWS_ENDPOINT_URL_CLOUDTRAIL: cloudTrail.endpoint, AWS_ENDPOINT_URL_ORGANIZATIONS: cloudTrail.endpoint });

  beforeAll(async () => {
    admin = adminClient();
    cloudTrail = await startMockCloudTrail(answer);
  });
  afterAll(async () => {
    await cloudTrail?.close();
    if (!admin) return;
    for (const bucket of used) await removeBucket(admin, bucket);
    admin.destroy();
  });

  // One case at a time: the cases of a suite share their bucket names.
  for (const suite of SUITES) {
    describe(suite.name, () => {
      it('are all present', () => {
        expect(suite.cases.length).toBeGreaterThanOrEqual(suite.min);
      });
      for (const c of suite.cases) {
        describe(c, () => {
          beforeAll(async () => {
            for (const b of await loadCase(admin, join(suite.dir, c, spec(c, 'default', suite.dir).local_root))) used.add(b);
          });
          for (const mode of ['default', 'verbose']) {
            const s = spec(c, mode, suite.dir);
            const exp = join(suite.dir, c, 'expected');
            const expected = () => ({
              stdout: readFileSync(join(exp, `${mode}.stdout`)),
              stderr: readFileSync(join(exp, `${mode}.stderr`)),
              status: Number(readFileSync(join(exp, `${mode}.rc`), 'utf8')),
            });
            it(`${mode}: same stdout, stderr and exit code as expected`, async () => {
              expectSame(await s3Run([...s.args, '--public-keys', join(suite.dir, c, s.public_keys)]), expected());
            });
            it(`${mode}, public keys from ListPublicKeys: the same`, async () => {
              keys = apiKeys(join(suite.dir, c, s.public_keys));
              expectSame(await s3Run(s.args, awsEnv()), expected());
            });
          }
        });
      }
    });
  }

  describe('S3 and --local-root agree', () => {
    const c = 'gap';
    const s = spec(c, 'verbose');
    const root = join(VECTORS, c, s.local_root);
    const keys = ['--public-keys', join(VECTORS, c, s.public_keys)];
    const withOption = (args: string[], name: string, value: string) => {
      const i = args.indexOf(name);
      return i < 0 ? [...args, name, value] : [...args.slice(0, i + 1), value, ...args.slice(i + 2)];
    };
    const both = async (args: string[]) => {
      const local = await runInProcess(['validate-logs', ...args, ...keys, '--local-root', root]);
      const remote = await s3Run([...args, ...keys]);
      expectSame(remote, local);
      return remote;
    };

    beforeAll(async () => {
      for (const b of await loadCase(admin, root)) used.add(b);
    });

    it('on a bucket that does not exist', async () => {
      const r = await both(withOption(s.args, '--s3-bucket', 'trailproof-no-such-bucket-404'));
      expect(r.status).toBe(255);
      expect(r.err).toBe('\nAn error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist\n');
    });

    it('on a prefix that holds nothing', async () => {
      await both([...s.args, '--s3-prefix', 'elsewhere']);
    });

    it('on a narrower window', async () => {
      await both(withOption(withOption(s.args, '--start-time', '2024-02-29T00:00:00Z'), '--end-time', '2024-02-29T02:00:00Z'));
    });

    it('on another source region', async () => {
      await both([...s.args, '--region', 'us-west-2']);
    });
  });

  describe('bucket and prefix from DescribeTrails', () => {
    const c = 'clean';
    const s = spec(c, 'default');
    const exp = join(VECTORS, c, 'expected');
    const arn = s.args[s.args.indexOf('--trail-arn') + 1]!;
    const withoutBucket = (() => {
      const i = s.args.indexOf('--s3-bucket');
      return [...s.args.slice(0, i), ...s.args.slice(i + 2)];
    })();

    beforeAll(async () => {
      for (const b of await loadCase(admin, join(VECTORS, c, s.local_root))) used.add(b);
    });

    it('reads the trail the AWS CLI would find', async () => {
      trailList = [
        { Name: 'x', TrailARN: arn.replace(/trail\/.*/, 'trail/x'), S3BucketName: 'elsewhere' },
        { Name: 'oracle-trail', TrailARN: arn, S3BucketName: 'oracle-trail-bucket', IsOrganizationTrail: false },
      ];
      keys = apiKeys(join(VECTORS, c, s.public_keys));
      const r = await s3Run(withoutBucket, awsEnv());
      expectSame(r, {
        stdout: readFileSync(join(exp, 'default.stdout')),
        stderr: readFileSync(join(exp, 'default.stderr')),
        status: Number(readFileSync(join(exp, 'default.rc'), 'utf8')),
      });
    });

    it('stops when the trail is not there', async () => {
      trailList = [];
      const r = await s3Run(withoutBucket, awsEnv());
      expect(r.status).toBe(255);
      expect(r.err).toBe(`\nA trail could not be found for ${arn}\n`);
      expect(r.out).toBe('');
    });

    it('asks for --account-id, then Organizations, for an organization trail', async () => {
      trailList = [{ Name: 'oracle-trail', TrailARN: arn, S3BucketName: 'oracle-trail-bucket', IsOrganizationTrail: true }];
      const missing = await s3Run(withoutBucket, awsEnv());
      expect(missing.status).toBe(255);
      expect(missing.err).toBe("\nMissing required parameter for organization trail: '--account-id'\n");
      cloudTrail.calls.length = 0;
      // The digests sit under AWSLogs/<account>/, not AWSLogs/o-exampleorgid/<account>/: none found.
      const r = await s3Run([...withoutBucket, '--account-id', '123456789012'], awsEnv());
      expect(cloudTrail.calls.map((x) => x.operation)).toContain('DescribeOrganization');
      expect(r.status).toBe(0);
      expect(r.out).toContain('No digests found');
    });
  });

  describe('failures stop within seconds with one line on stderr', () => {
    const c = 'clean';
    const s = spec(c, 'default');
    const args = ['validate-logs', ...s.args, '--public-keys', join(VECTORS, c, s.public_keys)];
    const oneLine = /^\n[^\n]+\n$/;

    it('an endpoint nobody listens on', async () => {
      const t0 = Date.now();
      const r = await runCli([...args, '--endpoint-url', 'http://127.0.0.1:1'], { timeout: 30_000 });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(r.status).toBe(255);
      expect(r.err).toMatch(oneLine);
      expect(r.err).toMatch(/Could not connect to the endpoint URL: "http:\/\/127\.0\.0\.1:1\//);
    });

    it('credentials the server does not know', async () => {
      const t0 = Date.now();
      const r = await runCli([...args, '--endpoint-url', S3_ENDPOINT!], {
        timeout: 30_000,
        env: { AWS_ACCESS_KEY_ID: 'AKIDNOTAREALKEY00000', AWS_SECRET_ACCESS_KEY: 'not-a-real-secret', AWS_SESSION_TOKEN: '', AWS_PROFILE: '' },
      });
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(r.status).toBe(255);
      expect(r.err).toMatch(oneLine);
      expect(r.err).toMatch(/An error occurred \((InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied)\) when calling the \w+ operation: \S/);
    });

    it('an endpoint that is not a URL', async () => {
      const r = await runCli([...args, '--endpoint-url', 'localhost:7480']);
      expect(r.status).toBe(255);
      expect(r.err).toMatch(oneLine);
      expect(r.err).toContain('Bad value for --endpoint-url "localhost:7480"');
    });
  });
});

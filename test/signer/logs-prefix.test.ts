import { mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * Issue 14: `sign --logs-prefix` signs logs that do not follow CloudTrail's naming or record format
 * (here nginx access logs and an application's JSON records), delivered at their last-modified time,
 * into digests in CloudTrail's layout that validate-logs and audit check unchanged.
 */
const BUCKET = 'app-logs';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/app`;

let dir: { path: string; cleanup: () => void };
let root: string;
let keys: string;

function put(key: string, content: string, modified: string): void {
  const path = join(root, BUCKET, key);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gzipSync(content));
  const t = new Date(modified);
  utimesSync(path, t, t);
}

const nginx = (n: number) => `203.0.113.${n} - - [01/May/2024:00:${String(n).padStart(2, '0')}:00 +0000] "GET /x HTTP/1.1" 200 12 "-" "curl"\n`.repeat(5);

const sign = (until: string, extra: string[] = []) =>
  runInProcess([
    'sign',
    '--keys-dir',
    keys,
    '--trail-arn',
    ARN,
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--logs-prefix',
    'logs/',
    '--until',
    until,
    ...extra,
  ]);
const validate = (end: string) =>
  runInProcess([
    'validate-logs',
    '--trail-arn',
    ARN,
    '--start-time',
    '2024-05-01T00:00:00Z',
    '--end-time',
    end,
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--keys-dir',
    keys,
  ]);

function digests(): Array<{ digestStartTime: string; logFiles: Array<{ s3Object: string; newestEventTime: string | null; oldestEventTime: string | null }> }> {
  const folder = join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
  return readdirSync(folder)
    .filter((n) => n.endsWith('.json.gz'))
    .sort()
    .map((n) => JSON.parse(gunzipSync(readFileSync(join(folder, n))).toString('utf8')));
}

beforeAll(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  keys = join(dir.path, 'keys');
  await copyKeyStore(TEST_KEYS, keys);
  put('logs/nginx/access.log.1.gz', nginx(1), '2024-05-01T00:20:00Z');
  put('logs/nginx/access.log.2.gz', nginx(2), '2024-05-01T01:20:00Z');
  put(
    'logs/app/2024-05-01T00.json.gz',
    JSON.stringify({ Records: [{ eventTime: '2024-05-01T00:05:00Z' }, { eventTime: '2024-05-01T00:55:00Z' }] }),
    '2024-05-01T00:58:00Z',
  );
  put('logs/flow/eni-1.log.gz', 'version account-id interface-id srcaddr\n2 111122223333 eni-1 10.0.0.1\n', '2024-05-01T01:45:00Z');
  put('other/not-signed.log.gz', 'x', '2024-05-01T00:30:00Z'); // outside the prefix
});

afterAll(() => dir?.cleanup());

describe('sign --logs-prefix', () => {
  it('signs every object under the prefix by last-modified time, event times only from CloudTrail-like JSON', async () => {
    const r = await sign('2024-05-01T02:00:00Z');
    expect(r.err).toBe('');
    expect(r.out).toBe(`${ACCOUNT} us-east-1: signed 2 digests (4 log files) from 2024-05-01T00:00:00Z to 2024-05-01T02:00:00Z\n`);
    expect(r.status).toBe(0);
    const [first, second] = digests();
    expect(first!.logFiles.map((l) => [l.s3Object, l.oldestEventTime, l.newestEventTime])).toEqual([
      ['logs/nginx/access.log.1.gz', null, null],
      ['logs/app/2024-05-01T00.json.gz', '2024-05-01T00:05:00Z', '2024-05-01T00:55:00Z'],
    ]);
    expect(second!.logFiles.map((l) => l.s3Object)).toEqual(['logs/nginx/access.log.2.gz', 'logs/flow/eni-1.log.gz']);
  });

  it('gives digests validate-logs and audit check unchanged: all valid', async () => {
    const v = await validate('2024-05-01T02:00:00Z');
    expect(v.err).toBe('');
    expect(v.out).toContain('2/2 digest files valid');
    expect(v.out).toContain('4/4 log files valid');
    expect(v.status).toBe(0);
    const a = await runInProcess([
      'audit',
      '--s3-bucket',
      BUCKET,
      '--local-root',
      root,
      '--keys-dir',
      keys,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-05-01T02:00:00Z',
    ]);
    expect(a.out).toContain('0 errors, 0 warnings');
    expect(a.status).toBe(0);
  });

  it('takes a late object (modified in an hour already signed) into the next digest, and a changed log is INVALID', async () => {
    put('logs/nginx/late.log.gz', nginx(3), '2024-05-01T01:30:00Z');
    const r = await sign('2024-05-01T03:00:00Z');
    expect(r.out).toBe(`${ACCOUNT} us-east-1: signed 1 digest (1 log file) from 2024-05-01T02:00:00Z to 2024-05-01T03:00:00Z\n`);
    expect(digests()[2]!.logFiles.map((l) => l.s3Object)).toEqual(['logs/nginx/late.log.gz']);
    expect((await validate('2024-05-01T03:00:00Z')).status).toBe(0);
    put('logs/nginx/access.log.1.gz', nginx(9), '2024-05-01T00:20:00Z');
    const v = await validate('2024-05-01T03:00:00Z');
    expect(v.out).toContain('4/5 log files valid, 1/5 log files INVALID');
    expect(v.err).toContain("Log file\ts3://app-logs/logs/nginx/access.log.1.gz\tINVALID: hash value doesn't match");
    expect(v.status).toBe(1);
  });

  it('skips an object that is not gzip (validate-logs hashes the uncompressed content), naming it', async () => {
    const path = join(root, BUCKET, 'logs', 'plain.log');
    writeFileSync(path, 'plain text\n');
    const t = new Date('2024-05-01T03:10:00Z');
    utimesSync(path, t, t);
    const r = await sign('2024-05-01T04:00:00Z');
    expect(r.err).toMatch(/^warning: not signing s3:\/\/app-logs\/logs\/plain\.log: it is not a complete gzip file/);
    expect(r.status).toBe(1);
  });

  it('signs one chain: several regions or a prefix holding the digests are refused', async () => {
    const many = await sign('2024-05-01T04:00:00Z', ['--regions', 'us-east-1,eu-west-1']);
    expect(many.err).toMatch(/--logs-prefix signs one chain/);
    expect(many.status).toBe(2);
    const all = await runInProcess([
      'sign',
      '--keys-dir',
      keys,
      '--trail-arn',
      ARN,
      '--s3-bucket',
      BUCKET,
      '--local-root',
      root,
      '--logs-prefix',
      'AWSLogs/',
      '--until',
      '2024-05-01T04:00:00Z',
    ]);
    expect(all.err).toMatch(/would take in the digests/);
    expect(all.status).toBe(255);
  });
});

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDate } from '../../src/format/time.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/** Issue 14, operating: `sign --dry-run` says what a run would sign and which keys it would rotate, and writes nothing. */
const BUCKET = 'dry-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/dry`;

let dir: { path: string; cleanup: () => void };
let root: string;
let keys: string;

beforeAll(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  keys = join(dir.path, 'keys');
  // A key that reaches its rotation point at 02:00, inside the range signed.
  const k = await runInProcess(['keys', 'create', '--keys-dir', keys, '--region', 'us-east-1', '--valid-from', '2024-04-30T02:00:00Z', '--rotation-days', '1']);
  expect(k.status, k.err).toBe(0);
  await simulateDelivery(new LocalStore(root), {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: parseDate('2024-05-01T00:00:00Z').clock,
    hours: 4,
    filesPerHour: 2,
    recordsPerFile: 3,
    seed: 'dry',
  });
});

afterAll(() => dir?.cleanup());

const sign = (extra: string[]) =>
  runInProcess(['sign', '--keys-dir', keys, '--trail-arn', ARN, '--s3-bucket', BUCKET, '--local-root', root, '--until', '2024-05-01T04:00:00Z', ...extra]);

describe('sign --dry-run', () => {
  it('names the windows and the key rotation, and writes no digest, key or lock', async () => {
    const keyFiles = readdirSync(join(keys, 'us-east-1')).sort();
    const dry = await sign(['--dry-run', '--witness', join(dir.path, 'witness')]);
    expect(dry.out).toBe(`${ACCOUNT} us-east-1: would sign 4 digests (8 log files) from 2024-05-01T00:00:00Z to 2024-05-01T04:00:00Z\n`);
    const fingerprint = keyFiles[0]!.split('.')[0]!;
    expect(dry.err).toBe(
      `dry run: would create a key for us-east-1, valid from 2024-05-01T02:00:00Z to 2024-05-31T02:00:00Z (successor of ${fingerprint})\n` +
        `dry run: would rotate us-east-1 from key ${fingerprint} to new key from 2024-05-01T02:00:00Z: digests from 2024-05-01T01:00:00Z on are signed with it\n`,
    );
    expect(dry.status).toBe(0);
    expect(existsSync(join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest'))).toBe(false);
    expect(readdirSync(join(keys, 'us-east-1')).sort()).toEqual(keyFiles);
    expect(existsSync(join(keys, '.locks'))).toBe(false);
    expect(existsSync(join(dir.path, 'witness'))).toBe(false);

    // The real run then does what the dry run said.
    const real = await sign([]);
    expect(real.out).toBe(dry.out.replace('would sign', 'signed'));
    expect(real.err).toMatch(/^created key [0-9a-f]{32} for us-east-1, valid from 2024-05-01T02:00:00Z to 2024-05-31T02:00:00Z \(successor of /);
    expect(real.status).toBe(0);
  });

  it('warns, with the command, about regions with log files that --regions leaves out', async () => {
    await simulateDelivery(new LocalStore(root), {
      bucket: BUCKET,
      account: ACCOUNT,
      regions: ['ap-south-1'],
      start: parseDate('2024-05-01T00:00:00Z').clock,
      hours: 1,
      filesPerHour: 1,
      recordsPerFile: 1,
      seed: 'dry2',
    });
    const r = await sign(['--regions', 'us-east-1', '--dry-run']);
    expect(r.err).toBe(
      `warning: log files of 1 other region(s) under s3://${BUCKET}/AWSLogs/${ACCOUNT}/CloudTrail/ are not signed (ap-south-1): they are not in --regions us-east-1. ` +
        `Sign them too with: trailproof sign --keys-dir ${keys} --trail-arn ${ARN} --s3-bucket ${BUCKET} --local-root ${root} --until 2024-05-01T04:00:00Z --dry-run --regions us-east-1,ap-south-1\n`,
    );
    expect(r.out).toBe(`${ACCOUNT} us-east-1: nothing to sign\n`);
  });
});

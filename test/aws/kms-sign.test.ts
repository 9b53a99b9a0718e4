import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDate } from '../../src/format/time.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { startLocalKms, type LocalKms } from '../helpers/kms-server.js';

/**
 * Issue 14: keys in AWS KMS, through @aws-sdk/client-kms, against a local endpoint speaking KMS's
 * JSON protocol (test/helpers/kms-server.ts: GetPublicKey and Sign with keys held there). Register two
 * KMS keys (a rotation inside the range), sign, validate all valid; and the failures a user can meet.
 */
const BUCKET = 'kms-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/kms`;

let kms: LocalKms;
let dir: { path: string; cleanup: () => void };
let keys: string;
let root: string;

beforeAll(async () => {
  kms = await startLocalKms();
  // The CLI reads these (src/cli/key-backends.ts); this file runs in a process of its own.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KMS: kms.endpoint,
    AWS_ACCESS_KEY_ID: 'AKIDTESTTESTTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
    AWS_REGION: 'us-east-1',
  });
  dir = tempDir();
  keys = join(dir.path, 'keys');
  root = join(dir.path, 'root');
  await simulateDelivery(new LocalStore(root), {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: parseDate('2024-05-01T00:00:00Z').clock,
    hours: 4,
    filesPerHour: 2,
    recordsPerFile: 5,
    seed: 'kms',
  });
}, 120_000);

afterAll(async () => {
  await kms?.close();
  dir?.cleanup();
});

const register = (keyId: string, extra: string[] = [], keysDir = keys) =>
  runInProcess(['keys', 'register', '--keys-dir', keysDir, '--region', 'us-east-1', '--kms-key-id', keyId, ...extra]);

describe('AWS KMS keys (local KMS endpoint)', () => {
  it('registers two KMS keys, signs with them (rotation inside the range) and validates all valid', async () => {
    const a = kms.addRsaKey('1234abcd-0000-0000-0000-00000000000a');
    const b = kms.addRsaKey('1234abcd-0000-0000-0000-00000000000b');
    const ra = await register(a.arn, ['--valid-from', '2024-05-01T00:00:00Z']);
    expect(ra.status, ra.err).toBe(0);
    expect(ra.out).toMatch(new RegExp(`^us-east-1\\t[0-9a-f]{32}\\tvalid 2024-05-01T00:00:00Z to 2024-05-31T00:00:00Z\\tAWS KMS ${a.arn}\\n$`));
    const rb = await register(b.arn, ['--valid-from', '2024-05-01T02:00:00Z']);
    expect(rb.status, rb.err).toBe(0);
    expect(kms.calls).toContain('TrentService.Sign'); // the registration's probe

    const sign = await runInProcess([
      'sign',
      '--keys-dir',
      keys,
      '--trail-arn',
      ARN,
      '--s3-bucket',
      BUCKET,
      '--local-root',
      root,
      '--until',
      '2024-05-01T04:00:00Z',
    ]);
    expect(sign.out).toBe(`${ACCOUNT} us-east-1: signed 4 digests (8 log files) from 2024-05-01T00:00:00Z to 2024-05-01T04:00:00Z\n`);
    expect(sign.err).toMatch(
      /^rotated us-east-1 from key [0-9a-f]{32} to [0-9a-f]{32} \(AWS KMS\): digests from 2024-05-01T01:00:00Z on are signed with it\n$/,
    );
    expect(sign.status).toBe(0);
    const folder = join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
    const used = readdirSync(folder)
      .filter((n) => n.endsWith('.json.gz'))
      .map(
        (n) => (JSON.parse(gunzipSync(readFileSync(join(folder, n))).toString('utf8')) as { digestPublicKeyFingerprint: string }).digestPublicKeyFingerprint,
      );
    expect(new Set(used)).toEqual(new Set([ra.out.split('\t')[1], rb.out.split('\t')[1]]));

    const published = await runInProcess([
      'list-public-keys',
      '--keys-dir',
      keys,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-05-01T04:00:00Z',
    ]);
    writeFileSync(join(dir.path, 'keys.json'), published.out);
    const v = await runInProcess([
      'validate-logs',
      '--trail-arn',
      ARN,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-05-01T04:00:00Z',
      '--s3-bucket',
      BUCKET,
      '--local-root',
      root,
      '--public-keys',
      join(dir.path, 'keys.json'),
    ]);
    expect(v.err).toBe('');
    expect(v.out).toContain('4/4 digest files valid');
    expect(v.out).toContain('8/8 log files valid');
    expect(v.status).toBe(0);
  });

  it('refuses a key that is not RSA_2048 SIGN_VERIFY', async () => {
    const ecc = kms.addRsaKey('ecc-key', { keySpec: 'ECC_NIST_P256' });
    const r = await register(ecc.arn, [], join(dir.path, 'k2'));
    expect(r.err).toBe(`\nKMS key ${ecc.arn} is ECC_NIST_P256, not RSA_2048 (CloudTrail's key type)\n`);
    expect(r.status).toBe(255);
    const enc = kms.addRsaKey('enc-key', { keyUsage: 'ENCRYPT_DECRYPT' });
    expect((await register(enc.arn, [], join(dir.path, 'k2'))).err).toContain('is for ENCRYPT_DECRYPT, not SIGN_VERIFY');
  });

  it('stops in one line on a KMS error, and never writes a digest whose signature does not verify', async () => {
    kms.mode = 'deny';
    try {
      const r = await register('arn:aws:kms:us-east-1:111122223333:key/1234abcd-0000-0000-0000-00000000000a', [], join(dir.path, 'k3'));
      expect(r.err).toMatch(/^\nAn error occurred \(AccessDeniedException\) when calling the GetPublicKey operation on KMS key arn:aws:kms:[^\n]*\n$/);
      expect(r.status).toBe(255);
    } finally {
      kms.mode = 'ok';
    }
    kms.mode = 'bad-signature';
    try {
      const before = readdirSync(join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01')).length;
      const r = await runInProcess([
        'sign',
        '--keys-dir',
        keys,
        '--trail-arn',
        ARN,
        '--s3-bucket',
        BUCKET,
        '--local-root',
        root,
        '--until',
        '2024-05-01T05:00:00Z',
      ]);
      expect(r.err).toMatch(/gave a signature that its public key does not verify: refusing it\n$/);
      expect(r.status).toBe(255);
      expect(readdirSync(join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01'))).toHaveLength(before);
    } finally {
      kms.mode = 'ok';
    }
  });
});

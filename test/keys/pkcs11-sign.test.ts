import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDate } from '../../src/format/time.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';
import { createSoftHsmToken, type SoftHsmToken } from '../helpers/softhsm.js';
import { lacks } from '../helpers/system-tools.js';

/**
 * Issue 14: keys in an HSM, for real, through SoftHSM2. Two keys made on a token, registered as a
 * region's schedule (the second one 3 hours in: a rotation inside the range), then sign,
 * list-public-keys and validate-logs as with file keys: all valid, both keys used.
 */
const BUCKET = 'hsm-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/hsm`;

let dir: { path: string; cleanup: () => void };
let token: SoftHsmToken;
let other: SoftHsmToken;
let keys: string;
let root: string;

const digestsOf = (): Array<Record<string, unknown>> => {
  const folder = join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
  return readdirSync(folder)
    .filter((n) => n.endsWith('.json.gz'))
    .map((n) => JSON.parse(gunzipSync(readFileSync(join(folder, n))).toString('utf8')) as Record<string, unknown>);
};

beforeAll(async () => {
  if (lacks('softhsm')) return;
  dir = tempDir();
  token = createSoftHsmToken(join(dir.path, 'hsm'));
  token.generateRsa('trail-a', '0a');
  token.generateRsa('trail-b', '0b');
  // Another token (before the module starts: SoftHSM lists its tokens then): a PKCS#11 login holds
  // for a whole token and process, and this one is never logged in to.
  other = createSoftHsmToken(join(dir.path, 'hsm'), 'other-token');
  other.generateRsa('k', '01');
  // The module reads its configuration when first initialized in this process (the in-process runs).
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF;
  keys = join(dir.path, 'keys');
  root = join(dir.path, 'root');
  await simulateDelivery(new LocalStore(root), {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: parseDate('2024-05-01T00:00:00Z').clock,
    hours: 6,
    filesPerHour: 2,
    recordsPerFile: 5,
    seed: 'hsm',
  });
}, 120_000);

afterAll(() => dir?.cleanup());

describe.skipIf(lacks('softhsm'))('PKCS#11 keys (SoftHSM2)', () => {
  it('registers a key with an inline PIN: the PIN goes to a 0600 file, never the record or the output', async () => {
    const r = await runInProcess(['keys', 'register', '--keys-dir', keys, '--region', 'us-east-1', '--pkcs11', token.uri('trail-a', 'value'), '--valid-from', '2024-05-01T00:00:00Z']);
    expect(r.err).toContain('registered key ');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^us-east-1\t[0-9a-f]{32}\tvalid 2024-05-01T00:00:00Z to 2024-05-31T00:00:00Z\tPKCS#11 pkcs11:token=trailproof-test;object=trail-a;type=private\?module-path=/);
    expect(r.out + r.err).not.toContain(token.pin);
    const fingerprint = r.out.split('\t')[1]!;
    const record = readFileSync(join(keys, 'us-east-1', `${fingerprint}.json`), 'utf8');
    expect(record).not.toContain('pin-value');
    expect(JSON.parse(record).backend).toEqual({ type: 'pkcs11', uri: expect.stringContaining('object=trail-a') });
    const pinFile = join(keys, 'us-east-1', `${fingerprint}.pin`);
    expect(readFileSync(pinFile, 'utf8')).toBe(token.pin);
    expect(statSync(pinFile).mode & 0o777).toBe(0o600);
  });

  it('registers the successor from a pin-source file (the rotation is the next registered key)', async () => {
    const pinPath = join(dir.path, 'pin');
    writeFileSync(pinPath, `${token.pin}\n`, { mode: 0o600 });
    const r = await runInProcess([
      'keys', 'register', '--keys-dir', keys, '--region', 'us-east-1', '--pkcs11', token.uri('trail-b', { source: pinPath }),
      '--valid-from', '2024-05-01T03:00:00Z', '--validity-days', '1',
    ]);
    expect(r.err).toContain('registered key ');
    expect(r.status).toBe(0);
    const list = await runInProcess(['keys', 'list', '--keys-dir', keys]);
    expect(list.out.trim().split('\n')).toHaveLength(2);
  });

  it('signs with the HSM keys and validates all valid, with the rotation inside the range', async () => {
    const sign = await runInProcess(['sign', '--keys-dir', keys, '--trail-arn', ARN, '--s3-bucket', BUCKET, '--local-root', root, '--until', '2024-05-01T06:00:00Z']);
    expect(sign.err).toContain('rotated');
    expect(sign.out).toBe(`${ACCOUNT} us-east-1: signed 6 digests (12 log files) from 2024-05-01T00:00:00Z to 2024-05-01T06:00:00Z\n`);
    expect(sign.status).toBe(0);
    const fingerprints = new Set(digestsOf().map((d) => d.digestPublicKeyFingerprint));
    expect(fingerprints.size).toBe(2);

    const published = await runInProcess(['list-public-keys', '--keys-dir', keys, '--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-01T06:00:00Z']);
    const list = (JSON.parse(published.out) as { PublicKeyList: Array<{ Fingerprint: string }> }).PublicKeyList;
    expect(new Set(list.map((k) => k.Fingerprint))).toEqual(fingerprints);
    const keysFile = join(dir.path, 'keys.json');
    writeFileSync(keysFile, published.out);

    const v = await runInProcess([
      'validate-logs', '--trail-arn', ARN, '--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-01T06:00:00Z',
      '--s3-bucket', BUCKET, '--local-root', root, '--public-keys', keysFile,
    ]);
    expect(v.err).toBe('');
    expect(v.out).toContain('6/6 digest files valid');
    expect(v.out).toContain('12/12 log files valid');
    expect(v.status).toBe(0);
  });

  it('refuses a wrong PIN and a missing key in one line that holds no PIN', async () => {
    const wrong = other.uri('k', 'none') + '&pin-value=99999999';
    const r = await runInProcess(['keys', 'register', '--keys-dir', join(dir.path, 'k2'), '--region', 'us-east-1', '--pkcs11', wrong]);
    expect(r.err).toBe('\nPKCS#11 C_Login (the PIN) failed: CKR_PIN_INCORRECT\n');
    expect(r.status).toBe(255);
    const missing = await runInProcess(['keys', 'register', '--keys-dir', join(dir.path, 'k2'), '--region', 'us-east-1', '--pkcs11', token.uri('nope', 'value')]);
    expect(missing.err).toMatch(/^\nNo RSA private key on the token matches the key URI/);
    expect(missing.err).not.toContain(token.pin);
    expect(missing.status).toBe(255);
  });

  it('signs from the spawned CLI too (the module loaded in a process of its own, which then exits)', () => {
    const r = runCli(['sign', '--keys-dir', keys, '--trail-arn', ARN, '--s3-bucket', BUCKET, '--local-root', root, '--until', '2024-05-01T08:00:00Z'], {
      env: token.env,
    });
    // The second key is valid one day: a week ahead, sign says it needs a registered successor.
    expect(r.err).toMatch(
      /^warning: the us-east-1 key [0-9a-f]{32} \(PKCS#11\) expires at 2024-05-02T03:00:00Z and no key is registered after it: register its successor with trailproof keys register --keys-dir \S+ --region us-east-1 --valid-from 2024-05-02T03:00:00Z \.\.\.\n$/,
    );
    expect(r.out).toBe(`${ACCOUNT} us-east-1: signed 2 digests (0 log files) from 2024-05-01T06:00:00Z to 2024-05-01T08:00:00Z\n`);
    expect(r.status).toBe(0);
  });
  it('stops, naming keys register, when the newest registered key has expired', async () => {
    const r = await runInProcess(['sign', '--keys-dir', keys, '--trail-arn', ARN, '--s3-bucket', BUCKET, '--local-root', root, '--until', '2024-05-02T06:00:00Z']);
    expect(r.err).toMatch(/expired at 2024-05-02T03:00:00Z and no key is registered after it: register its successor with `trailproof keys register/);
    expect(r.status).toBe(255);
  });

});

describe('without pkcs11js', () => {
  it('says in one line how to install it', () => {
    const preload = join(import.meta.dirname, '..', 'helpers', 'no-pkcs11js-preload.mjs');
    const k = tempDir();
    try {
      const r = runCli(['keys', 'register', '--keys-dir', k.path, '--region', 'us-east-1', '--pkcs11', `pkcs11:object=k?module-path=/usr/lib/softhsm/libsofthsm2.so`], {
        env: { NODE_OPTIONS: `--import=${preload}` },
      });
      expect(r.err).toBe('\nPKCS#11 keys need the optional package pkcs11js, which is not installed: npm install pkcs11js@2.1.7\n');
      expect(r.status).toBe(255);
    } finally {
      k.cleanup();
    }
  });
});

import { chmodSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5Hex } from '../../src/crypto/hash.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { runCli, tempDir } from '../helpers/cli.js';

/** The key store: modes, rotation cadence, public records, and no private key in any output. */
const DAY = 24 * MICROS_PER_HOUR;
const T0 = parseDate('2024-03-01T00:00:00Z').clock;
let dir: { path: string; cleanup: () => void };
let keysDir: string;
let outputs = '';

beforeAll(() => {
  dir = tempDir();
  keysDir = join(dir.path, 'keys');
  const create = runCli(['keys', 'create', '--keys-dir', keysDir, '--region', 'us-east-1', '--valid-from', '2024-03-01T00:00:00Z']);
  const again = runCli(['keys', 'create', '--keys-dir', keysDir, '--region', 'us-east-1', '--valid-from', '2024-03-02T00:00:00Z']);
  const rotate = runCli(['keys', 'rotate', '--keys-dir', keysDir, '--region', 'us-east-1', '--at', '2024-03-21T00:00:00Z']);
  const list = runCli(['keys', 'list', '--keys-dir', keysDir]);
  const publish = runCli(['list-public-keys', '--keys-dir', keysDir, '--start-time', '2024-03-01T00:00:00Z', '--end-time', '2024-04-30T00:00:00Z']);
  const bad = runCli(['keys', 'create', '--keys-dir', keysDir, '--region', 'not-a-region']);
  for (const r of [create, again, rotate, list, publish, bad]) outputs += r.out + r.err;
  expect(create.status).toBe(0);
  expect(again.status).toBe(255);
  expect(again.err).toMatch(/already has a key valid at 2024-03-02T00:00:00Z .*keys rotate/);
  expect(rotate.status).toBe(0);
  expect(bad.status).toBe(255);
  expect(bad.err).toBe('\nInvalid region: not-a-region\n');
});
afterAll(() => dir.cleanup());

describe('key store', () => {
  it('writes private keys 0600 in a 0700 folder, and public records beside them', () => {
    const folder = join(keysDir, 'us-east-1');
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    const pems = readdirSync(folder).filter((f) => f.endsWith('.key.pem'));
    expect(pems).toHaveLength(2);
    for (const pem of pems) {
      expect(statSync(join(folder, pem)).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(folder, pem), 'utf8')).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    }
  });

  it('never prints a private key', () => {
    for (const pem of readdirSync(join(keysDir, 'us-east-1')).filter((f) => f.endsWith('.key.pem'))) {
      const body = readFileSync(join(keysDir, 'us-east-1', pem), 'utf8').split('\n').slice(1, 3).join('');
      expect(outputs).not.toContain(body.slice(0, 40));
    }
    expect(outputs).not.toMatch(/PRIVATE KEY/);
  });

  it('publishes base64 DER PKCS#1 values whose MD5 is the fingerprint, with 30-day validity', () => {
    const r = runCli(['list-public-keys', '--keys-dir', keysDir, '--start-time', '2024-03-01T00:00:00Z', '--end-time', '2024-04-30T00:00:00Z']);
    const list = (JSON.parse(r.out) as { PublicKeyList: Array<Record<string, string>> }).PublicKeyList;
    expect(list).toHaveLength(2);
    for (const k of list) {
      const der = Buffer.from(k.Value!, 'base64');
      expect(der[0]).toBe(0x30);
      expect(md5Hex(der)).toBe(k.Fingerprint);
      expect(Date.parse(k.ValidityEndTime!) - Date.parse(k.ValidityStartTime!)).toBe(30 * 24 * 3600 * 1000);
    }
  });

  it('rotates by itself at the rotation point and refuses keys readable by others', async () => {
    const store = new KeyStore(keysDir);
    const first = (await store.list('us-east-1'))[0]!;
    expect(first.rotateAt - first.validFrom).toBe(20 * DAY);
    expect((await store.signingKey('us-east-1', T0 + DAY)).fingerprint).toBe(first.fingerprint);
    const second = await store.signingKey('us-east-1', T0 + 20 * DAY + 1);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    // After a long pause the successor starts now, not at a rotation point in the past.
    const later = await store.signingKey('us-east-1', T0 + 200 * DAY);
    expect(later.validFrom).toBe(T0 + 200 * DAY);
    const pem = join(keysDir, 'us-east-1', `${later.fingerprint}.key.pem`);
    chmodSync(pem, 0o644);
    await expect(new KeyStore(keysDir).privateKey(later)).rejects.toThrow(/accessible by others .*chmod 600/);
    chmodSync(pem, 0o600);
    await expect(new KeyStore(keysDir).privateKey(later)).resolves.toBeDefined();
  });

  it('refuses to sign when no key is valid yet', async () => {
    await expect(new KeyStore(keysDir).signingKey('us-east-1', T0 - DAY)).rejects.toThrow(/No key .* valid at 2024-02-29T00:00:00Z/);
  });

  it('signers of one region asking at once get one successor key, and a new store object sees it', async () => {
    const region = 'ap-south-1';
    const store = new KeyStore(keysDir);
    await store.create(region, T0);
    const at = T0 + 20 * DAY + 5;
    const picked = await Promise.all([store.signingKey(region, at), store.signingKey(region, at), store.signingKey(region, at + 1)]);
    expect(new Set(picked.map((k) => k.fingerprint)).size).toBe(1);
    const records = readdirSync(join(keysDir, region)).filter((n) => n.endsWith('.json'));
    expect(records).toHaveLength(2);
    expect((await store.list(region)).map((k) => k.fingerprint)).toContain(picked[0]!.fingerprint);
    expect((await new KeyStore(keysDir).list(region)).map((k) => k.fingerprint).sort()).toEqual((await store.list(region)).map((k) => k.fingerprint).sort());
  });
});

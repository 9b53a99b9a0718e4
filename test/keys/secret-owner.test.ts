import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { readSecretBytes } from '../../src/keys/key-signers.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Red team: a secret (private key, PIN, queue key) is refused when others may read it, but only its
 * mode bits were looked at: a 0600 file owned by another user is readable by that user, who may
 * also have written it (a key or PIN chosen by someone else). A signer run as root (cron, a
 * systemd unit without User=) took such a file. Only files of the user running trailproof are secrets.
 */
const isRoot = process.getuid?.() === 0;
const OTHER = 65534; // nobody

let dir: { path: string; cleanup: () => void };
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe.skipIf(!isRoot)('a 0600 secret owned by another user', () => {
  it('is refused as a private key', async () => {
    const keysDir = join(dir.path, 'keys');
    await copyKeyStore(TEST_KEYS, keysDir);
    const store = new KeyStore(keysDir);
    const region = (await store.regions())[0]!;
    const record = (await store.list(region))[0]!;
    chownSync(join(keysDir, region, `${record.fingerprint}.key.pem`), OTHER, OTHER);
    await expect(new KeyStore(keysDir).privateKey(record)).rejects.toThrow(/owned by another user/);
  });

  it('is refused as a PIN or queue key file', async () => {
    const path = join(dir.path, 'queue.key');
    writeFileSync(path, 'k'.repeat(32), { mode: 0o600 });
    chownSync(path, OTHER, OTHER);
    await expect(readSecretBytes(path, 'The queue key')).rejects.toThrow(/owned by another user/);
  });
});

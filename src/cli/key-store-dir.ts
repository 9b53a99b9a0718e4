import { stat } from 'node:fs/promises';
import { TrailproofError } from '../errors.js';
import { KeyStore } from '../keys/keystore.js';
import type { PublicKeyEntry } from '../keys/public-keys.js';
import { describeFsError } from '../util/errno.js';

/**
 * A key store named on the command line must exist: a mistyped `--keys-dir` is said as such, not
 * read as an empty store ("No public keys found", or an empty list with exit 0).
 */
export async function requireKeyStoreDir(dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? describeFsError(err) : `cannot be read: ${describeFsError(err)}`;
    throw new TrailproofError('keys', `Key store folder ${dir} ${why}`);
  }
  if (!isDir) throw new TrailproofError('keys', `Key store folder ${dir} is not a folder`);
}

/** The public half of the key store in `dir`, which must exist. */
export async function keyStorePublicEntries(dir: string): Promise<PublicKeyEntry[]> {
  await requireKeyStoreDir(dir);
  return new KeyStore(dir).publicEntries();
}

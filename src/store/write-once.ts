import { randomBytes } from 'node:crypto';
import { link, lstat, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeAtomic } from '../util/atomic-file.js';
import { StoreError } from './errors.js';
import { SIDECAR_SUFFIX, TMP_MARK } from './local-paths.js';

/**
 * A write-once object on a local root: the object and its sidecar appear whole, and only if the key
 * is free, whoever else writes it at the same time (another process, another machine on a shared
 * file system). Each file is written to a temporary name, then hard-linked to its name: link(2)
 * fails when the name exists, atomically, where rename(2) would replace it.
 *
 * The sidecar is linked first and is the claim: of two writers, the one whose sidecar link fails
 * stops before its object could pair with the other's metadata. A sidecar with no object beside it
 * is a claim in progress, or the leftover of a writer that died between the two links: older than
 * `staleMs`, it is replaced.
 */
export async function writeOnce(path: string, label: string, body: Uint8Array, sidecar: Uint8Array | undefined, staleMs = 60 * 60_000): Promise<void> {
  const taken = () => new StoreError('Exists', `${label} already exists (written by another signer)`);
  if (await exists(path)) throw taken();
  const tmp = (): string => join(dirname(path), `${TMP_MARK}${randomBytes(6).toString('hex')}`);
  const objectTmp = tmp();
  const sidecarTmp = sidecar ? tmp() : undefined;
  try {
    await writeFile(objectTmp, body, { flag: 'wx' });
    if (sidecar && sidecarTmp) {
      await writeFile(sidecarTmp, sidecar, { flag: 'wx' });
      try {
        await link(sidecarTmp, path + SIDECAR_SUFFIX);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const claim = await lstat(path + SIDECAR_SUFFIX).catch(() => undefined);
        if ((await exists(path)) || !claim || Date.now() - claim.mtimeMs < staleMs) throw taken();
        await rename(sidecarTmp, path + SIDECAR_SUFFIX); // a dead writer's claim
      }
    }
    try {
      await link(objectTmp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw taken();
      throw err;
    }
  } finally {
    await rm(objectTmp, { force: true });
    if (sidecarTmp) await rm(sidecarTmp, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** An object (or sidecar) that appears whole: a temporary name the listings never show, then a rename. */
export function atomicWrite(path: string, data: Uint8Array): Promise<void> {
  return writeAtomic(path, data, { tmpPrefix: TMP_MARK });
}

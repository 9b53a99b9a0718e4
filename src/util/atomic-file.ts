import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * A file that appears whole or not at all: written under a fresh temporary name in the same folder
 * (created exclusively, with its final mode from the start), then renamed over `path`. A failure
 * removes the temporary file and is raised as it came. The one copy of this rule (objects and
 * sidecars of a local root, key records, the audit state, distributed results).
 */
export async function writeAtomic(
  path: string,
  data: Uint8Array | string,
  o: { readonly mode?: number; readonly sync?: boolean; readonly tmpPrefix?: string } = {},
): Promise<void> {
  const tmp = join(dirname(path), `${o.tmpPrefix ?? `.${basename(path)}.tmp-`}${randomBytes(6).toString('hex')}`);
  try {
    const handle = await open(tmp, 'wx', o.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      if (o.sync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

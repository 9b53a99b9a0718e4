import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';

/**
 * Temporary files of a local root's atomic writes (`.trailproof-tmp-<random>` beside the object,
 * renamed into place when whole; src/store/local.ts). A run that is killed leaves them behind; the
 * store never lists them as objects, but they stay. The signer removes those of the folders it
 * writes to: on an interrupt, those of this run; at the start of a run, those old enough to be a
 * crashed run's (the chain's lock is held then, so no other signer writes there).
 */
export const TEMP_MARK = '.trailproof-tmp-';

/** The real path of `ROOT/<bucket>/<key folder>` when it is a folder inside the bucket folder, else undefined. */
async function folderInside(root: string, bucket: string, keyFolder: string): Promise<string | undefined> {
  const segments = keyFolder === '' ? [] : keyFolder.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..') || bucket === '.' || bucket === '..' || bucket.includes('/')) return undefined;
  try {
    const bucketReal = await realpath(join(root, bucket));
    const real = await realpath(join(bucketReal, ...segments));
    return real === bucketReal || real.startsWith(bucketReal + sep) ? real : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the temporary files directly in `folder` last changed before `before` (ms since epoch); returns how many. */
async function removeIn(folder: string, before: number): Promise<number> {
  let entries: Dirent[];
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch {
    return 0;
  }
  let removed = 0;
  for (const e of entries) {
    if (!e.isFile() || !e.name.startsWith(TEMP_MARK)) continue;
    const path = join(folder, e.name);
    const info = await lstat(path).catch(() => null);
    if (!info?.isFile() || info.mtimeMs >= before) continue;
    await rm(path, { force: true });
    removed++;
  }
  return removed;
}

/** Removes the temporary files of the given key folders of a bucket (an interrupted run's own). */
export async function removeTempFiles(root: string, bucket: string, keyFolders: Iterable<string>): Promise<number> {
  let removed = 0;
  for (const keyFolder of keyFolders) {
    const folder = await folderInside(root, bucket, keyFolder);
    if (folder) removed += await removeIn(folder, Number.POSITIVE_INFINITY);
  }
  return removed;
}

/**
 * Removes temporary files older than `olderThanMs` in the key folder `keyFolder` of a bucket and
 * every folder below it (a chain's digest folders: `.../CloudTrail-Digest/<region>/YYYY/MM/DD`).
 * Symbolic links are not followed.
 */
export async function removeStaleTempFiles(root: string, bucket: string, keyFolder: string, olderThanMs: number, now = Date.now()): Promise<number> {
  const top = await folderInside(root, bucket, keyFolder);
  if (!top) return 0;
  const before = now - olderThanMs;
  let removed = 0;
  const walk = async (folder: string): Promise<void> => {
    removed += await removeIn(folder, before);
    let entries: Dirent[];
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) await walk(join(folder, e.name));
  };
  await walk(top);
  return removed;
}

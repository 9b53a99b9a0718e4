import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isAbsent } from '../util/errno.js';
import { SIDECAR_SUFFIX, TMP_MARK, unreadable } from './local-paths.js';
import { byteCompare } from './names.js';

/**
 * Listing a local root (LocalStore.list): the keys under a folder in S3 order, read from the folders
 * themselves.
 */
/** Sub-folders a walk reads ahead of the one it is in (bounded: a few listings in memory). */
const FOLDERS_AHEAD = 8;

type Folder = { readonly entries: Dirent[] } | { readonly error: unknown };

/**
 * A folder's entries; a folder that is not there has none; one that cannot be read is an error
 * (kept as a value, raised when the walk reaches it: a read made ahead never rejects unobserved).
 */
async function readFolder(dir: string): Promise<Folder> {
  try {
    return { entries: await readdir(dir, { withFileTypes: true }) };
  } catch (err) {
    return isAbsent(err) ? { entries: [] } : { error: unreadable(dir, err) };
  }
}

/**
 * Keys in S3 order. A folder that is not there lists nothing; one that cannot be read stops the
 * run (never "no digests found"). Entries that are neither folders, sidecars nor symlinks are
 * keys, FIFOs and the like included: reading them then fails closed. Symlinks are not listed (they
 * are followed only when a digest names them, and only inside the bucket).
 */
export async function* walkFolder(dir: string, keyPrefix: string, prefix: string, after: string | undefined, listed?: Promise<Folder>): AsyncGenerator<string> {
  const folder = await (listed ?? readFolder(dir));
  if ('error' in folder) throw folder.error;
  const items = folder.entries
    .filter((e) => e.isDirectory() || (!e.isSymbolicLink() && !e.name.endsWith(SIDECAR_SUFFIX) && !e.name.startsWith(TMP_MARK)))
    .map((e) => ({ name: e.name, dir: e.isDirectory(), key: keyPrefix + e.name + (e.isDirectory() ? '/' : '') }))
    .sort((a, b) => byteCompare(a.key, b.key))
    .filter((item) =>
      item.dir
        ? // Only folders whose keys can start with the listing prefix, and not all before the marker.
          (item.key.startsWith(prefix) || prefix.startsWith(item.key)) &&
          !(after !== undefined && byteCompare(item.key, after) < 0 && !after.startsWith(item.key))
        : item.key.startsWith(prefix) && !(after !== undefined && byteCompare(item.key, after) <= 0),
    );
  // The next sub-folders are read ahead (a few at a time): each read is a trip through the I/O
  // thread pool, and a walk of thousands of day folders would otherwise wait for them one by one.
  // Their errors are raised in order, when the walk reaches them.
  const ahead = new Map<number, Promise<Folder>>();
  let next = 0;
  const fill = (from: number): void => {
    for (next = Math.max(next, from); next < items.length && ahead.size < FOLDERS_AHEAD; next++) {
      const item = items[next]!;
      if (item.dir) ahead.set(next, readFolder(join(dir, item.name)));
    }
  };
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    if (!item.dir) {
      yield item.key;
      continue;
    }
    fill(i);
    const own = ahead.get(i) ?? readFolder(join(dir, item.name));
    ahead.delete(i);
    fill(i + 1);
    yield* walkFolder(join(dir, item.name), item.key, prefix, after, own);
  }
}

import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isAbsent } from '../util/errno.js';
import { isTemporaryName, SIDECAR_SUFFIX, unreadable } from './local-paths.js';
import { byteCompare, sortByteOrder } from './names.js';

/**
 * Listing a local root (LocalStore.list): the keys under a folder in S3 order, read from the folders
 * themselves. Folders are read with blocking calls, as digests are (local.ts): a folder read from
 * the page cache costs this thread about half the CPU of a trip through the I/O thread pool, and
 * the walk never waits for one (README "Performance": the audit's CPU, and more so a distributed
 * audit's, whose coordinator lists every folder on the cores its workers use).
 */

/** A folder's entries; a folder that is not there has none; one that cannot be read stops the run. */
function readFolder(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (isAbsent(err)) return [];
    throw unreadable(dir, err);
  }
}

/**
 * Keys in S3 order. A folder that is not there lists nothing; one that cannot be read stops the
 * run (never "no digests found"). Entries that are neither folders, sidecars nor symlinks are
 * keys, FIFOs and the like included: reading them then fails closed. Symlinks are not listed (they
 * are followed only when a digest names them, and only inside the bucket); `onLink` hears them.
 */
export async function* walkFolder(
  dir: string,
  keyPrefix: string,
  prefix: string,
  after: string | undefined,
  onLink?: (key: string) => void,
): AsyncGenerator<string> {
  yield* walk(dir, keyPrefix, prefix, after, onLink);
}

function* walk(dir: string, keyPrefix: string, prefix: string, after: string | undefined, onLink: ((key: string) => void) | undefined): Generator<string> {
  const items: Array<{ name: string; dir: boolean; link: boolean; key: string }> = [];
  for (const e of readFolder(dir)) {
    if (e.isSymbolicLink()) {
      const key = keyPrefix + e.name;
      if (onLink && key.startsWith(prefix) && !(after !== undefined && byteCompare(key, after) <= 0)) items.push({ name: e.name, dir: false, link: true, key });
      continue;
    }
    const isDir = e.isDirectory();
    if (!isDir && (e.name.endsWith(SIDECAR_SUFFIX) || isTemporaryName(e.name))) continue;
    const key = keyPrefix + e.name + (isDir ? '/' : '');
    const keep = isDir
      ? // Only folders whose keys can start with the listing prefix, and not all before the marker.
        (key.startsWith(prefix) || prefix.startsWith(key)) && !(after !== undefined && byteCompare(key, after) < 0 && !after.startsWith(key))
      : key.startsWith(prefix) && !(after !== undefined && byteCompare(key, after) <= 0);
    if (keep) items.push({ name: e.name, dir: isDir, link: false, key });
  }
  sortByteOrder(items, (item) => item.key);
  for (const item of items) {
    if (item.link) onLink!(item.key);
    else if (item.dir) yield* walk(join(dir, item.name), item.key, prefix, after, onLink);
    else yield item.key;
  }
}

import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { isAbsent } from '../util/errno.js';
import { isTemporaryName, SIDECAR_SUFFIX, unreadable } from './local-paths.js';
import { byteCompare, sortByteOrder } from './names.js';
import type { ListOptions } from './types.js';

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

/** What a listing hears besides its keys (ListOptions): the symbolic links and sidecars it skips. */
export type WalkHooks = Pick<ListOptions, 'onLink' | 'onSidecar' | 'jump'>;

/**
 * Keys in S3 order. A folder that is not there lists nothing; one that cannot be read stops the
 * run (never "no digests found"). Entries that are neither folders, sidecars nor symlinks are
 * keys, FIFOs and the like included: reading them then fails closed. Symlinks are not listed (they
 * are followed only when a digest names them, and only inside the bucket); `onLink` hears them.
 * Sidecars are not listed either; `onSidecar` hears them, with whether their object is a regular
 * file in the same folder, read from the folder's own listing (no call per file).
 */
export async function* walkFolder(dir: string, keyPrefix: string, prefix: string, after: string | undefined, hooks: WalkHooks = {}): AsyncGenerator<string> {
  yield* walk(dir, keyPrefix, prefix, after, hooks);
}

interface Item {
  readonly name: string;
  readonly kind: 'key' | 'folder' | 'link' | 'sidecar';
  readonly key: string;
}

/** A folder being listed: its entries in key order, the next one to give, and its regular files that sidecars name. */
interface Frame {
  readonly dir: string;
  readonly keyPrefix: string;
  readonly items: Item[];
  at: number;
  readonly here: Set<string> | undefined;
}

/** A folder's entries that can be listed, in key order (symlinks and sidecars only when heard). */
function folderFrame(dir: string, keyPrefix: string, prefix: string, after: string | undefined, hooks: WalkHooks): Frame {
  const entries = readFolder(dir);
  const items: Item[] = [];
  const inRange = (key: string): boolean => key.startsWith(prefix) && !(after !== undefined && byteCompare(key, after) <= 0);
  /** The objects of the sidecars heard here (names), when there are any. */
  let objects: Set<string> | undefined;
  for (const e of entries) {
    if (e.isSymbolicLink()) {
      const key = keyPrefix + e.name;
      if (hooks.onLink && inRange(key)) items.push({ name: e.name, kind: 'link', key });
      continue;
    }
    const isDir = e.isDirectory();
    if (!isDir && e.name.endsWith(SIDECAR_SUFFIX)) {
      const key = keyPrefix + e.name;
      if (hooks.onSidecar && inRange(key)) {
        items.push({ name: e.name, kind: 'sidecar', key });
        (objects ??= new Set()).add(e.name.slice(0, -SIDECAR_SUFFIX.length));
      }
      continue;
    }
    if (!isDir && isTemporaryName(e.name)) continue;
    const key = keyPrefix + e.name + (isDir ? '/' : '');
    const keep = isDir
      ? // Only folders whose keys can start with the listing prefix, and not all before the marker.
        (key.startsWith(prefix) || prefix.startsWith(key)) && !(after !== undefined && byteCompare(key, after) < 0 && !after.startsWith(key))
      : inRange(key);
    if (keep) items.push({ name: e.name, kind: isDir ? 'folder' : 'key', key });
  }
  // Which of those objects are regular files here: one more pass over the same entries, only when a sidecar is heard.
  const here = objects && new Set(entries.filter((e) => objects.has(e.name) && e.isFile()).map((e) => e.name));
  sortByteOrder(items, (item) => item.key);
  return { dir, keyPrefix, items, at: 0, here };
}

/**
 * Depth first, one loop over a stack of folders (a key costs one step of one generator, however
 * deep its folder). `floor`: keys up to it are not given (StartAfter, raised by `jump`).
 */
function* walk(dir: string, keyPrefix: string, prefix: string, after: string | undefined, hooks: WalkHooks): Generator<string> {
  let floor = after;
  // Read once: the hooks object's shape differs with each caller.
  const { jump, onLink, onSidecar } = hooks;
  // Below the floor: a key up to it, or a folder all of whose keys are (not one the floor lies in).
  const below = (item: Item): boolean => floor !== undefined && byteCompare(item.key, floor) <= 0 && !(item.kind === 'folder' && floor.startsWith(item.key));
  const stack: Frame[] = [folderFrame(dir, keyPrefix, prefix, after, hooks)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    if (frame.at === frame.items.length) {
      stack.pop();
      continue;
    }
    const item = frame.items[frame.at++]!;
    if (below(item)) continue;
    const to = jump?.(item.key);
    if (to !== undefined && (floor === undefined || byteCompare(to, floor) > 0)) {
      floor = to;
      if (below(item)) continue;
    }
    if (item.kind === 'key') yield item.key;
    else if (item.kind === 'folder') stack.push(folderFrame(join(frame.dir, item.name), item.key, prefix, after, hooks));
    else if (item.kind === 'link') onLink!(item.key);
    else {
      const object = item.name.slice(0, -SIDECAR_SUFFIX.length);
      onSidecar!(item.key, frame.keyPrefix + object, frame.here!.has(object));
    }
  }
}

import { readFile, rm } from 'node:fs/promises';
import { TrailproofError } from '../errors.js';
import { inventoryGroup, listedTwice, type BuiltIndex } from './inventory-build.js';
import { byteCompare } from './names.js';
import type { ListOptions, ObjectStore } from './types.js';

/**
 * An ObjectStore whose listings of one bucket come from an S3 Inventory report (inventory-build.ts)
 * instead of LIST; every read, write and the listings of other buckets go to the real store. A
 * listing walks the folders that can hold its prefix in S3 order, each folder's keys read from its
 * temporary file and sorted in memory when it is listed (the last 8 kept), merged with the keys
 * outside folders: memory is a few folders' keys, never the archive's.
 */
// Enough for the chains walked at once (--chains-at-once, 4), each with its digest and log folders.
const CACHED_FOLDERS = 8;

export class InventoryStore implements ObjectStore {
  readonly kind: ObjectStore['kind'];
  readonly getBytes?: ObjectStore['getBytes'];
  readonly readLogs?: ObjectStore['readLogs'];
  private readonly folders: string[];
  private readonly loose: string[];
  private readonly cache = new Map<string, Promise<string[]>>();

  constructor(
    private readonly inner: ObjectStore,
    private readonly bucket: string,
    private readonly index: BuiltIndex,
  ) {
    this.kind = inner.kind;
    if (inner.getBytes) this.getBytes = (b, k, limit) => inner.getBytes!(b, k, limit);
    if (inner.readLogs) this.readLogs = (objects, options) => inner.readLogs!(objects, options);
    this.folders = [...index.groups.keys()].sort(byteCompare);
    this.loose = index.loose;
  }

  get(bucket: string, key: string): ReturnType<ObjectStore['get']> {
    return this.inner.get(bucket, key);
  }

  put(...args: Parameters<ObjectStore['put']>): Promise<void> {
    return this.inner.put(...args);
  }

  delete(bucket: string, key: string): Promise<void> {
    return this.inner.delete(bucket, key);
  }

  list(bucket: string, options: ListOptions): AsyncIterable<string> {
    if (bucket !== this.bucket) return this.inner.list(bucket, options);
    const { keep } = this.index;
    if (keep) {
      // Fail closed: a listing of keys this index did not keep would read as an empty folder. A
      // walk's prefix is a folder without its last slash: every folder it covers has its kind.
      const holder = inventoryGroup(options.prefix) ?? inventoryGroup(`${options.prefix}/`);
      if (holder === undefined || !keep.folder(holder)) {
        throw new TrailproofError('internal', `S3 Inventory: a listing of ${options.prefix} was asked of a report that kept only digest folders`);
      }
    }
    return this.listed(options.prefix, options.startAfter);
  }

  /** Removes the temporary files. */
  async close(): Promise<void> {
    this.cache.clear();
    await rm(this.index.dir, { recursive: true, force: true });
  }

  private async *listed(prefix: string, startAfter: string | undefined): AsyncGenerator<string> {
    const wanted = (k: string): boolean => k.startsWith(prefix) && (startAfter === undefined || byteCompare(k, startAfter) > 0);
    const loose = this.loose.filter(wanted);
    let li = 0;
    for (const folder of this.foldersFor(prefix)) {
      // Every key of a folder sorts before startAfter: nothing to read.
      if (startAfter !== undefined && byteCompare(folder, startAfter) < 0 && !startAfter.startsWith(folder)) continue;
      for (const key of await this.keys(folder)) {
        if (!wanted(key)) continue;
        while (li < loose.length && byteCompare(loose[li]!, key) < 0) yield loose[li++]!;
        yield key;
      }
    }
    while (li < loose.length) yield loose[li++]!;
  }

  /** The folders that may hold keys under `prefix`, in S3 order: the one `prefix` lies in, or those that lie under it. */
  private foldersFor(prefix: string): string[] {
    const holder = inventoryGroup(prefix);
    if (holder !== undefined) return this.index.groups.has(holder) ? [holder] : [];
    let lo = 0;
    let hi = this.folders.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byteCompare(this.folders[mid]!, prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.folders.length && this.folders[i]!.startsWith(prefix); i++) out.push(this.folders[i]!);
    return out;
  }

  private keys(folder: string): Promise<string[]> {
    let p = this.cache.get(folder);
    if (p) {
      this.cache.delete(folder);
      this.cache.set(folder, p);
      return p;
    }
    p = this.load(folder);
    this.cache.set(folder, p);
    p.catch(() => this.cache.delete(folder));
    while (this.cache.size > CACHED_FOLDERS) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }

  private async load(folder: string): Promise<string[]> {
    const text = await readFile(this.index.groups.get(folder)!.path, 'utf8');
    const keys = text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as string);
    keys.sort(byteCompare);
    for (let i = 1; i < keys.length; i++) if (keys[i] === keys[i - 1]) listedTwice(keys[i]!);
    return keys;
  }
}

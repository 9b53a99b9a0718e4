import { closeSync, createReadStream, existsSync, statSync } from 'node:fs';
import { lstat, mkdir, realpath, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TrailproofError } from '../errors.js';
import { isAbsent } from '../util/errno.js';
import { noSuchBucket, objectTooLarge, StoreError } from './errors.js';
import { FolderCache, isInside, keySegments, realOrAbsent, resolveInside, SIDECAR_SUFFIX, unreadable } from './local-paths.js';
import { checkBucketName } from './names.js';
import { readSidecar } from './sidecar.js';
import { readWhole } from './read-whole.js';
import { readLogsThrough } from './read-logs.js';
import { walkFolder } from './local-walk.js';
import type { LogWorkerPool } from './workers/pool.js';
import type { ListOptions, LogObjectRead, Metadata, ObjectRef, ObjectStore, PutOptions, StoredObject } from './types.js';
import { atomicWrite, writeOnce } from './write-once.js';

export { parseSidecar } from './sidecar.js';

export { SIDECAR_SUFFIX, type LocalLocation } from './local-paths.js';

/**
 * A local copy of buckets: `ROOT/<bucket>/<key>` is the object, `ROOT/<bucket>/<key>.metadata.json`
 * its user metadata (behaviour §7). Sidecars and our temporary files are never objects. Containment
 * and the fail-closed reading rules are in local-paths.ts.
 */

export class LocalStore implements ObjectStore {
  readonly kind = 'local' as const;
  private readonly bucketReal = new Map<string, string>();
  private rootRealPath: string | undefined;
  /** Folders of objects read here (digests, sidecars), resolved and checked once each. */
  private readonly folders = new FolderCache();
  /**
   * Small objects (digests) read whole that had no metadata sidecar at all: the sign of a copy made
   * with `aws s3 sync`, which keeps no S3 metadata (the CLI then hints at export-signatures).
   */
  withoutSidecar = 0;
  withSidecar = 0;

  /**
   * `workers`: log workers to read logs on (readLogs), one per core; without them (or when the
   * compiled workers are not there, running from sources) logs are read in-process.
   */
  constructor(
    readonly root: string,
    private readonly options: { readonly workers?: LogWorkerPool | undefined } = {},
  ) {}

  /** Reads logs on the log workers (behaviour §4): each file opened there with local-paths' rules. */
  async readLogs(objects: readonly ObjectRef[], o: { readonly eventTimes: boolean }): Promise<LogObjectRead[]> {
    const workers = this.options.workers;
    if (!workers) return readLogsThrough(this, objects, o.eventTimes);
    // Where each file is; a missing bucket stops the run at that log, as in the reference.
    const files: Array<{ bucketReal: string; key: string }> = [];
    let failure: LogObjectRead | undefined;
    for (const { bucket, key } of objects) {
      try {
        files.push({ bucketReal: this.bucketDir(bucket), key });
      } catch (error) {
        failure = { kind: 'failed', error };
        break;
      }
    }
    const results = await workers.read(files, o.eventTimes);
    if (failure) results.push(failure);
    return results;
  }

  /** The root's real path; a root that is missing or not a folder is a usage mistake, said in local words. */
  private rootReal(): string {
    if (this.rootRealPath !== undefined) return this.rootRealPath;
    const real = realOrAbsent(this.root);
    if (real === undefined) throw new TrailproofError('input', `The local root ${this.root} does not exist`);
    let isDir: boolean;
    try {
      isDir = statSync(real).isDirectory();
    } catch (err) {
      throw unreadable(this.root, err);
    }
    if (!isDir) throw new TrailproofError('input', `The local root ${this.root} is not a folder`);
    this.rootRealPath = real;
    return real;
  }

  /**
   * The real path of a bucket folder. A missing one is NoSuchBucket, in the AWS CLI's words
   * (behaviour §7: local and S3 runs print the same bytes); one that leads outside the root
   * (a symlink) stops the run: nothing outside the root is read.
   */
  private bucketDir(bucket: string): string {
    const cached = this.bucketReal.get(bucket);
    if (cached) return cached;
    checkBucketName(bucket);
    const rootReal = this.rootReal();
    const path = join(this.root, bucket);
    const real = realOrAbsent(path);
    if (real === undefined) throw noSuchBucket();
    if (!isInside(real, rootReal) || real === rootReal) {
      throw new StoreError('Other', `The bucket folder ${path} leads outside the local root ${this.root}: refusing to read it`);
    }
    let isDir: boolean;
    try {
      isDir = statSync(real).isDirectory();
    } catch (err) {
      throw unreadable(path, err);
    }
    if (!isDir) throw noSuchBucket();
    this.bucketReal.set(bucket, real);
    return real;
  }

  /**
   * Reads of objects use blocking calls: a digest or a sidecar is small, and a handful of direct
   * system calls costs this thread less than as many round trips through the libuv pool.
   */
  async getBytes(bucket: string, key: string, limit: number): Promise<{ bytes: Buffer; metadata: Metadata } | undefined> {
    const location = { bucketReal: this.bucketDir(bucket), key };
    const tooLarge = () => objectTooLarge(bucket, key, limit);
    const got = readWhole(this.folders, location, limit, tooLarge);
    if (!got) return undefined;
    if (got.sidecar) this.withSidecar++;
    else this.withoutSidecar++;
    return { bytes: got.bytes, metadata: got.metadata };
  }

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    const location = { bucketReal: this.bucketDir(bucket), key };
    const file = this.folders.open(location);
    if (!file) return undefined;
    let metadata: Metadata;
    try {
      metadata = readSidecar(location, this.folders);
    } catch (err) {
      closeSync(file.fd);
      throw err;
    }
    // The stream owns the descriptor from here: it closes it at the end, on error, or when destroyed.
    const stream = createReadStream('', { fd: file.fd, highWaterMark: 256 * 1024, autoClose: true });
    return {
      metadata,
      body: failClosed(stream, file.path),
      size: file.size,
      close: async () => {
        stream.destroy();
      },
    };
  }

  async *list(bucket: string, options: ListOptions): AsyncGenerator<string> {
    const dir = this.bucketDir(bucket);
    // Start at the prefix's deepest folder when it is a plain folder path (no symlink on the way,
    // which the walk would not have followed either): the folders above it hold nothing listed.
    const base = options.prefix.slice(0, options.prefix.lastIndexOf('/') + 1);
    const segments = base === '' ? undefined : keySegments(base.slice(0, -1));
    if (segments) {
      const path = join(dir, ...segments);
      const real = realOrAbsent(path);
      if (real === undefined) return; // nothing there: no key has that prefix
      if (real === path) {
        yield* walkFolder(path, base, options.prefix, options.startAfter, options);
        return;
      }
    }
    yield* walkFolder(dir, '', options.prefix, options.startAfter, options);
  }

  /** Keys with their last-modified time (the file's mtime, UTC micros): `sign --logs-prefix`. */
  async *listEntries(bucket: string, options: ListOptions): AsyncGenerator<{ key: string; lastModified: number }> {
    const dir = this.bucketDir(bucket);
    for await (const key of this.list(bucket, options)) {
      const info = await lstat(join(dir, ...(keySegments(key) ?? []))).catch((err: unknown) => {
        if (isAbsent(err)) return undefined; // gone since it was listed
        throw unreadable(join(dir, key), err);
      });
      if (info) yield { key, lastModified: Math.round(info.mtimeMs * 1000) };
    }
  }

  async put(bucket: string, key: string, body: Uint8Array, metadata: Metadata = {}, options: PutOptions = {}): Promise<void> {
    const segments = keySegments(key);
    if (!segments || !safeBucketName(bucket)) {
      throw new StoreError('Other', `Refusing to write an object with an unsafe name: s3://${bucket}/${key}`);
    }
    const path = await this.writableFolder(bucket, key, segments);
    if (options.createOnly === true) {
      const sidecar = Object.keys(metadata).length > 0 ? Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`) : undefined;
      return writeOnce(path, `s3://${bucket}/${key}`, body, sidecar);
    }
    // Metadata first, then the object: a crash in between leaves no object, and a sidecar that
    // the next write replaces. Each file appears whole through a rename.
    if (Object.keys(metadata).length > 0) {
      await atomicWrite(path + SIDECAR_SUFFIX, Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`));
    } else {
      await rm(path + SIDECAR_SUFFIX, { force: true });
    }
    await atomicWrite(path, body);
  }

  /**
   * Writes only an object's metadata sidecar (export-signatures), atomically, and only beside the
   * object itself: false (nothing written) when the copy has no regular file at that key. A sidecar
   * there would describe nothing, and the audit reports one as stray-sidecar.
   */
  async putMetadata(bucket: string, key: string, metadata: Metadata): Promise<boolean> {
    const segments = keySegments(key);
    if (!segments || !safeBucketName(bucket)) {
      throw new StoreError('Other', `Refusing to write metadata for an unsafe name: s3://${bucket}/${key}`);
    }
    const bucketPath = realOrAbsent(join(this.root, bucket));
    if (bucketPath === undefined) return false;
    const objectPath = join(bucketPath, ...segments);
    try {
      if (!(await lstat(objectPath)).isFile()) return false;
    } catch (err) {
      if (isAbsent(err)) return false;
      throw unreadable(objectPath, err);
    }
    const path = await this.writableFolder(bucket, key, segments);
    await atomicWrite(path + SIDECAR_SUFFIX, Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`));
    return true;
  }

  private readonly madeFolders = new Set<string>();

  /** The path to write a key at, its folders made and checked to lie inside the bucket (once per folder). */
  private async writableFolder(bucket: string, key: string, segments: string[]): Promise<string> {
    if (!this.bucketReal.has(bucket)) await mkdir(join(this.root, bucket), { recursive: true });
    const dir = this.bucketDir(bucket);
    const path = join(dir, ...segments);
    const folder = dirname(path);
    if (!this.madeFolders.has(folder) || !existsSync(folder)) {
      await mkdir(folder, { recursive: true });
      const real = await realpath(folder);
      if (!isInside(real, dir)) throw new StoreError('Other', `Refusing to write outside the local root: s3://${bucket}/${key}`);
      if (this.madeFolders.size > 4096) this.madeFolders.clear();
      this.madeFolders.add(folder);
    }
    return path;
  }

  async delete(bucket: string, key: string): Promise<void> {
    const real = resolveInside({ bucketReal: this.bucketDir(bucket), key });
    if (!real) return;
    await rm(real, { force: true });
    await rm(real + SIDECAR_SUFFIX, { force: true });
  }
}

function safeBucketName(bucket: string): boolean {
  try {
    checkBucketName(bucket);
    return true;
  } catch {
    return false;
  }
}

/** A file stream whose read errors say which file and why, in words. */
async function* failClosed(stream: AsyncIterable<Uint8Array>, path: string): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of stream) yield chunk;
  } catch (err) {
    throw unreadable(path, err);
  }
}

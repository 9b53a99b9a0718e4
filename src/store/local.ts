import { closeSync, constants as fsConstants, createReadStream, existsSync, fstatSync, openSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { noSuchBucket, StoreError } from './errors.js';
import type { ListOptions, Metadata, ObjectStore, StoredObject } from './types.js';

/**
 * A local copy of buckets: `ROOT/<bucket>/<key>` is the object, `ROOT/<bucket>/<key>.metadata.json`
 * its user metadata (behaviour §7). Sidecars and our temporary files are never objects.
 *
 * Keys come from digests and are hostile: a key with an empty, `.` or `..` segment, a NUL, or one
 * that resolves (through symlinks) outside its bucket folder is an object that does not exist.
 */
export const SIDECAR_SUFFIX = '.metadata.json';
const TMP_MARK = '.trailproof-tmp-';
const MAX_SIDECAR = 1 << 20;
const BUCKET_NAME = /^[A-Za-z0-9._-]{1,255}$/;

const ASTRAL_OR_HIGH = /[\uD800-\uFFFF]/;

/**
 * S3's key order: UTF-8 bytes. For text without surrogates or U+E000..U+FFFF, UTF-16 code unit
 * order is the same, so only such keys pay for an encoding.
 */
export function byteCompare(a: string, b: string): number {
  if (!ASTRAL_OR_HIGH.test(a) && !ASTRAL_OR_HIGH.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function keySegments(key: string): string[] | undefined {
  if (key.length === 0 || key.length > 4096 || key.includes('\0')) return undefined;
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  const last = parts[parts.length - 1]!;
  if (last.endsWith(SIDECAR_SUFFIX) || last.startsWith(TMP_MARK)) return undefined;
  return parts;
}

/** Parses a sidecar: `{"signature": ...}` or the shape `aws s3api head-object` prints. */
export function parseSidecar(text: string): Metadata {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
  let source = parsed as Record<string, unknown>;
  const inner = source.Metadata;
  if (typeof inner === 'object' && inner !== null && !Array.isArray(inner)) source = inner as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(source)) {
    if (typeof v !== 'string') continue;
    const name = k.toLowerCase().replace(/^x-amz-meta-/, '');
    out[name] = v;
  }
  return out;
}

export interface LocalLocation {
  readonly bucketReal: string;
  /** The key, not yet checked: readers check it with keySegments (an unsafe key is a missing object). */
  readonly key: string;
}

/** The real path of a location's file if the key is safe and the file stays inside the bucket (symlinks resolved). */
export function resolveInside(location: LocalLocation): string | undefined {
  const segments = keySegments(location.key);
  const real = segments ? resolveSegments(location.bucketReal, segments) : undefined;
  return real !== location.bucketReal ? real : undefined;
}

function resolveSegments(bucketReal: string, segments: readonly string[]): string | undefined {
  let real: string;
  try {
    real = realpathSync(join(bucketReal, ...segments));
  } catch {
    return undefined;
  }
  return real === bucketReal || real.startsWith(bucketReal + sep) ? real : undefined;
}

/**
 * resolveInside for a stream of files that share folders (the log workers): a folder's real path
 * is resolved and checked once and remembered; the file itself is then opened without following a
 * symlink (O_NOFOLLOW), and only a symlinked file takes the full resolution.
 */
export class FolderCache {
  private readonly folders = new Map<string, string | null>();

  constructor(private readonly limit = 4096) {}

  /** The path to open with O_NOFOLLOW, or undefined when the object cannot exist. */
  parentChecked(location: LocalLocation): string | undefined {
    const segments = keySegments(location.key);
    if (!segments) return undefined;
    const cut = location.key.lastIndexOf('/');
    const id = `${location.bucketReal}\0${cut < 0 ? '' : location.key.slice(0, cut)}`;
    let real = this.folders.get(id);
    if (real === undefined) {
      real = segments.length === 1 ? location.bucketReal : (resolveSegments(location.bucketReal, segments.slice(0, -1)) ?? null);
      if (real !== null && real !== location.bucketReal && !real.startsWith(location.bucketReal + sep)) real = null;
      if (this.folders.size >= this.limit) this.folders.clear();
      this.folders.set(id, real);
    }
    return real === null ? undefined : join(real, segments[segments.length - 1]!);
  }
}

export class LocalStore implements ObjectStore {
  readonly kind = 'local' as const;
  private readonly bucketReal = new Map<string, string>();

  constructor(readonly root: string) {}

  /** The real path of a bucket folder; NoSuchBucket when there is none (behaviour §7). */
  private async bucketDir(bucket: string): Promise<string> {
    const cached = this.bucketReal.get(bucket);
    if (cached) return cached;
    if (!BUCKET_NAME.test(bucket)) {
      // What botocore says before sending anything.
      throw new StoreError('Other', `Parameter validation failed: Invalid bucket name "${bucket.slice(0, 300)}": Bucket name must match the regex "^[a-zA-Z0-9.\\-_]{1,255}$"`);
    }
    if (bucket === '.' || bucket === '..') throw noSuchBucket();
    let real: string;
    try {
      real = await realpath(join(this.root, bucket));
      if (!(await stat(real)).isDirectory()) throw noSuchBucket();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw noSuchBucket();
      throw new StoreError('Other', `Cannot read local bucket folder ${join(this.root, bucket)}: ${code ?? String(err)}`, {
        cause: err,
      });
    }
    this.bucketReal.set(bucket, real);
    return real;
  }

  /**
   * The real path of a key's file if it exists inside its bucket folder, else undefined. Reads of
   * objects use blocking calls: a digest or a sidecar is small, and a handful of direct system calls
   * costs this thread less than as many round trips through the libuv pool.
   */
  private resolveFile(bucketReal: string, segments: string[], suffix = ''): string | undefined {
    let real: string;
    try {
      real = realpathSync(join(bucketReal, ...segments) + suffix);
    } catch {
      return undefined;
    }
    if (!real.startsWith(bucketReal + sep)) return undefined;
    return real;
  }

  /** `locate` without a promise when the bucket folder is already known (the hot path), else null. */
  locateKnown(bucket: string, key: string): LocalLocation | null {
    const dir = this.bucketReal.get(bucket);
    return dir === undefined ? null : { bucketReal: dir, key };
  }

  /**
   * Where an object's file would be, for readers that open it themselves (the log workers, which
   * check the key and resolve the file with FolderCache / resolveInside): the bucket folder's real
   * path and the key. Throws NoSuchBucket like `get`.
   */
  async locate(bucket: string, key: string): Promise<LocalLocation> {
    return { bucketReal: await this.bucketDir(bucket), key };
  }

  /** An object's file, opened (a regular file inside its bucket, not followed through a last symlink). */
  private async openObject(bucket: string, key: string): Promise<{ fd: number; size: number; dir: string; segments: string[] } | undefined> {
    const dir = await this.bucketDir(bucket);
    const segments = keySegments(key);
    if (!segments) return undefined;
    const real = this.resolveFile(dir, segments);
    if (!real) return undefined;
    let fd: number;
    try {
      fd = openSync(real, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch {
      return undefined;
    }
    let info;
    try {
      info = fstatSync(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (!info.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return { fd, size: info.size, dir, segments };
  }

  async getBytes(bucket: string, key: string, limit: number): Promise<{ bytes: Buffer; metadata: Metadata } | undefined> {
    const file = await this.openObject(bucket, key);
    if (!file) return undefined;
    try {
      if (file.size > limit) throw new StoreError('Other', `s3://${bucket}/${key} is larger than ${limit} bytes`);
      const bytes = readFileSync(file.fd);
      if (bytes.length > limit) throw new StoreError('Other', `s3://${bucket}/${key} is larger than ${limit} bytes`);
      return { bytes, metadata: this.readSidecar(file.dir, file.segments) };
    } finally {
      closeSync(file.fd);
    }
  }

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    const file = await this.openObject(bucket, key);
    if (!file) return undefined;
    let metadata: Metadata;
    try {
      metadata = this.readSidecar(file.dir, file.segments);
    } catch (err) {
      closeSync(file.fd);
      throw err;
    }
    // The stream owns the descriptor from here: it closes it at the end, on error, or when destroyed.
    const stream = createReadStream('', { fd: file.fd, highWaterMark: 256 * 1024, autoClose: true });
    return {
      metadata,
      body: stream,
      size: file.size,
      close: async () => {
        stream.destroy();
      },
    };
  }

  private readSidecar(dir: string, segments: string[]): Metadata {
    const real = this.resolveFile(dir, segments, SIDECAR_SUFFIX);
    if (!real) return {};
    try {
      const info = statSync(real);
      if (!info.isFile() || info.size > MAX_SIDECAR) return {};
      return parseSidecar(readFileSync(real, 'utf8'));
    } catch {
      return {};
    }
  }

  async *list(bucket: string, options: ListOptions): AsyncGenerator<string> {
    const dir = await this.bucketDir(bucket);
    yield* this.walk(dir, '', options.prefix, options.startAfter);
  }

  private async *walk(dir: string, keyPrefix: string, prefix: string, after: string | undefined): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const items = entries
      .filter((e) => e.isDirectory() || (e.isFile() && !e.name.endsWith(SIDECAR_SUFFIX) && !e.name.startsWith(TMP_MARK)))
      .map((e) => ({ name: e.name, dir: e.isDirectory(), key: keyPrefix + e.name + (e.isDirectory() ? '/' : '') }))
      .sort((a, b) => byteCompare(a.key, b.key));
    for (const item of items) {
      if (item.dir) {
        // Only folders whose keys can start with the listing prefix.
        if (!item.key.startsWith(prefix) && !prefix.startsWith(item.key)) continue;
        // Skip a folder whose every key sorts before the marker.
        if (after !== undefined && byteCompare(item.key, after) < 0 && !after.startsWith(item.key)) continue;
        yield* this.walk(join(dir, item.name), item.key, prefix, after);
      } else {
        if (!item.key.startsWith(prefix)) continue;
        if (after !== undefined && byteCompare(item.key, after) <= 0) continue;
        yield item.key;
      }
    }
  }

  async put(bucket: string, key: string, body: Uint8Array, metadata: Metadata = {}): Promise<void> {
    const segments = keySegments(key);
    if (!segments || !BUCKET_NAME.test(bucket) || bucket === '.' || bucket === '..') {
      throw new StoreError('Other', `Refusing to write an object with an unsafe name: s3://${bucket}/${key}`);
    }
    const path = await this.writableFolder(bucket, key, segments);
    // Metadata first, then the object: a crash in between leaves no object, and a sidecar that
    // the next write replaces. Each file appears whole through a rename.
    if (Object.keys(metadata).length > 0) {
      await atomicWrite(path + SIDECAR_SUFFIX, Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`));
    } else {
      await rm(path + SIDECAR_SUFFIX, { force: true });
    }
    await atomicWrite(path, body);
  }

  /** Writes only an object's metadata sidecar (export-signatures), atomically. */
  async putMetadata(bucket: string, key: string, metadata: Metadata): Promise<void> {
    const segments = keySegments(key);
    if (!segments || !BUCKET_NAME.test(bucket) || bucket === '.' || bucket === '..') {
      throw new StoreError('Other', `Refusing to write metadata for an unsafe name: s3://${bucket}/${key}`);
    }
    const path = await this.writableFolder(bucket, key, segments);
    await atomicWrite(path + SIDECAR_SUFFIX, Buffer.from(`${JSON.stringify(metadata, null, 2)}\n`));
  }

  private readonly madeFolders = new Set<string>();

  /** The path to write a key at, its folders made and checked to lie inside the bucket (once per folder). */
  private async writableFolder(bucket: string, key: string, segments: string[]): Promise<string> {
    if (!this.bucketReal.has(bucket)) await mkdir(join(this.root, bucket), { recursive: true });
    const dir = await this.bucketDir(bucket);
    const path = join(dir, ...segments);
    const folder = dirname(path);
    if (!this.madeFolders.has(folder) || !existsSync(folder)) {
      await mkdir(folder, { recursive: true });
      const real = await realpath(folder);
      if (real !== dir && !real.startsWith(dir + sep)) throw new StoreError('Other', `Refusing to write outside the local root: s3://${bucket}/${key}`);
      if (this.madeFolders.size > 4096) this.madeFolders.clear();
      this.madeFolders.add(folder);
    }
    return path;
  }

  async delete(bucket: string, key: string): Promise<void> {
    const dir = await this.bucketDir(bucket);
    const segments = keySegments(key);
    if (!segments) return;
    const real = this.resolveFile(dir, segments);
    if (!real) return;
    await rm(real, { force: true });
    await rm(real + SIDECAR_SUFFIX, { force: true });
  }
}

async function atomicWrite(path: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `${TMP_MARK}${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

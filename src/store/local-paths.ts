import { closeSync, constants as fsConstants, fstatSync, openSync, readSync, realpathSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { describeFsError, errnoCode, isAbsent } from '../util/errno.js';
import { StoreError } from './errors.js';

/**
 * Path containment for a local copy of buckets (the one copy of it: the local store and the log
 * workers both use it). `ROOT/<bucket>/<key>` is the object; keys come from digests and are
 * hostile: a key with an empty, `.` or `..` segment, a NUL, or one that resolves (through symlinks)
 * outside its bucket folder is an object that does not exist.
 *
 * Fail closed: only "nothing is there" (ENOENT, ENOTDIR, a folder where the object would be) is a
 * missing object. Anything that exists but cannot be read (permissions, I/O errors, symlink loops)
 * or is not a regular file (FIFO, socket, device) throws a StoreError that stops the run.
 */
export const SIDECAR_SUFFIX = '.metadata.json';
export const TMP_MARK = '.trailproof-tmp-';
/**
 * Our own temporary files are TMP_MARK and 12 hex digits (write-once.ts, util/atomic-file.ts): only
 * those are not objects. Any other name, `.trailproof-tmp-x.json.gz` included, is an object like
 * any other (listed, read, and reported by the audit when it is not CloudTrail's).
 */
const TMP_NAME = new RegExp(`^${TMP_MARK.replace(/[.]/g, '\\.')}[0-9a-f]{12}$`);

export function isTemporaryName(name: string): boolean {
  return TMP_NAME.test(name);
}

export interface LocalLocation {
  readonly bucketReal: string;
  /** The key, not yet checked: readers check it with keySegments (an unsafe key is a missing object). */
  readonly key: string;
}

export function keySegments(key: string): string[] | undefined {
  if (key.length === 0 || key.length > 4096 || key.includes('\0')) return undefined;
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return undefined;
  const last = parts[parts.length - 1]!;
  if (last.endsWith(SIDECAR_SUFFIX) || isTemporaryName(last)) return undefined;
  return parts;
}

/** The one-line error for a file or folder that exists but cannot be read. */
export function unreadable(path: string, err: unknown): StoreError {
  const code = errnoCode(err);
  const kind = code === 'EACCES' || code === 'EPERM' ? 'AccessDenied' : 'Other';
  return new StoreError(kind, `Cannot read ${path}: ${describeFsError(err)}`, { cause: err });
}

function fileType(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

export function notRegular(path: string, info: Stats): StoreError {
  return new StoreError('Other', `Cannot read ${path}: it is ${fileType(info)}, not a regular file`);
}

/**
 * realpath, or undefined when nothing is there; throws when something is there but cannot be
 * resolved. The system's realpath(3): one call, where the JavaScript one stats every segment.
 */
export function realOrAbsent(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    throw unreadable(path, err);
  }
}

export function isInside(real: string, folderReal: string): boolean {
  return real === folderReal || real.startsWith(folderReal + sep);
}

/** The real path of `segments` below a bucket, or undefined when absent or outside it. */
function resolveSegments(bucketReal: string, segments: readonly string[]): string | undefined {
  const real = realOrAbsent(join(bucketReal, ...segments));
  return real !== undefined && isInside(real, bucketReal) ? real : undefined;
}

/** The real path of a location's file if the key is safe and the file stays inside the bucket (symlinks resolved). */
export function resolveInside(location: LocalLocation): string | undefined {
  const segments = keySegments(location.key);
  const real = segments ? resolveSegments(location.bucketReal, segments) : undefined;
  return real !== location.bucketReal ? real : undefined;
}

/** The real path of a location's metadata sidecar, if it is there and inside the bucket. */
export function resolveSidecar(location: LocalLocation): string | undefined {
  const segments = keySegments(location.key);
  if (!segments) return undefined;
  const real = realOrAbsent(join(location.bucketReal, ...segments) + SIDECAR_SUFFIX);
  return real !== undefined && isInside(real, location.bucketReal) && real !== location.bucketReal ? real : undefined;
}

/**
 * Opens a resolved path for reading: a regular file gives its descriptor and size; nothing there, or
 * a folder (S3 has no object there), gives undefined; anything else throws. O_NONBLOCK makes the
 * open of a FIFO return at once (a blocking open would wait for a writer forever); the type is then
 * checked on the descriptor, so a file swapped in between cannot slip through. O_NOFOLLOW: the path
 * is already resolved, a symlink appearing there now is refused ('symlink').
 */
export function openRegular(path: string): { fd: number; size: number } | 'symlink' | undefined {
  let fd: number;
  try {
    fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch (err) {
    if (isAbsent(err)) return undefined;
    if (errnoCode(err) === 'ELOOP') return 'symlink';
    if (errnoCode(err) === 'EISDIR') return undefined;
    throw unreadable(path, err);
  }
  let info: Stats;
  try {
    info = fstatSync(fd);
  } catch (err) {
    closeSync(fd);
    throw unreadable(path, err);
  }
  if (info.isFile()) return { fd, size: info.size };
  closeSync(fd);
  if (info.isDirectory()) return undefined;
  throw notRegular(path, info);
}

/**
 * A file opened by openRegular, read whole: the size fstat gave and one byte more, to see a file
 * that grows while it is read. That one is refused: it is being written, and what was read is not
 * the object (nor its metadata).
 */
export function readOpened(file: { readonly fd: number; readonly size: number; readonly path: string }): Buffer {
  const bytes = Buffer.allocUnsafe(file.size + 1);
  let off = 0;
  while (off < bytes.length) {
    const n = readSync(file.fd, bytes, off, bytes.length - off, off);
    if (n === 0) break;
    off += n;
    // A short read of a regular file is its end: the size fstat gave, and nothing more, in one call.
    if (off === file.size) break;
  }
  if (off > file.size) throw new StoreError('Other', `Cannot read ${file.path}: it changed while it was read`);
  return bytes.subarray(0, off);
}

/**
 * Opens an object's file: its key checked, its path resolved inside the bucket, a last symlink
 * followed only when it stays inside. Undefined when there is no such object.
 */
export function openObjectFile(location: LocalLocation): { fd: number; size: number; path: string } | undefined {
  const real = resolveInside(location);
  if (real === undefined) return undefined;
  const opened = openRegular(real);
  // A symlink put there after the resolution: resolve once more, as a reader arriving now would.
  if (opened === 'symlink') return undefined;
  return opened && { ...opened, path: real };
}

/**
 * resolveInside for a stream of files that share folders (the log workers): a folder's real path
 * is resolved and checked once and remembered; the file itself is then opened without following a
 * symlink (O_NOFOLLOW), and only a symlinked file takes the full resolution.
 */
export class FolderCache {
  private readonly folders = new Map<string, string>();

  constructor(private readonly limit = 4096) {}

  /** The path to open with O_NOFOLLOW, or undefined when the object cannot exist. */
  parentChecked(location: LocalLocation): string | undefined {
    const segments = keySegments(location.key);
    if (!segments) return undefined;
    const cut = location.key.lastIndexOf('/');
    const id = `${location.bucketReal}\0${cut < 0 ? '' : location.key.slice(0, cut)}`;
    let real: string | null | undefined = this.folders.get(id);
    if (real === undefined) {
      real = segments.length === 1 ? location.bucketReal : (resolveSegments(location.bucketReal, segments.slice(0, -1)) ?? null);
      // Only folders that are there are remembered: one made later (a new day's digests) is found then.
      if (real !== null) {
        if (this.folders.size >= this.limit) this.folders.clear();
        this.folders.set(id, real);
      }
    }
    return real === null ? undefined : join(real, segments[segments.length - 1]!);
  }

  /** Opens a location's file (see openObjectFile), through the folder cache. */
  open(location: LocalLocation): { fd: number; size: number; path: string } | undefined {
    const path = this.parentChecked(location);
    if (path === undefined) return undefined;
    const opened = openRegular(path);
    if (opened !== 'symlink') return opened && { ...opened, path };
    // The file itself is a symlink: followed only if it stays inside the bucket.
    return openObjectFile(location);
  }

  /** Opens a location's metadata sidecar (resolveSidecar's rules), through the folder cache. */
  openSidecar(location: LocalLocation): { fd: number; size: number; path: string } | undefined {
    const parent = this.parentChecked(location);
    if (parent === undefined) return undefined;
    const path = parent + SIDECAR_SUFFIX;
    const opened = openRegular(path);
    if (opened !== 'symlink') return opened && { ...opened, path };
    const real = resolveSidecar(location);
    const again = real === undefined ? undefined : openRegular(real);
    return again && again !== 'symlink' ? { ...again, path: real! } : undefined;
  }
}

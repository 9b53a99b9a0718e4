import { closeSync, readSync } from 'node:fs';
import { TrailproofError } from '../errors.js';
import { StoreError } from './errors.js';
import { unreadable, type FolderCache, type LocalLocation } from './local-paths.js';
import type { Metadata } from './types.js';

/**
 * Metadata sidecars of a local root (behaviour §7): `<key>.metadata.json` holds an object's S3
 * user metadata, as `{"signature": ...}` or as `aws s3api head-object` prints it.
 */
const MAX_SIDECAR = 1 << 20;

/** Parses a sidecar: `{"signature": ...}` or the shape `aws s3api head-object` prints. Malformed: no metadata. */
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

/** No sidecar file at all (as opposed to one without the expected fields). */
export const NO_SIDECAR: Metadata = Object.freeze({});

/** An object's metadata sidecar: none (absent, outside the bucket, a folder) is no metadata; unreadable or oversized stops the run. */
export function readSidecar(location: LocalLocation, folders: FolderCache): Metadata {
  const file = folders.openSidecar(location);
  if (file === undefined) return NO_SIDECAR;
  const real = file.path;
  try {
    const tooLarge = () => new StoreError('Other', `Cannot read ${real}: a metadata sidecar larger than ${MAX_SIDECAR} bytes`);
    if (file.size > MAX_SIDECAR) throw tooLarge();
    // The size fstat gave, and one byte more: a sidecar that grew past the limit since is refused too.
    const bytes = Buffer.allocUnsafe(file.size + 1);
    let off = 0;
    while (off < bytes.length) {
      const n = readSync(file.fd, bytes, off, bytes.length - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off > MAX_SIDECAR) throw tooLarge();
    if (off > file.size) return parseSidecar(readGrown(file.fd, bytes.subarray(0, off), tooLarge));
    return parseSidecar(bytes.toString('utf8', 0, off));
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw unreadable(real, err);
  } finally {
    closeSync(file.fd);
  }
}

/** The rest of a sidecar that grew while it was read (it is being rewritten): read on, up to the limit. */
function readGrown(fd: number, head: Buffer, tooLarge: () => Error): string {
  const parts = [head];
  let total = head.length;
  for (;;) {
    const chunk = Buffer.allocUnsafe(64 * 1024);
    const n = readSync(fd, chunk, 0, chunk.length, total);
    if (n === 0) break;
    total += n;
    if (total > MAX_SIDECAR) throw tooLarge();
    parts.push(chunk.subarray(0, n));
  }
  return Buffer.concat(parts).toString('utf8');
}

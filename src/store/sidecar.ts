import { closeSync } from 'node:fs';
import { TrailproofError } from '../errors.js';
import { StoreError } from './errors.js';
import { readOpened, unreadable, type FolderCache, type LocalLocation } from './local-paths.js';
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

/** An object's metadata sidecar: none (absent, outside the bucket, a folder) is no metadata; unreadable, oversized or growing while read stops the run. */
export function readSidecar(location: LocalLocation, folders: FolderCache): Metadata {
  const file = folders.openSidecar(location);
  if (file === undefined) return NO_SIDECAR;
  const real = file.path;
  try {
    if (file.size > MAX_SIDECAR) throw new StoreError('Other', `Cannot read ${real}: a metadata sidecar larger than ${MAX_SIDECAR} bytes`);
    return parseSidecar(readOpened(file).toString('utf8'));
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw unreadable(real, err);
  } finally {
    closeSync(file.fd);
  }
}

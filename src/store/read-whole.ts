import { closeSync } from 'node:fs';
import { TrailproofError } from '../errors.js';
import { readOpened, unreadable, type FolderCache, type LocalLocation } from './local-paths.js';
import { NO_SIDECAR, readSidecar } from './sidecar.js';
import type { Metadata } from './types.js';

/**
 * One small local object read whole with its metadata sidecar (a digest). Path containment and the
 * fail-closed rules are local-paths.ts'; a file over `limit` is refused, never read, and one that
 * grows while it is read stops the run (it is being written: what was read is not the object).
 */
export interface WholeObject {
  readonly bytes: Buffer;
  readonly metadata: Metadata;
  /** False when there was no sidecar file at all (a copy made with `aws s3 sync`). */
  readonly sidecar: boolean;
}

export function readWhole(folders: FolderCache, location: LocalLocation, limit: number, tooLarge: () => Error): WholeObject | undefined {
  const file = folders.open(location);
  if (!file) return undefined;
  try {
    if (file.size > limit) throw tooLarge();
    const bytes = readOpened(file);
    const metadata = readSidecar(location, folders);
    return { bytes, metadata, sidecar: metadata !== NO_SIDECAR };
  } catch (err) {
    if (err instanceof TrailproofError) throw err;
    throw unreadable(file.path, err);
  } finally {
    closeSync(file.fd);
  }
}

import type { MemberStatus } from '../crypto/gzip.js';
import type { LocalLocation } from '../store/local-paths.js';

/** What the log workers are asked and answer (log-worker.ts, worker-pool.ts). */
export interface LogTask {
  readonly id: number;
  /** Where the file is: the key is checked and the file resolved in the worker (FolderCache, resolveInside). */
  readonly location: LocalLocation;
  readonly scanEventTimes: boolean;
}

export type LogTaskResult =
  | { readonly id: number; readonly missing: true }
  /** The file is there but could not be read (fail closed: the run stops with this message). */
  | { readonly id: number; readonly missing: false; readonly unreadable: string }
  | {
      readonly id: number;
      readonly missing: false;
      readonly status: MemberStatus;
      readonly trailing: boolean;
      readonly hash: string;
      readonly newest: string | null;
      readonly oldest: string | null;
      readonly message?: string;
    };

/**
 * Messages are JSON text (one string per batch clones far faster than arrays of objects):
 * tasks `[[id, scan 0|1, bucketReal, key], ...]`, results `[[id, code, hash, newest, oldest, message], ...]`.
 */
export type WireTask = [number, 0 | 1, string, string];
export type WireResult = [number, WireCode, string, string | null, string | null, string | null];
/** m: missing; e: unreadable; c/C: complete (C with trailing data); t/T: truncated; x: corrupt. */
export type WireCode = 'm' | 'e' | 'c' | 'C' | 't' | 'T' | 'x';

export function toWire(r: LogTaskResult): WireResult {
  if (r.missing) return [r.id, 'm', '', null, null, null];
  if ('unreadable' in r) return [r.id, 'e', '', null, null, r.unreadable];
  const code: WireCode = r.status === 'corrupt' ? 'x' : r.status === 'complete' ? (r.trailing ? 'C' : 'c') : r.trailing ? 'T' : 't';
  return [r.id, code, r.hash, r.newest, r.oldest, r.message ?? null];
}

export function fromWire(w: WireResult): LogTaskResult {
  const [id, code, hash, newest, oldest, message] = w;
  if (code === 'm') return { id, missing: true };
  if (code === 'e') return { id, missing: false, unreadable: message ?? 'unreadable' };
  const status = code === 'x' ? 'corrupt' : code === 'c' || code === 'C' ? 'complete' : 'truncated';
  return { id, missing: false, status, trailing: code === 'C' || code === 'T', hash, newest, oldest, ...(message ? { message } : {}) };
}


import type { LogRead } from '../../crypto/log-read.js';
import type { LogObjectRead } from '../types.js';

/**
 * What the log workers are asked and answer (worker.ts, pool.ts). Messages are JSON text (one
 * string per batch clones far faster than arrays of objects): tasks `[[id, scan 0|1, bucketReal,
 * key], ...]`, results `[[id, code, hash, newest, oldest, message], ...]`. Every field of a result is
 * checked when decoded: a worker is ours, but a message is still input.
 */
export type WireTask = [number, 0 | 1, string, string];
export type WireResult = [number, WireCode, string, string | null, string | null, string | null];
/** m: missing; e: unreadable (message); c/C: complete (C with trailing data); t/T: truncated; x: corrupt. */
export type WireCode = 'm' | 'e' | 'c' | 'C' | 't' | 'T' | 'x';

export function toWire(id: number, r: LogObjectRead): WireResult {
  if (r.kind === 'missing') return [id, 'm', '', null, null, null];
  if (r.kind === 'failed') return [id, 'e', '', null, null, r.error instanceof Error ? r.error.message : String(r.error)];
  const { read } = r;
  const code: WireCode = read.status === 'corrupt' ? 'x' : read.status === 'complete' ? (read.trailing ? 'C' : 'c') : read.trailing ? 'T' : 't';
  return [id, code, read.sha256, read.newest, read.oldest, read.message ?? null];
}

/** The result, or a message saying why it is not one (the caller stops the run). */
export function fromWire(w: WireResult): { id: number; result: LogObjectRead; failure?: string } {
  const [id, code, hash, newest, oldest, message] = w;
  if (code === 'm') return { id, result: { kind: 'missing' } };
  if (code === 'e') return { id, result: { kind: 'missing' }, failure: message ?? 'a log could not be read' };
  const status = code === 'x' ? 'corrupt' : code === 'c' || code === 'C' ? 'complete' : 'truncated';
  const read: LogRead = { status, trailing: code === 'C' || code === 'T', sha256: hash, newest, oldest, ...(message ? { message } : {}) };
  return { id, result: { kind: 'read', read } };
}

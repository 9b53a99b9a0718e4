import type { LogRead } from '../crypto/log-read.js';
import { readLogs } from '../store/read-logs.js';
import type { ObjectStore } from '../store/types.js';

/**
 * One log file's verdict, behaviour §4: the store reads it (one gzip member inflated, SHA-256 of
 * the uncompressed bytes: store/read-logs.ts, or the local store's workers); this compares.
 */
export const LOG_REASON = {
  notFound: 'not found',
  format: 'invalid format',
  mismatch: "hash value doesn't match",
  trailing: 'unexpected data after end of compressed stream',
} as const;

/** `truncated`: valid, as the reference says, but the gzip member ends before its trailer (the audit reports it). */
export type LogOutcome = { readonly valid: true; readonly truncated?: true } | { readonly valid: false; readonly reason: string };

export interface LogCheckRequest {
  readonly bucket: string;
  readonly key: string;
  /** The digest's `hashValue` as decoded (attacker-controlled; any JSON type). */
  readonly expectedHash: unknown;
  readonly hasExpectedHash: boolean;
}

/** A log's outcome, or what stopped the run at that log (a missing bucket, an unreadable file). */
export type LogResult = LogOutcome | { readonly fatal: unknown };

/**
 * Checks log files in batches (a digest's logs, in order): one call per batch keeps the per-file
 * cost of the main thread small. `batch` is the size the store reads best in.
 */
export interface LogChecker {
  readonly batch: number;
  check(reqs: readonly LogCheckRequest[]): Promise<LogResult[]>;
}

/** The checker over a store: batches of 64 where the store reads in batches, else one by one. */
export function createLogChecker(store: ObjectStore): LogChecker {
  return {
    batch: store.readLogs ? 64 : 1,
    check: async (reqs) => {
      const reads = await readLogs(store, reqs, false);
      const out: LogResult[] = [];
      for (const [i, r] of reads.entries()) {
        if (r.kind === 'failed') {
          out.push({ fatal: r.error });
          break;
        }
        out.push(r.kind === 'missing' ? { valid: false, reason: LOG_REASON.notFound } : judge(r.read, reqs[i]!));
      }
      return out;
    },
  };
}

/** The verdict from what the read saw. */
export function judge(read: LogRead, req: LogCheckRequest): LogOutcome {
  if (read.status === 'corrupt') return { valid: false, reason: LOG_REASON.format };
  if (read.trailing) return { valid: false, reason: LOG_REASON.trailing };
  // A missing hashValue fails after the download in the reference: an invalid format.
  if (!req.hasExpectedHash) return { valid: false, reason: LOG_REASON.format };
  if (read.sha256 !== req.expectedHash) return { valid: false, reason: LOG_REASON.mismatch };
  return read.status === 'truncated' ? { valid: true, truncated: true } : { valid: true };
}

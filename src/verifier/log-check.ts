import { createHash } from 'node:crypto';
import { fromBytes, gunzipMember } from '../crypto/gzip.js';
import { inflateWhole } from '../crypto/gzip-sync.js';
import type { LocalStore } from '../store/local.js';
import type { LocalLocation } from '../store/local-paths.js';
import { StoreError } from '../store/errors.js';
import type { ObjectStore } from '../store/types.js';
import type { LogWorkerPool } from './worker-pool.js';

/**
 * One log file, behaviour §4: fetch, stream-gunzip exactly one member, SHA-256 the uncompressed
 * bytes as they arrive, compare with the digest's lowercase hex `hashValue`.
 */
export const LOG_REASON = {
  notFound: 'not found',
  format: 'invalid format',
  mismatch: "hash value doesn't match",
  trailing: 'unexpected data after end of compressed stream',
} as const;

export type LogOutcome = { readonly valid: true } | { readonly valid: false; readonly reason: string };

export interface LogCheckRequest {
  readonly bucket: string;
  readonly key: string;
  /** The digest's `hashValue` as decoded (attacker-controlled; any JSON type). */
  readonly expectedHash: unknown;
  readonly hasExpectedHash: boolean;
}

/** A log's outcome, or what stopped the run at that log (a missing bucket, an S3 error). */
export type LogResult = LogOutcome | { readonly fatal: unknown };

/**
 * Checks log files in batches (a digest's logs, in order): one call per batch keeps the per-file
 * cost of the main thread small. `batch` is the size the checker works best with.
 */
export interface LogChecker {
  readonly batch: number;
  check(reqs: readonly LogCheckRequest[]): Promise<LogResult[]>;
}

/** The results of a batch checked one file at a time, all at once; a failure stops the batch there. */
async function eachFile(reqs: readonly LogCheckRequest[], one: (req: LogCheckRequest) => Promise<LogOutcome>): Promise<LogResult[]> {
  const settled = await Promise.allSettled(reqs.map(one));
  const out: LogResult[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') {
      out.push({ fatal: s.reason });
      break;
    }
    out.push(s.value);
  }
  return out;
}

/** The in-process checker: native zlib on the libuv pool, SHA-256 on this thread. */
export function createStreamLogChecker(store: ObjectStore): LogChecker {
  return { batch: 1, check: (reqs) => eachFile(reqs, (req) => checkOneStreamed(store, req)) };
}

/** Objects up to this size are read whole and inflated in one native call; larger ones stream. */
const WHOLE_OBJECT_LIMIT = 4 << 20;

async function checkOneStreamed(store: ObjectStore, req: LogCheckRequest): Promise<LogOutcome> {
  const object = await store.get(req.bucket, req.key);
  if (!object) return { valid: false, reason: LOG_REASON.notFound };
  let hash = createHash('sha256');
  const fresh = (): ((chunk: Buffer) => void) => {
    hash = createHash('sha256');
    return (chunk) => hash.update(chunk);
  };
  try {
    let body: AsyncIterable<Uint8Array> = object.body;
    if (object.size !== undefined && object.size <= WHOLE_OBJECT_LIMIT) {
      const parts: Buffer[] = [];
      for await (const chunk of object.body) parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      const bytes = Buffer.concat(parts);
      const fast = inflateWhole(bytes, 48 << 20, fresh);
      if (fast) return judge(fast.status, fast.trailing, hash.digest('hex'), req);
      body = fromBytes(bytes);
    }
    const result = await gunzipMember(body, fresh());
    return judge(result.status, result.trailing, hash.digest('hex'), req);
  } finally {
    await object.close();
  }
}

/** The local checker: files read, inflated and hashed by the log workers, one per core. */
export function createWorkerLogChecker(store: LocalStore, pool: LogWorkerPool): LogChecker {
  return {
    batch: 64,
    check: async (reqs) => {
      // Where each file is (a missing bucket stops the run at that log, as in the reference).
      const located: LocalLocation[] = [];
      let fatal: { fatal: unknown } | undefined;
      for (const req of reqs) {
        try {
          located.push(store.locateKnown(req.bucket, req.key) ?? (await store.locate(req.bucket, req.key)));
        } catch (err) {
          fatal = { fatal: err };
          break;
        }
      }
      const results = await pool.runMany(located, false);
      const out: LogResult[] = [];
      for (const [i, r] of results.entries()) {
        if (r.missing) out.push({ valid: false, reason: LOG_REASON.notFound });
        else if ('unreadable' in r) {
          // Fail closed: a log that is there but cannot be read stops the run at that log.
          out.push({ fatal: new StoreError('Other', r.unreadable) });
          return out;
        } else out.push(judge(r.status, r.trailing, r.hash, reqs[i]!));
      }
      if (fatal) out.push(fatal);
      return out;
    },
  };
}

/** The verdict from what the gunzip saw (shared by every checker). */
export function judge(status: 'complete' | 'truncated' | 'corrupt', trailing: boolean, actualHex: string, req: LogCheckRequest): LogOutcome {
  if (status === 'corrupt') return { valid: false, reason: LOG_REASON.format };
  if (trailing) return { valid: false, reason: LOG_REASON.trailing };
  // A missing hashValue fails after the download in the reference: an invalid format.
  if (!req.hasExpectedHash) return { valid: false, reason: LOG_REASON.format };
  if (actualHex !== req.expectedHash) return { valid: false, reason: LOG_REASON.mismatch };
  return { valid: true };
}

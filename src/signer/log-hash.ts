import { createHash } from 'node:crypto';
import { gunzipMember } from '../crypto/gzip.js';
import type { LocalStore } from '../store/local.js';
import type { ObjectStore } from '../store/types.js';
import type { LogWorkerPool } from '../verifier/worker-pool.js';

/**
 * What a digest says of one log file: SHA-256 of the uncompressed content and the newest and
 * oldest `eventTime` of its records (guide: "Digest File Field Descriptions").
 */
export interface LogFacts {
  readonly hashValue: string;
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
}

export type LogFactsResult = { ok: true; facts: LogFacts } | { ok: false; reason: string };

const NEEDLE = Buffer.from('"eventTime"');
const TIME = /^"eventTime"\s*:\s*"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)"/;
const WINDOW = 64;

/**
 * Finds `"eventTime": "YYYY-MM-DDTHH:MM:SSZ"` in a stream of chunks without parsing the JSON (the
 * hot path stays a native byte search). A match cut by a chunk boundary is found again in the
 * small overlap; seeing one twice does not change a minimum or maximum.
 */
export class EventTimeScanner {
  newest: string | null = null;
  oldest: string | null = null;
  private tail: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    if (this.tail.length > 0) this.scan(Buffer.concat([this.tail, chunk.subarray(0, WINDOW)]));
    this.scan(chunk);
    this.tail = Buffer.from(chunk.subarray(Math.max(0, chunk.length - WINDOW)));
  }

  private scan(buf: Buffer): void {
    let at = buf.indexOf(NEEDLE);
    while (at >= 0) {
      const m = TIME.exec(buf.toString('latin1', at, Math.min(buf.length, at + WINDOW)));
      if (m) {
        const t = m[1]!;
        if (this.newest === null || t > this.newest) this.newest = t;
        if (this.oldest === null || t < this.oldest) this.oldest = t;
      }
      at = buf.indexOf(NEEDLE, at + NEEDLE.length);
    }
  }
}

export type LogFactsReader = (bucket: string, key: string) => Promise<LogFactsResult>;

/** What the signer concludes from one read of a log. */
export function factsFrom(status: 'complete' | 'truncated' | 'corrupt', trailing: boolean, message: string | undefined, hash: string, newest: string | null, oldest: string | null): LogFactsResult {
  if (status !== 'complete') return { ok: false, reason: `is not a complete gzip file (${message ?? status})` };
  if (trailing) return { ok: false, reason: 'has data after its gzip stream' };
  return { ok: true, facts: { hashValue: hash, newestEventTime: newest, oldestEventTime: oldest } };
}

/** The local reader: the log workers do the reading, inflating, hashing and scanning. */
export function workerFactsReader(store: LocalStore, pool: LogWorkerPool): LogFactsReader {
  return async (bucket, key) => {
    const location = await store.locate(bucket, key);
    const r = location ? await pool.run(location, true) : undefined;
    if (!r || r.missing) return { ok: false, reason: 'disappeared before it could be hashed' };
    return factsFrom(r.status, r.trailing, r.message, r.hash, r.newest, r.oldest);
  };
}

/** Reads one delivered log: it must be exactly one complete gzip member, or it is not signed. */
export async function readLogFacts(store: ObjectStore, bucket: string, key: string): Promise<LogFactsResult> {
  const object = await store.get(bucket, key);
  if (!object) return { ok: false, reason: 'disappeared before it could be hashed' };
  const hash = createHash('sha256');
  const scanner = new EventTimeScanner();
  let result;
  try {
    result = await gunzipMember(object.body, (chunk) => {
      hash.update(chunk);
      scanner.push(chunk);
    });
  } finally {
    await object.close();
  }
  return factsFrom(result.status, result.trailing, result.message, hash.digest('hex'), scanner.newest, scanner.oldest);
}

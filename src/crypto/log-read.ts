import { createHash, type Hash } from 'node:crypto';
import { EventTimeScanner } from '../format/event-times.js';
import { fromBytes, gunzipMember, type MemberStatus } from './gzip.js';
import { inflateWhole } from './gzip-sync.js';

/**
 * Reading one log file (behaviour §4; the signer's facts): exactly one gzip member inflated, the
 * uncompressed bytes hashed with SHA-256 as they come out, and optionally scanned for event
 * times. The one copy of "gunzip and SHA-256 a log": the log workers, the in-process reader and
 * the signer all call it. The verdict on the result (valid, invalid format, ...) is the caller's.
 */
export interface LogRead {
  readonly status: MemberStatus;
  /** Bytes follow the member. */
  readonly trailing: boolean;
  /** Lowercase hex SHA-256 of the uncompressed bytes read. */
  readonly sha256: string;
  readonly newest: string | null;
  readonly oldest: string | null;
  readonly message?: string;
}

/** Whole files up to this size inflate in one native call; the stream decides beyond. */
const SYNC_OUTPUT_LIMIT = 48 << 20;

class Consumer {
  private hash: Hash = createHash('sha256');
  private scanner: EventTimeScanner | null = null;

  constructor(private readonly eventTimes: boolean) {}

  /** A new consumer of the output (an undecided whole-buffer attempt leaves a used one behind). */
  readonly fresh = (): ((chunk: Buffer) => void) => {
    this.hash = createHash('sha256');
    this.scanner = this.eventTimes ? new EventTimeScanner() : null;
    return (chunk) => {
      this.hash.update(chunk);
      this.scanner?.push(chunk);
    };
  };

  done(status: MemberStatus, trailing: boolean, message?: string): LogRead {
    const r = { status, trailing, sha256: this.hash.digest('hex'), newest: this.scanner?.newest ?? null, oldest: this.scanner?.oldest ?? null };
    return message ? { ...r, message } : r;
  }
}

/**
 * A log whose compressed bytes are in memory: this thread's reusable inflater or one native call;
 * the stream only for the rare cases those leave undecided (truncation, huge expansion).
 */
export async function readLogBytes(bytes: Buffer, eventTimes: boolean): Promise<LogRead> {
  const c = new Consumer(eventTimes);
  const fast = inflateWhole(bytes, SYNC_OUTPUT_LIMIT, c.fresh);
  if (fast) return c.done(fast.status, fast.trailing);
  const r = await gunzipMember(fromBytes(bytes), c.fresh());
  return c.done(r.status, r.trailing, r.message);
}

/** A log streamed (large files): memory bounded whatever the size. */
export async function readLogStream(body: AsyncIterable<Uint8Array>, eventTimes: boolean): Promise<LogRead> {
  const c = new Consumer(eventTimes);
  const r = await gunzipMember(body, c.fresh());
  return c.done(r.status, r.trailing, r.message);
}

import { createHash } from 'node:crypto';
import { gunzipMember } from '../crypto/gzip.js';
import type { LocalLocation, LocalStore } from '../store/local.js';
import type { Slots } from '../util/limit.js';
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
const COMPACT = Buffer.from('Time":"');
const EVENT = Buffer.from('"event');
const WINDOW = 64;
const TIME_LENGTH = 20; // YYYY-MM-DDTHH:MM:SSZ
const SHAPE = 'dddd-dd-ddTdd:dd:ddZ';

/** `"event` right before `at`. */
function precededByEvent(buf: Buffer, at: number): boolean {
  for (let k = 0; k < EVENT.length; k++) if (buf[at - EVENT.length + k] !== EVENT[k]) return false;
  return true;
}

/** Compares the time at `buf[start..]` with `time` (20 bytes each). */
function compareAt(buf: Buffer, start: number, time: Buffer): number {
  for (let k = 0; k < TIME_LENGTH; k++) {
    const d = buf[start + k]! - time[k]!;
    if (d !== 0) return d;
  }
  return 0;
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * Finds `"eventTime": "YYYY-MM-DDTHH:MM:SSZ"` in a stream of chunks without parsing the JSON (the
 * hot path stays a native byte search and a 20-byte check, no strings). A match cut by a chunk
 * boundary is found again in the small overlap; seeing one twice does not change a minimum or maximum.
 */
export class EventTimeScanner {
  private readonly max = Buffer.alloc(TIME_LENGTH);
  private readonly min = Buffer.alloc(TIME_LENGTH);
  private seen = false;
  private tail: Buffer = Buffer.alloc(0);

  get newest(): string | null {
    return this.seen ? this.max.toString('latin1') : null;
  }

  get oldest(): string | null {
    return this.seen ? this.min.toString('latin1') : null;
  }

  push(chunk: Buffer): void {
    if (this.tail.length > 0) this.scan(Buffer.concat([this.tail, chunk.subarray(0, WINDOW)]));
    this.scan(chunk);
    // The stream's last bytes (a chunk shorter than the window keeps some of the previous ones).
    this.tail = chunk.length >= WINDOW ? Buffer.from(chunk.subarray(chunk.length - WINDOW)) : Buffer.concat([this.tail, chunk]).subarray(-WINDOW);
  }

  private scan(buf: Buffer): void {
    // Compact JSON (as CloudTrail writes it): `Time":"` is found with a fast byte search (its
    // rare first byte), then `"event` is checked before it. Other spacing: the general search.
    let found = false;
    let at = buf.indexOf(COMPACT);
    while (at >= 0) {
      if (at >= 6 && precededByEvent(buf, at)) {
        const start = this.valueAt(buf, at + 5);
        if (start >= 0) {
          this.record(buf, start);
          found = true;
        }
      }
      at = buf.indexOf(COMPACT, at + COMPACT.length);
    }
    if (found) return;
    at = buf.indexOf(NEEDLE);
    while (at >= 0) {
      const start = this.valueAt(buf, at + NEEDLE.length);
      if (start >= 0) this.record(buf, start);
      at = buf.indexOf(NEEDLE, at + NEEDLE.length);
    }
  }

  /** Where the time value starts after the needle, or -1 when this is not a well-formed time. */
  private valueAt(buf: Buffer, i: number): number {
    while (isSpace(buf[i])) i++;
    if (buf[i] !== 0x3a) return -1; // ':'
    i++;
    while (isSpace(buf[i])) i++;
    if (buf[i] !== 0x22) return -1; // '"'
    const start = i + 1;
    if (start + TIME_LENGTH >= buf.length || buf[start + TIME_LENGTH] !== 0x22) return -1;
    for (let k = 0; k < TIME_LENGTH; k++) {
      const b = buf[start + k]!;
      const want = SHAPE.charCodeAt(k);
      if (want === 0x64 /* d */ ? b < 0x30 || b > 0x39 : b !== want) return -1;
    }
    return start;
  }

  private record(buf: Buffer, start: number): void {
    const end = start + TIME_LENGTH;
    if (!this.seen) {
      buf.copy(this.max, 0, start, end);
      buf.copy(this.min, 0, start, end);
      this.seen = true;
      return;
    }
    // 20 bytes compared here: cheaper than a call into native code per match.
    if (compareAt(buf, start, this.max) > 0) buf.copy(this.max, 0, start, end);
    if (compareAt(buf, start, this.min) < 0) buf.copy(this.min, 0, start, end);
  }
}

/** Reads the facts of several logs of one bucket at once (in order). */
export type LogFactsReader = (bucket: string, keys: readonly string[]) => Promise<LogFactsResult[]>;

/** The in-process reader: each log streamed through the store. */
export function streamFactsReader(store: ObjectStore): LogFactsReader {
  return (bucket, keys) => Promise.all(keys.map((key) => readLogFacts(store, bucket, key)));
}

/**
 * Groups logs for a LogFactsReader: keys are added one by one and read in groups of `size`, each
 * group taking its slots first (back-pressure). `flush` sends a partial group (a window is due).
 */
export class FactsBatcher {
  private group: Array<{ key: string; done: (r: LogFactsResult) => void; fail: (e: unknown) => void }> = [];

  constructor(
    private readonly bucket: string,
    private readonly read: LogFactsReader,
    private readonly slots: Slots,
    private readonly size = 64,
  ) {}

  /** The key's facts, to come; resolves once the key is queued (the wait is the back-pressure). */
  async add(key: string): Promise<{ readonly facts: Promise<LogFactsResult> }> {
    let done!: (r: LogFactsResult) => void;
    let fail!: (e: unknown) => void;
    const facts = new Promise<LogFactsResult>((resolve, reject) => {
      done = resolve;
      fail = reject;
    });
    facts.catch(() => undefined); // surfaced where the facts are awaited
    this.group.push({ key, done, fail });
    if (this.group.length >= Math.min(this.size, this.slots.capacity)) await this.flush();
    return { facts };
  }

  async flush(): Promise<void> {
    const group = this.group;
    if (group.length === 0) return;
    this.group = [];
    const { running } = await this.slots.schedule(() => this.read(this.bucket, group.map((g) => g.key)), group.length);
    running.then(
      (results) => group.forEach((g, i) => (results[i] ? g.done(results[i]!) : g.fail(new Error('no result')))),
      (err: unknown) => group.forEach((g) => g.fail(err)),
    );
  }
}

/** What the signer concludes from one read of a log. */
export function factsFrom(status: 'complete' | 'truncated' | 'corrupt', trailing: boolean, message: string | undefined, hash: string, newest: string | null, oldest: string | null): LogFactsResult {
  if (status !== 'complete') return { ok: false, reason: `is not a complete gzip file (${message ?? status})` };
  if (trailing) return { ok: false, reason: 'has data after its gzip stream' };
  return { ok: true, facts: { hashValue: hash, newestEventTime: newest, oldestEventTime: oldest } };
}

/** The local reader: the log workers do the reading, inflating, hashing and scanning. */
export function workerFactsReader(store: LocalStore, pool: LogWorkerPool): LogFactsReader {
  return async (bucket, keys) => {
    const located: LocalLocation[] = [];
    for (const key of keys) located.push(store.locateKnown(bucket, key) ?? (await store.locate(bucket, key)));
    const results = await pool.runMany(located, true);
    return results.map((r): LogFactsResult =>
      r.missing ? { ok: false, reason: 'disappeared before it could be hashed' } : factsFrom(r.status, r.trailing, r.message, r.hash, r.newest, r.oldest),
    );
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

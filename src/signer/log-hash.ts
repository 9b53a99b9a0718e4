import { createHash } from 'node:crypto';
import { gunzipMember } from '../crypto/gzip.js';
import type { LocalStore } from '../store/local.js';
import type { LocalLocation } from '../store/local-paths.js';
import { StoreError } from '../store/errors.js';
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
/** Where the digits of a time are; the other positions hold `--T::Z`. */
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];

/** `"event` right before `at`. */
function precededByEvent(buf: Buffer, at: number): boolean {
  for (let k = 0; k < EVENT.length; k++) if (buf[at - EVENT.length + k] !== EVENT[k]) return false;
  return true;
}

function isSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * The time `YYYY-MM-DDTHH:MM:SSZ"` at `buf[s..]` as the number its 14 digits spell (the same
 * order as the text: fixed width), or -1 when it does not have that shape.
 */
function timeAt(buf: Buffer, s: number): number {
  if (s + TIME_LENGTH >= buf.length || buf[s + TIME_LENGTH] !== 0x22) return -1;
  if (buf[s + 4] !== 0x2d || buf[s + 7] !== 0x2d || buf[s + 10] !== 0x54 || buf[s + 13] !== 0x3a || buf[s + 16] !== 0x3a || buf[s + 19] !== 0x5a) return -1;
  let v = 0;
  for (const k of DIGITS) {
    const d = buf[s + k]! - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** The text of a number from timeAt. */
function timeText(v: number): string {
  const d = String(v).padStart(14, '0');
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T${d.slice(8, 10)}:${d.slice(10, 12)}:${d.slice(12, 14)}Z`;
}

/**
 * Finds `"eventTime": "YYYY-MM-DDTHH:MM:SSZ"` in a stream of chunks without parsing the JSON (the
 * hot path stays a native byte search and a 20-byte check, no strings). A match cut by a chunk
 * boundary is found again in the small overlap; seeing one twice does not change a minimum or maximum.
 */
export class EventTimeScanner {
  private max = -1;
  private min = Number.POSITIVE_INFINITY;
  /** The last bytes of the stream so far, then the start of the next chunk: the overlap scanned. */
  private readonly joint = Buffer.alloc(2 * WINDOW);
  private tailLength = 0;

  get newest(): string | null {
    return this.max >= 0 ? timeText(this.max) : null;
  }

  get oldest(): string | null {
    return this.max >= 0 ? timeText(this.min) : null;
  }

  push(chunk: Buffer): void {
    const n = chunk.length;
    if (this.tailLength > 0) {
      const head = Math.min(n, WINDOW);
      chunk.copy(this.joint, this.tailLength, 0, head);
      this.scan(this.joint.subarray(0, this.tailLength + head));
    }
    this.scan(chunk);
    // Keep the stream's last WINDOW bytes (a short chunk keeps some of the previous ones).
    if (n >= WINDOW) {
      chunk.copy(this.joint, 0, n - WINDOW, n);
      this.tailLength = WINDOW;
    } else {
      if (this.tailLength === 0) chunk.copy(this.joint, 0, 0, n);
      const total = this.tailLength + n;
      const keep = Math.min(total, WINDOW);
      this.joint.copyWithin(0, total - keep, total);
      this.tailLength = keep;
    }
  }

  private scan(buf: Buffer): void {
    // Compact JSON (as CloudTrail writes it): `Time":"` is found with a fast byte search, then
    // `"event` is checked before it. Other spacing: the general search.
    let found = false;
    let at = buf.indexOf(COMPACT);
    while (at >= 0) {
      if (at >= 6 && precededByEvent(buf, at)) {
        const v = timeAt(buf, at + COMPACT.length);
        if (v >= 0) {
          this.record(v);
          found = true;
        }
      }
      at = buf.indexOf(COMPACT, at + COMPACT.length);
    }
    if (found) return;
    at = buf.indexOf(NEEDLE);
    while (at >= 0) {
      const v = this.valueAt(buf, at + NEEDLE.length);
      if (v >= 0) this.record(v);
      at = buf.indexOf(NEEDLE, at + NEEDLE.length);
    }
  }

  /** The time after the needle (as timeAt gives it), or -1 when this is not a well-formed time. */
  private valueAt(buf: Buffer, i: number): number {
    while (isSpace(buf[i])) i++;
    if (buf[i] !== 0x3a) return -1; // ':'
    i++;
    while (isSpace(buf[i])) i++;
    if (buf[i] !== 0x22) return -1; // '"'
    return timeAt(buf, i + 1);
  }

  private record(v: number): void {
    if (v > this.max) this.max = v;
    if (v < this.min) this.min = v;
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
    return results.map((r): LogFactsResult => {
      if (r.missing) return { ok: false, reason: 'disappeared before it could be hashed' };
      // A log that is there but cannot be read is never left out silently: the run stops.
      if ('unreadable' in r) throw new StoreError('Other', r.unreadable);
      return factsFrom(r.status, r.trailing, r.message, r.hash, r.newest, r.oldest);
    });
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

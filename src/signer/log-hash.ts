import type { LogRead } from '../crypto/log-read.js';
import { readLogs } from '../store/read-logs.js';
import type { ObjectStore } from '../store/types.js';
import type { Slots } from '../util/limit.js';

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

/** Reads the facts of several logs of one bucket at once (in order). */
export type LogFactsReader = (bucket: string, keys: readonly string[]) => Promise<LogFactsResult[]>;

/**
 * Logs read by the store (store/read-logs.ts: the local store's workers, or through `get`), with
 * their event times. A log that is there but cannot be read is never left out silently: the
 * run stops.
 */
export function storeFactsReader(store: ObjectStore): LogFactsReader {
  return async (bucket, keys) => {
    const reads = await readLogs(
      store,
      keys.map((key) => ({ bucket, key })),
      true,
    );
    return reads.map((r): LogFactsResult => {
      if (r.kind === 'failed') throw r.error;
      if (r.kind === 'missing') return { ok: false, reason: 'disappeared before it could be hashed' };
      return factsFrom(r.read);
    });
  };
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
    const { running } = await this.slots.schedule(
      () =>
        this.read(
          this.bucket,
          group.map((g) => g.key),
        ),
      group.length,
    );
    running.then(
      (results) => group.forEach((g, i) => (results[i] ? g.done(results[i]!) : g.fail(new Error('no result')))),
      (err: unknown) => group.forEach((g) => g.fail(err)),
    );
  }
}

/** What the signer concludes from one read of a log. */
export function factsFrom(read: LogRead): LogFactsResult {
  if (read.status !== 'complete') return { ok: false, reason: `is not a complete gzip file (${read.message ?? read.status})` };
  if (read.trailing) return { ok: false, reason: 'has data after its gzip stream' };
  return { ok: true, facts: { hashValue: read.sha256, newestEventTime: read.newest, oldestEventTime: read.oldest } };
}

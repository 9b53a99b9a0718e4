import { EXIT_FATAL, EXIT_INVALID, TrailproofError, messageOf } from '../errors.js';
import { isSendableBucketName } from '../store/names.js';
import type { LogEntry } from '../format/digest.js';
import { pyStr } from '../format/json.js';
import type { DigestScope } from '../format/names.js';
import { formatDisplay, instantOf, parseDate, type ParsedTime } from '../format/time.js';
import type { ObjectStore } from '../store/types.js';
import { createLogChecker, LOG_REASON, type LogChecker, type LogCheckRequest, type LogResult } from './log-check.js';
import type { ChainEvent } from '../chain/events.js';
import type { PublicKeySource } from '../keys/types.js';
import type { ReportEvent, ReportSink, RunSummary } from './types.js';
import { DigestWalker } from './walk.js';
import { Slots } from '../util/limit.js';
import { prefetch } from '../util/prefetch.js';

export interface ValidateOptions {
  readonly store: ObjectStore;
  readonly keys: PublicKeySource;
  readonly scope: DigestScope;
  readonly bucket: string;
  /** UTC clock micros. */
  readonly start: number;
  readonly end: number;
  /** Log files checked at once (cli/tuning.ts decides; default 64). */
  readonly concurrency?: number | undefined;
  /** Sees every step of the walk (with the typed digest), in walk order: the audit's findings. */
  readonly onChainEvent?: ((e: ChainEvent) => void) | undefined;
  /** Digests read ahead of the one being checked (default 0). */
  readonly readAhead?: number | undefined;
  /**
   * Where each walk's chain events come from (default: the digest walk over `store`). A distributed
   * audit (src/distributed/) replays here the walk its workers did, with `logChecker` giving their results.
   */
  readonly walk?: ((backfill: boolean) => AsyncIterable<ChainEvent>) | undefined;
  /** Checks log files (default: createLogChecker(store)). */
  readonly logChecker?: LogChecker | undefined;
}

/** Events in report order; checks run concurrently behind it, bounded in count and queue length. */
class OrderedQueue {
  private readonly items: Array<Promise<ReportEvent | ReportEvent[]>> = [];
  private closed = false;
  private onItem: (() => void) | null = null;
  private onSpace: (() => void) | null = null;
  constructor(private readonly limit: number) {}

  async push(item: Promise<ReportEvent | ReportEvent[]>): Promise<void> {
    while (this.items.length >= this.limit) await new Promise<void>((r) => (this.onSpace = r));
    this.items.push(item);
    this.onItem?.();
    this.onItem = null;
  }
  close(): void {
    this.closed = true;
    this.onItem?.();
    this.onItem = null;
  }
  async shift(): Promise<Promise<ReportEvent | ReportEvent[]> | undefined> {
    while (this.items.length === 0 && !this.closed) await new Promise<void>((r) => (this.onItem = r));
    const item = this.items.shift();
    this.onSpace?.();
    this.onSpace = null;
    return item;
  }
}

/** The report's event for what stopped the run (an unexpected error says it is a bug). */
export function fatalEvent(err: unknown): ReportEvent {
  if (err instanceof TrailproofError) return { type: 'fatal', message: err.message };
  return { type: 'fatal', message: `internal error (a bug in trailproof, please report it): ${messageOf(err)}` };
}

/** Runs validate-logs and writes the report to `sink`. Resolves with the summary (and exit code). */
export async function runValidation(o: ValidateOptions, sink: ReportSink): Promise<RunSummary> {
  const checker = o.logChecker ?? createLogChecker(o.store);
  const concurrency = Math.max(1, o.concurrency ?? 64);
  const batch = Math.max(1, Math.min(checker.batch, concurrency));
  const slots = new Slots(concurrency);
  const queue = new OrderedQueue(Math.max(64, concurrency * 16));
  const walker = new DigestWalker(
    { store: o.store, scope: o.scope, bucket: o.bucket, start: o.start, end: o.end, keys: o.keys },
    { readAhead: o.readAhead ?? 0 },
  );
  const walk = o.walk ?? ((backfill: boolean) => walker.walk(backfill));
  let stopped = false;

  /** The events of a batch of a digest's log entries, in order (checked by the log checker). */
  const logEvents = async (
    entries: readonly LogEntry[],
    backfill: boolean,
    digestKey: string,
    window: [string | null, string | null],
  ): Promise<ReportEvent[]> => {
    const [digestStartTime, digestEndTime] = window;
    /** A log's event, its fields in one order (one object, no copies). */
    const event = (bucket: string, key: string, valid: boolean, reason: string | null, truncated: boolean): ReportEvent =>
      truncated
        ? { type: 'log', backfill, bucket, key, digestKey, digestStartTime, digestEndTime, valid, reason, truncated: true }
        : { type: 'log', backfill, bucket, key, digestKey, digestStartTime, digestEndTime, valid, reason };
    const reqs: LogCheckRequest[] = [];
    /** Per entry, its request's index in `reqs`, or -1 when the entry cannot be requested. */
    const asked = entries.map((entry) => {
      const bucket = entry.s3Bucket;
      const key = entry.s3Object;
      // The reference's S3 client (botocore) rejects a bad parameter before any request: an invalid format.
      if (!(typeof bucket === 'string' && typeof key === 'string' && isSendableBucketName(bucket) && key !== '')) return -1;
      return reqs.push({ bucket, key, expectedHash: entry.hashValue, hasExpectedHash: entry.hasHashValue }) - 1;
    });
    let results: LogResult[];
    try {
      results = reqs.length > 0 ? await checker.check(reqs) : [];
    } catch (err) {
      results = [{ fatal: err }];
    }
    const events: ReportEvent[] = [];
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      const bucket = pyStr(entry.s3Bucket);
      const key = pyStr(entry.s3Object);
      const at = asked[i]!;
      if (at < 0) {
        events.push(event(bucket, key, false, LOG_REASON.format, false));
        continue;
      }
      const r = results[at];
      if (r === undefined) break;
      if ('fatal' in r) {
        events.push(fatalEvent(r.fatal));
        break;
      }
      events.push(r.valid ? event(bucket, key, true, null, r.truncated === true) : event(bucket, key, false, r.reason, false));
    }
    return events;
  };

  const digestEvent = (item: Extract<ChainEvent, { kind: 'valid' | 'invalid' }>): ReportEvent => {
    const digest = item.kind === 'valid' ? item.digest : undefined;
    return {
      type: 'digest',
      backfill: item.backfill,
      bucket: item.bucket,
      key: item.key,
      valid: item.kind === 'valid',
      reason: item.kind === 'invalid' ? item.reason : null,
      digestStartTime: digest ? digest.text('digestStartTime') : null,
      digestEndTime: digest ? digest.text('digestEndTime') : null,
    };
  };

  const produce = async (): Promise<void> => {
    try {
      for (const backfill of [false, true]) {
        // The walk (digest reads, signature checks) runs a few digests ahead of the log checks.
        for await (const item of prefetch(walk(backfill), 4)) {
          if (stopped) return;
          o.onChainEvent?.(item);
          if (item.kind === 'gap') {
            await queue.push(Promise.resolve({ type: 'gap', backfill, from: item.from, to: item.to }));
            continue;
          }
          const event = digestEvent(item);
          await queue.push(Promise.resolve(event));
          if (item.kind !== 'valid') continue;
          const window: [string | null, string | null] = [
            event.type === 'digest' ? event.digestStartTime : null,
            event.type === 'digest' ? event.digestEndTime : null,
          ];
          const entries = item.digest.logEntries(`Digest file s3://${item.bucket}/${item.key}`);
          for (let i = 0; i < entries.length; i += batch) {
            if (stopped) return;
            const part = entries.slice(i, i + batch);
            const { running } = await slots.schedule(() => logEvents(part, backfill, item.key, window), part.length);
            await queue.push(running);
          }
        }
      }
    } catch (err) {
      await queue.push(Promise.resolve(fatalEvent(err)));
    } finally {
      queue.close();
    }
  };

  sink.header(o.start, o.end);
  const counts = { digests: { valid: 0, invalid: 0 }, backfillDigests: { valid: 0, invalid: 0 }, logs: { valid: 0, invalid: 0 } };
  let foundStart: ParsedTime | null = null;
  let foundEnd: ParsedTime | null = null;
  let gaps = 0;
  let fatal: string | null = null;
  const requestedEnd: ParsedTime = { clock: o.end, offset: 0 };
  const requestedStart: ParsedTime = { clock: o.start, offset: 0 };

  /** Counts and writes one event; false once the run has stopped. */
  const record = (event: ReportEvent): boolean => {
    sink.event(event);
    if (event.type === 'fatal') {
      fatal = event.message;
      stopped = true;
      return false;
    }
    if (event.type === 'gap') gaps++;
    else if (event.type === 'log') counts.logs[event.valid ? 'valid' : 'invalid']++;
    else {
      counts[event.backfill ? 'backfillDigests' : 'digests'][event.valid ? 'valid' : 'invalid']++;
      if (event.valid) {
        // §5: A = earliest max(digestStartTime, start), B = latest min(digestEndTime, end).
        const s = parseDate(event.digestStartTime ?? '');
        const e = parseDate(event.digestEndTime ?? '');
        const earliest = instantOf(s) >= instantOf(requestedStart) ? s : requestedStart;
        if (!foundStart || instantOf(earliest) < instantOf(foundStart)) foundStart = earliest;
        const latest = instantOf(e) <= instantOf(requestedEnd) ? e : requestedEnd;
        if (!foundEnd || instantOf(latest) > instantOf(foundEnd)) foundEnd = latest;
      }
    }
    return true;
  };

  const producer = produce();
  for (;;) {
    const next = await queue.shift();
    if (!next) break;
    const got = await next;
    for (const event of Array.isArray(got) ? got : [got]) {
      if (!record(event)) break;
    }
    if (fatal !== null) break;
  }
  if (!fatal) await producer;

  const invalid = counts.digests.invalid + counts.backfillDigests.invalid + counts.logs.invalid;
  const summary: RunSummary = {
    start: o.start,
    end: o.end,
    foundStart: foundStart ? formatDisplay(foundStart.clock) : null,
    foundEnd: foundEnd ? formatDisplay(foundEnd.clock) : null,
    ...counts,
    gaps,
    fatal,
    exitCode: fatal ? EXIT_FATAL : invalid > 0 ? EXIT_INVALID : 0,
  };
  if (!fatal) sink.summary(summary);
  return summary;
}

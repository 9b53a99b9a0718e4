import { TrailproofError } from '../errors.js';
import type { DigestScope } from '../format/names.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import type { KeyCreated, KeyRecord, KeyStore } from '../keys/keystore.js';
import type { ObjectStore } from '../store/types.js';
import { Slots } from '../util/limit.js';
import { readChainState, type ChainHead } from './chain.js';
import { trustedKeys } from './trust.js';
import type { PublicKeyEntry } from '../keys/public-keys.js';
import { cloudTrailLogs, type LogSource } from './log-source.js';
import type { PreviousDigest } from './digest-model.js';
import { checkEmptyHours, type EmptyHoursLimit } from './empty-hours.js';
import { FactsBatcher, storeFactsReader } from './log-hash.js';
import { ChainTaken, collectLogFiles, writeDigest, type PendingLog, type SignTally } from './write-digest.js';

/**
 * The signer: for one account and source region, one digest per hour over contiguous windows,
 * chained through previousDigest*, each signed with the region's key active at its end time
 * (guide: "Understanding How CloudTrail Digest Files are Signed").
 *
 * A log's delivery time is the minute in its name (guide: "CloudTrail Log File Name Format").
 * A window [start, start+1h) references the unreferenced logs delivered in it, plus late ones
 * (delivered before it, within the look-back, but not referenced by any digest yet).
 */
export interface SignOptions {
  readonly store: ObjectStore;
  readonly keys: KeyStore;
  readonly bucket: string;
  /** Digest scope of this account and source region (the trail's name and home region). */
  readonly scope: DigestScope;
  /** Sign windows that end at or before this time (UTC micros). */
  readonly until: number;
  /** How far back late log files are looked for. */
  readonly lookback: number;
  /** Start a new chain at this time (null previous digest), instead of continuing. */
  readonly newChainAt?: number | undefined;
  /** The first window's start when the trail has no digest yet (default: the first log's hour). */
  readonly startAt?: number | undefined;
  readonly concurrency: number;
  readonly now: () => number;
  readonly warn: (message: string) => void;
  /** How log files are read (default: streamed through the store on this thread). */
  /** Told when a digest's signing made the region's next key (a rotation). */
  readonly onKeyCreated?: KeyCreated | undefined;
  /** Told when a digest is signed with another key than the chain's previous digest (a rotation, at `start`). */
  readonly onKeyRotated?: ((key: KeyRecord, previousFingerprint: string, start: number) => void) | undefined;
  /** Where the logs are (default: CloudTrail's layout for the scope; `--logs-prefix`: any objects under a prefix). */
  readonly logs?: LogSource | undefined;
  /** Refuse a run that would sign more empty hours than this (nothing is written then). */
  readonly emptyHours?: EmptyHoursLimit | undefined;
  /** Other signers' public keys, whose digests this chain may continue (trust.ts); the key store's own are always trusted. */
  readonly trusted?: readonly PublicKeyEntry[] | undefined;
}

/** The chain as the bucket holds it, read with the keys `o` trusts; its unusable digests said as warnings. */
export async function chainStateFor(o: SignOptions, keepFrom: (newest: number | null) => number): Promise<Awaited<ReturnType<typeof readChainState>>> {
  const state = await readChainState(o.store, o.bucket, o.scope, keepFrom, await trustedKeys(o.keys, o.trusted));
  for (const key of state.unreadable) o.warn(`warning: digest s3://${o.bucket}/${key} cannot be read; the logs it references may be referenced again`);
  for (const key of state.untrusted) {
    o.warn(`warning: digest s3://${o.bucket}/${key} does not verify with a key this signer trusts (planted?); the logs it lists are not taken as signed`);
  }
  return state;
}

/** Log files this run saw but leaves unsigned, for a warning that names the fix (--backfill). */
export interface StrandedLogs {
  readonly count: number;
  /** Delivery time of the oldest of them (UTC micros). */
  readonly oldest: number;
}

export interface SignResult {
  readonly region: string;
  readonly account: string;
  readonly digests: number;
  readonly logFiles: number;
  readonly skipped: number;
  readonly from: number | null;
  readonly to: number | null;
  /** Late logs delivered before the look-back (up to a day before it is looked at): no digest will take them. */
  readonly beyondLookback?: StrandedLogs | undefined;
  /** Logs before a new chain's start that no digest references. */
  readonly beforeNewChain?: StrandedLogs | undefined;
  /** Another signer wrote this digest of the chain first: the run left the chain to it from there. */
  readonly takenAt?: string | undefined;
  /** The chain's newest digest after the run (the witness records it). */
  readonly head?: (PreviousDigest & { readonly end: number }) | undefined;
}

/** Counts stranded logs. */
class Strays {
  count = 0;
  oldest = Number.POSITIVE_INFINITY;
  add(at: number): void {
    this.count++;
    this.oldest = Math.min(this.oldest, at);
  }
  result(): StrandedLogs | undefined {
    return this.count === 0 ? undefined : { count: this.count, oldest: this.oldest };
  }
}

export { deliveryTime, minuteOf } from './delivery.js';

export async function signRegion(o: SignOptions): Promise<SignResult> {
  const { store, bucket, scope } = o;
  // Digests are read for their references from a day before the look-back on, so that late logs
  // beyond the look-back (which no digest will take) can be told from signed ones and counted.
  const keepFrom = (newest: number | null): number => (newest === null ? Number.NEGATIVE_INFINITY : newest - o.lookback - 26 * MICROS_PER_HOUR);
  const state = await chainStateFor(o, keepFrom);
  const known = keepFrom(state.head ? state.head.end : null);

  const head: ChainHead | null = state.head;
  let previous: PreviousDigest | null = head ? head.previous : null;
  let windowStart: number | undefined;
  if (o.newChainAt !== undefined) {
    if (head && o.newChainAt < head.end) {
      throw new TrailproofError(
        'signer',
        `A new chain cannot start at ${formatDisplay(o.newChainAt)}: the current chain already covers until ${formatDisplay(head.end)}`,
      );
    }
    windowStart = o.newChainAt;
    previous = null;
  } else if (head) {
    windowStart = head.end;
  } else if (o.startAt !== undefined) {
    windowStart = o.startAt;
  }
  const horizon = head && o.newChainAt === undefined ? head.end - o.lookback : Number.NEGATIVE_INFINITY;
  const result: SignTally = { digests: 0, logFiles: 0, skipped: 0, from: null, to: null };
  const logSource = o.logs ?? cloudTrailLogs(store, bucket, scope);
  if (o.emptyHours) await checkEmptyHours(logSource, windowStart, o.until, o.emptyHours);
  const beyondLookback = new Strays();
  const beforeNewChain = new Strays();

  const batcher = new FactsBatcher(bucket, storeFactsReader(store), new Slots(o.concurrency));
  let windows: PendingLog[][] = [];
  let chainTail: Promise<void> = Promise.resolve();

  let lastKey = previous ? head?.fingerprint : undefined;
  let headEnd = head?.end;
  const onKeyUsed = (key: KeyRecord, start: number): void => {
    if (lastKey !== undefined && key.fingerprint !== lastKey) o.onKeyRotated?.(key, lastKey, start);
    lastKey = key.fingerprint;
  };
  const signWindow = async (start: number, logs: PendingLog[]): Promise<void> => {
    const logFiles = await collectLogFiles(bucket, logs, result, o.warn);
    previous = await writeDigest(
      { store, keys: o.keys, bucket, scope, start, previous, logFiles, keyAt: start + MICROS_PER_HOUR, onKeyCreated: o.onKeyCreated, onKeyUsed },
      result,
    );
    headEnd = start + MICROS_PER_HOUR;
  };

  /** Queues windows [0, upTo) for signing, in order. */
  const flush = (upTo: number): void => {
    if (windowStart === undefined) return;
    const ready = windows.splice(0, upTo);
    const base = windowStart;
    windowStart += ready.length * MICROS_PER_HOUR;
    void batcher.flush(); // the windows' last logs are read now, not when a group fills
    ready.forEach((logs, i) => {
      chainTail = chainTail.then(() => signWindow(base + i * MICROS_PER_HOUR, logs));
      chainTail.catch(() => undefined); // surfaced by the final await
    });
  };
  const lastEnd = (): number =>
    windowStart === undefined ? Number.NEGATIVE_INFINITY : windowStart + Math.floor((o.until - windowStart) / MICROS_PER_HOUR) * MICROS_PER_HOUR;

  for await (const { key, at } of logSource(horizon - 24 * MICROS_PER_HOUR)) {
    if (state.referenced.has(key)) continue;
    if (at < horizon) {
      if (at >= horizon - 24 * MICROS_PER_HOUR) beyondLookback.add(at); // late, and too late for the chain
      continue;
    }
    if (windowStart === undefined) windowStart = Math.floor(at / MICROS_PER_HOUR) * MICROS_PER_HOUR;
    if (o.newChainAt !== undefined && at < o.newChainAt) {
      if (at >= known) beforeNewChain.add(at); // delivered while signing was stopped
      continue;
    }
    if (at >= lastEnd()) break; // its hour is not over yet
    const index = Math.max(0, Math.floor((at - windowStart) / MICROS_PER_HOUR));
    if (index > 0) {
      // Earlier windows are complete: logs come in delivery order.
      while (windows.length < index) windows.push([]);
      flush(index);
    }
    if (windows.length === 0) windows.push([]);
    const { facts } = await batcher.add(key);
    windows[0]!.push({ key, facts });
  }
  if (windowStart !== undefined) {
    const count = Math.max(0, Math.round((lastEnd() - windowStart) / MICROS_PER_HOUR));
    while (windows.length < count) windows.push([]);
    windows = windows.slice(0, Math.max(count, 0));
    flush(windows.length);
  }
  await batcher.flush();
  let takenAt: string | undefined;
  try {
    await chainTail;
  } catch (err) {
    if (!(err instanceof ChainTaken)) throw err;
    takenAt = err.key;
  }
  return {
    region: scope.sourceRegion,
    account: scope.account,
    ...result,
    beyondLookback: beyondLookback.result(),
    beforeNewChain: beforeNewChain.result(),
    takenAt,
    head: previous && headEnd !== undefined ? { ...previous, end: headEnd } : undefined,
  };
}

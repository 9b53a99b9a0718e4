import { digestKeyStamp } from '../format/names.js';
import { instantOf, parseDate } from '../format/time.js';
import type { DigestVerdict } from './digest-verdict.js';
import type { ChainEvent } from './events.js';
import { REASON } from './digest-verdict.js';

/**
 * The chain rules of behaviour §3 (and §6 for backfill digests) as a pure state machine, in the
 * manner of tuf-js's trusted metadata store: `step(state, verdict)` takes what one digest read
 * gave and returns the next state and the events to report. It does no I/O and keeps no clock: the
 * walk (verifier/walk.ts) is its driver, reading what `wanted(state)` names and listing a new
 * bucket when `state.relist` asks for it. A state can be made for any point of a chain (a head key
 * and the listing below it), so a chain can be walked in segments and the segments joined.
 */
export interface ChainState {
  readonly backfill: boolean;
  /** The requested start (UTC clock micros): the walk goes on while start <= lastStart (§3). */
  readonly start: number;
  /** The bucket the next digest is read from (changes when a previous-digest link leads elsewhere). */
  readonly bucket: string;
  /** The listed digest keys of this kind in S3 order (oldest first); shared, never changed. */
  readonly listed: readonly string[];
  /** How many of `listed` are still unused: the machine takes from the end (newest first). */
  readonly remaining: number;
  /** The next digest to read; undefined when the walk is over. */
  readonly key: string | undefined;
  /** The start time of the last digest that validated (initially the newest key's stamp). */
  readonly lastStart: number;
  /** Set when a link led to another bucket: the driver must list it up to `end` and call withListing. */
  readonly relist?: { readonly bucket: string; readonly end: number } | undefined;
}

/** A key's stamp as a time; an unparseable stamp stops the run, as in the reference. */
export function stampTime(key: string): number {
  return parseDate(digestKeyStamp(key)).clock;
}

/**
 * The listed key before `before` (by stamp), consuming the listing as the reference pops it, or the
 * newest remaining one when `before` is undefined.
 */
function take(listed: readonly string[], remaining: number, before?: string): { found?: [string, number]; remaining: number } {
  if (before === undefined) {
    if (remaining === 0) return { remaining };
    const key = listed[remaining - 1]!;
    return { found: [key, stampTime(key)], remaining: remaining - 1 };
  }
  const limit = instantOf(parseDate(digestKeyStamp(before)));
  while (remaining > 0) {
    const key = listed[--remaining]!;
    const at = stampTime(key);
    if (at < limit) return { found: [key, at], remaining };
  }
  return { remaining };
}

/** The state before the first read: the newest listed key, or `head` to start inside a chain. */
export function startChain(o: {
  readonly backfill: boolean;
  readonly start: number;
  readonly bucket: string;
  readonly listed: readonly string[];
  readonly head?: { readonly key: string; readonly lastStart: number };
}): ChainState {
  if (o.head)
    return {
      backfill: o.backfill,
      start: o.start,
      bucket: o.bucket,
      listed: o.listed,
      remaining: o.listed.length,
      key: o.head.key,
      lastStart: o.head.lastStart,
    };
  const { found, remaining } = take(o.listed, o.listed.length);
  return { backfill: o.backfill, start: o.start, bucket: o.bucket, listed: o.listed, remaining, key: found?.[0], lastStart: found?.[1] ?? 0 };
}

/** What the driver must read next, or null when the walk is over (or waits for a listing). */
export function wanted(s: ChainState): { bucket: string; key: string } | null {
  if (s.relist || s.key === undefined || s.start > s.lastStart) return null;
  return { bucket: s.bucket, key: s.key };
}

/** The listing of the bucket a link led to (§3.10: "list again in the new bucket"). */
export function withListing(s: ChainState, listed: readonly string[]): ChainState {
  return { ...s, listed, remaining: listed.length, relist: undefined };
}

/** One digest read: its verdict gives the events to report and the next state. */
export function step(s: ChainState, verdict: DigestVerdict, where: string): { state: ChainState; events: ChainEvent[] } {
  const key = s.key!;
  const { backfill, bucket } = s;
  if (verdict.kind !== 'valid') {
    // §3.1, §3.9: report it, then go on with the newest listed key stamped strictly before it.
    const reason = verdict.kind === 'missing' ? REASON.notFound : verdict.reason;
    const { found, remaining } = take(s.listed, s.remaining, key);
    return { state: { ...s, remaining, key: found?.[0] }, events: [{ kind: 'invalid', backfill, bucket, key, reason }] };
  }
  const { digest } = verdict;
  const lastStart = verdict.startClock;
  const events: ChainEvent[] = [
    {
      kind: 'valid',
      backfill,
      bucket,
      key,
      digest,
      signature: verdict.signature,
      algorithm: verdict.algorithm,
      ...(verdict.trailing ? { trailing: true } : {}),
    },
  ];
  const previous = digest.previous(where);
  if (previous === null) {
    // §3.10: the chain ended; an older listed digest means a gap between the two.
    const { found, remaining } = take(s.listed, s.remaining, key);
    if (found) events.push({ kind: 'gap', backfill, from: found[1], to: lastStart });
    return { state: { ...s, remaining, key: found?.[0], lastStart }, events };
  }
  if (previous.bucket !== bucket) {
    const end = digest.endTime().clock;
    return { state: { ...s, bucket: previous.bucket, key: previous.key, lastStart, relist: { bucket: previous.bucket, end } }, events };
  }
  return { state: { ...s, key: previous.key, lastStart }, events };
}

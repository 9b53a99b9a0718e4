import { canonicalStamp, segmentOf, type Entry, type PlannedSegment } from './segments.js';
import type { ItemWire, PartWire, SegmentResult } from './wire.js';

/**
 * Joining a chain's segments into the walk one machine would have made (pure, given the results).
 * The walk runs newest first: it enters the newest segment as the whole walk starts, and each
 * segment's exit says where the walk goes next. The entry it gives the next older segment is
 * compared with the entry that segment was walked from on speculation ('link': the newer
 * segment's oldest digest links to its newest listed key; 'start': the walk's own start): equal,
 * its events are the whole walk's; different (a deleted or invalid digest at the seam, a restarted
 * chain, a link that skips segments), the segment is walked again from the exact entry. Segments
 * the walk passes over are dropped. The seam itself can hold one event, the gap after a digest with
 * no previous one, to the newest listed key of an older segment: the join adds it (segment-walk.ts).
 */
export interface JoinedPart {
  readonly items: ItemWire[];
  readonly fatal: { readonly message: string; readonly from: 'walk' | 'logs' } | null;
}

export type Joined =
  { readonly kind: 'joined'; readonly standard: JoinedPart; readonly backfill: JoinedPart | null } | { readonly kind: 'irregular'; readonly reason: string };

export interface JoinSource {
  readonly segments: readonly PlannedSegment[];
  /** The chain's requested start (UTC clock micros). */
  readonly start: number;
  /** Segment i walked on speculation (both kinds). */
  result(i: number): Promise<SegmentResult>;
  /** Segment i walked again, one kind, from an exact entry. */
  rerun(i: number, backfill: boolean, entry: Extract<Entry, { kind: 'exact' }>): Promise<SegmentResult>;
}

class IrregularChain extends Error {}

export async function joinChain(src: JoinSource): Promise<Joined> {
  const results: SegmentResult[] = [];
  for (let i = 0; i < src.segments.length; i++) results.push(await src.result(i));
  // The whole walk lists first, oldest keys first: a listing that fails stops the chain before any event.
  for (const r of results) {
    if (r.listing?.[0] === 'fatal') return { kind: 'joined', standard: { items: [], fatal: { message: r.listing[1], from: 'walk' } }, backfill: null };
    if (r.listing?.[0] === 'irregular') return { kind: 'irregular', reason: r.listing[1] };
  }
  try {
    const standard = await joinKind(src, results, false);
    const backfill = standard.fatal ? null : await joinKind(src, results, true);
    return { kind: 'joined', standard, backfill };
  } catch (err) {
    if (err instanceof IrregularChain) return { kind: 'irregular', reason: err.message };
    throw err;
  }
}

type Pending =
  /** Take the newest listed key of the segments below `below`; lastStart null: that key's own stamp (the walk's start). */
  | { readonly kind: 'below'; readonly below: number; readonly lastStart: number | null; readonly gap: boolean }
  | { readonly kind: 'link'; readonly key: string; readonly lastStart: number };

function partOf(r: SegmentResult, backfill: boolean): PartWire {
  const p = backfill ? r.backfill : r.standard;
  if (!p) throw new IrregularChain('a segment result lacks a walk');
  return p;
}

async function joinKind(src: JoinSource, results: readonly SegmentResult[], backfill: boolean): Promise<JoinedPart> {
  const items: ItemWire[] = [];
  const { segments, start } = src;
  let pending: Pending = { kind: 'below', below: segments.length, lastStart: null, gap: false };
  for (;;) {
    let j: number;
    let entry: Extract<Entry, { kind: 'exact' }>;
    let speculative: boolean;
    if (pending.kind === 'below') {
      const from = pending.below;
      let found = from - 1;
      while (found >= 0 && partOf(results[found]!, backfill).last === null) found--;
      if (found < 0) break;
      j = found;
      const last = partOf(results[j]!, backfill).last!;
      const stamp = stampOf(last);
      const lastStart = pending.lastStart ?? stamp;
      if (pending.gap && pending.lastStart !== null) items.push(['g', stamp, pending.lastStart]);
      if (start > lastStart) break;
      entry = { kind: 'exact', key: last, lastStart, bound: last };
      speculative = segments[j]!.entry === 'start' && pending.lastStart === null;
    } else {
      if (start > pending.lastStart) break;
      j = segmentOf(segments, stampOf(pending.key));
      entry = { kind: 'exact', key: pending.key, lastStart: pending.lastStart, bound: null };
      speculative = segments[j]!.entry === 'link' && partOf(results[j]!, backfill).last === pending.key;
    }
    const part: PartWire = speculative ? partOf(results[j]!, backfill) : await again(src, j, backfill, entry);
    const end: PartWire['end'] = part.end;
    if (end[0] === 'irregular') throw new IrregularChain(end[1]);
    items.push(...part.items);
    if (end[0] === 'fatal') return { items, fatal: { message: end[1], from: end[2] } };
    if (end[0] === 'done') break;
    if (end[0] === 'link') {
      if (stampOf(end[1]) >= (segments[j]!.bounds.from ?? Number.NEGATIVE_INFINITY)) throw new IrregularChain('a segment exit does not leave it');
      pending = { kind: 'link', key: end[1], lastStart: end[2] };
    } else pending = { kind: 'below', below: j, lastStart: end[1], gap: end[2] };
  }
  return { items, fatal: null };
}

async function again(src: JoinSource, j: number, backfill: boolean, entry: Extract<Entry, { kind: 'exact' }>): Promise<PartWire> {
  const r = await src.rerun(j, backfill, entry);
  if (r.listing) throw new IrregularChain(`segment walked again: ${r.listing[1]}`);
  return partOf(r, backfill);
}

function stampOf(key: string): number {
  const t = canonicalStamp(key);
  if (t === undefined) throw new IrregularChain(`a segment names ${key}, whose stamp is not canonical`);
  return t;
}

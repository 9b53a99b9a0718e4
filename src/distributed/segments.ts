import { createHash } from 'node:crypto';
import { digestKeyStamp, digestListPrefix, digestMarker, type DigestScope } from '../format/names.js';
import { formatStamp, formatYmdPath, MICROS_PER_HOUR, parseDate } from '../format/time.js';

/**
 * Cutting a chain's walk into segments (pure). A segment is a span of digest stamps [from, to),
 * `segmentHours` long and aligned on multiples of it since the epoch (24: UTC days), and the slice
 * of the walk's digest listing whose keys lie between two key bounds. The bounds tile the key space
 * from the walk's listing marker on, so that the segments' listings, put end to end, are the walk's
 * own listing (chain/listing.ts): `after` (S3 StartAfter, exclusive) and `before` (exclusive, null
 * for the newest segment, which lists to the listing's own stop).
 *
 * Within one trail's folder a digest key is `<folder>/<YYYY/MM/DD>/<file head><stamp>...`, so the
 * key `<folder>/<ymd(T)>/<file head><stamp(T)>` sorts after every key of that trail stamped before
 * T and before every key stamped T or later: the bound for time T. Keys that break this (a stamp
 * that is not the canonical YYYYMMDDTHHMMSSZ, a stamp outside its segment's span) make the chain
 * irregular, and the coordinator then has the whole chain walked in one piece.
 */
export interface SegmentBounds {
  /** Stamps this segment reads, UTC clock micros: [from, to); null: unbounded (oldest / newest segment). */
  readonly from: number | null;
  readonly to: number | null;
  /** Keys listed: after `after`, and before `before` (null: to the listing's stop). */
  readonly after: string;
  readonly before: string | null;
}

/** How a segment's walk starts, per kind (standard / backfill). */
export type Entry =
  /** Speculative, the newest segment: the walk's own start (it takes the newest listed key). */
  | { readonly kind: 'start' }
  /** Speculative: the next newer segment's oldest digest links to this one's newest listed key. */
  | { readonly kind: 'link' }
  /** Known from the join: read `key`; listed keys from `bound` on (null: none) were already taken. */
  | { readonly kind: 'exact'; readonly key: string; readonly lastStart: number; readonly bound: string | null };

export interface PlannedSegment {
  readonly index: number;
  readonly bounds: SegmentBounds;
  /** The speculative entry (both kinds): 'start' for the newest segment, else 'link'. */
  readonly entry: 'start' | 'link';
}

/** The stamp of a digest key as a time, only when it is canonical (YYYYMMDDTHHMMSSZ, a real date). */
export function canonicalStamp(key: string): number | undefined {
  const stamp = digestKeyStamp(key);
  if (!/^[0-9]{8}T[0-9]{6}Z$/.test(stamp)) return undefined;
  try {
    const t = parseDate(stamp).clock;
    return formatStamp(t) === stamp ? t : undefined;
  } catch {
    return undefined;
  }
}

/** The key bound of time `t` in a chain's digest folder (see above). */
export function keyBound(scope: DigestScope, t: number): string {
  const head = `${scope.account}_CloudTrail-Digest_${scope.sourceRegion}_${scope.trailName}_${scope.homeRegion}_`;
  return `${digestListPrefix(scope)}/${formatYmdPath(t)}/${head}${formatStamp(t)}`;
}

/**
 * The segments of a chain's walk over [start, end], oldest first: from the span holding `start` to
 * the span holding the newest digest (discovery's newest stamp, at most end + 1 hour: where the
 * walk's listing stops). At least one.
 */
export function planSegments(scope: DigestScope, start: number, end: number, newestStamp: string, segmentHours: number): PlannedSegment[] {
  const span = Math.max(1, Math.floor(segmentHours)) * MICROS_PER_HOUR;
  const listEnd = end + MICROS_PER_HOUR;
  const newest = Math.min(canonicalStamp(`${newestStamp}.json.gz`) ?? listEnd, listEnd);
  const first = Math.floor(start / span);
  const last = Math.max(first, Math.floor(Math.max(start, newest) / span));
  const out: PlannedSegment[] = [];
  for (let k = first; k <= last; k++) {
    const oldest = k === first;
    const newestSegment = k === last;
    out.push({
      index: k - first,
      bounds: {
        from: oldest ? null : k * span,
        to: newestSegment ? null : (k + 1) * span,
        after: oldest ? digestMarker(scope, start) : keyBound(scope, k * span),
        before: newestSegment ? null : keyBound(scope, (k + 1) * span),
      },
      entry: newestSegment ? 'start' : 'link',
    });
  }
  return out;
}

/** Which planned segment holds stamp time `t`. */
export function segmentOf(segments: readonly PlannedSegment[], t: number): number {
  for (let i = segments.length - 1; i >= 0; i--) {
    const from = segments[i]!.bounds.from;
    if (from === null || t >= from) return i;
  }
  return 0;
}

/** A short, stable id for a value (job ids: the same work always gets the same id). */
export function stableId(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}

import { createDigestKeyMatcher, digestKeyStamp, digestListPrefix, digestMarker, isBackfillKey, type DigestScope } from '../format/names.js';
import { formatStamp, MICROS_PER_HOUR } from '../format/time.js';

/**
 * Which listed digest keys a walk considers (behaviour §2), as a pure rule: the driver lists from
 * `listStart(...)` in S3 order and feeds each key to `select` until it says 'stop'.
 */
export interface ListingPlan {
  readonly prefix: string;
  /** S3 Marker: the key the trail would have produced one minute before the start. */
  readonly startAfter: string;
  select(key: string): 'skip' | 'stop' | 'standard' | 'backfill';
}

export function listingPlan(scope: DigestScope, start: number, end: number, matches: (key: string) => boolean = createDigestKeyMatcher(scope)): ListingPlan {
  // Stamps compare as text (whole seconds): from the start, up to the first one after end + 1 hour.
  const first = formatStamp(start);
  const last = formatStamp(end + MICROS_PER_HOUR);
  return {
    prefix: digestListPrefix(scope),
    startAfter: digestMarker(scope, start),
    select(key) {
      if (!matches(key)) return 'skip';
      const stamp = digestKeyStamp(key);
      if (codePointCompare(stamp, last) > 0) return 'stop';
      if (codePointCompare(stamp, first) < 0) return 'skip';
      return isBackfillKey(key) ? 'backfill' : 'standard';
    },
  };
}

/** Python's string order (code points), for the 16-character stamps. */
function codePointCompare(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

import type { ObjectStore } from '../store/types.js';
import { isRegionName } from '../format/region.js';

/** Sorts after every key that starts with the same folder (U+10FFFF: the largest code point). */
const AFTER_FOLDER = '\u{10FFFF}';

/**
 * The regions that have log files under `<...>/CloudTrail/` (the prefix given, ending in a slash),
 * found with one listing per region: after a region's first key, the listing goes on after its
 * whole folder. On S3 that is one ListObjects request per region, whatever the archive's size.
 */
export async function regionsWithLogs(store: ObjectStore, bucket: string, cloudTrailPrefix: string, limit = 64): Promise<string[]> {
  const found: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    let next: string | undefined;
    for await (const key of store.list(bucket, { prefix: cloudTrailPrefix, startAfter })) {
      const rest = key.slice(cloudTrailPrefix.length);
      const cut = rest.indexOf('/');
      if (cut <= 0) continue; // a file beside the region folders
      next = rest.slice(0, cut);
      break;
    }
    if (next === undefined) return found;
    if (isRegionName(next)) found.push(next);
    if (found.length >= limit) return found;
    startAfter = `${cloudTrailPrefix}${next}/${AFTER_FOLDER}`;
  }
}

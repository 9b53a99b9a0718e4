import { Digest } from '../format/digest.js';
import { get } from '../format/json.js';
import { loadDigestBytes } from '../store/digest-object.js';
import type { ObjectStore } from '../store/types.js';
import type { DiscoveredChain } from './discover.js';

/**
 * A chain whose oldest digest read is after the window seems to begin after it (discover.ts
 * beginsAfter), and is not walked: a trail made later has nothing in the window. But discovery
 * reads a digest folder only from ENDED_LOOKBACK_DAYS before the window, so a chain whose digests
 * of the window and of the lookback were deleted looks the same. CloudTrail says which it is: a
 * starting digest (a new trail, or logging restarted) has a null `previousDigestS3Object`, and any
 * other digest links back to one before it, which discovery would have read were it after the
 * window. So the chain is walked (its window's digests then go missing, an error) unless its oldest
 * digest read is a starting digest. One that cannot be read or parsed is walked too (fail closed:
 * the walk then says what is wrong). The link is only read here; the walk verifies what it finds.
 */
export async function begunBefore(store: ObjectStore, bucket: string, c: Pick<DiscoveredChain, 'oldestKey'>): Promise<boolean> {
  const loaded = await loadDigestBytes(store, bucket, c.oldestKey, undefined).catch(() => undefined);
  if (!loaded?.raw) return true;
  const parsed = Digest.parse(loaded.raw);
  if (parsed.kind !== 'digest') return true;
  return get(parsed.digest.json, 'previousDigestS3Object') !== null;
}

import { stampTime } from '../chain/machine.js';
import { beforeKey, withKey, type DigestPlace } from '../chain/digest-verdict.js';
import { get } from '../format/json.js';
import { isBackfillKey } from '../format/names.js';
import { MICROS_PER_HOUR } from '../format/time.js';
import type { PublicKeySource } from '../keys/types.js';
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
 * digest read is a starting digest whose signature verifies (validate-logs' verdict: a forged
 * "start" in its place is no proof). Anything that cannot be read, parsed or verified: walked (fail
 * closed; the walk says what is wrong).
 */
export async function begunBefore(
  store: ObjectStore,
  bucket: string,
  c: Pick<DiscoveredChain, 'oldestKey' | 'scope'>,
  keys: PublicKeySource,
): Promise<boolean> {
  const key = c.oldestKey;
  const loaded = await loadDigestBytes(store, bucket, key, undefined).catch(() => undefined);
  if (!loaded) return true;
  const place: DigestPlace = { bucket, key, backfill: isBackfillKey(key), homeRegion: c.scope.homeRegion };
  const first = beforeKey(loaded.raw, loaded.metadata, place);
  if (first.kind !== 'need-key' || get(first.digest.json, 'previousDigestS3Object') !== null) return true;
  let at: number;
  try {
    at = stampTime(key);
  } catch {
    return true;
  }
  const records = await keys.list(at - 2 * MICROS_PER_HOUR, at + 2 * MICROS_PER_HOUR).catch(() => []);
  const record = typeof first.fingerprint === 'string' ? records.find((r) => r.fingerprint === first.fingerprint) : undefined;
  return withKey(first, record && (() => record.load()), loaded.metadata, place).kind !== 'valid';
}

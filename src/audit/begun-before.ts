import { stampTime } from '../chain/machine.js';
import { beforeKey, withKey, type DigestPlace } from '../chain/digest-verdict.js';
import { chainId, classifyKey } from '../format/archive-keys.js';
import { get } from '../format/json.js';
import { digestListPrefix, isBackfillKey } from '../format/names.js';
import { MICROS_PER_HOUR } from '../format/time.js';
import type { PublicKeyRecord, PublicKeySource } from '../keys/types.js';
import { loadDigestBytes } from '../store/digest-object.js';
import { byteCompare } from '../store/names.js';
import type { ObjectStore } from '../store/types.js';
import { Slots } from '../util/limit.js';
import type { DiscoveredChain } from './discover.js';
import type { DiscoveryWindow } from './discovery-window.js';

/**
 * A chain whose oldest digest read is after the window seems to begin after it (discover.ts
 * beginsAfter), and is not walked: a trail made later has nothing in the window. But discovery
 * reads a digest folder only from ENDED_LOOKBACK_DAYS before the window, so a chain whose digests
 * of the window and of the lookback were deleted looks the same. So the chain is walked (its
 * window's digests then go missing: an error) unless both of these hold:
 * - its oldest standard digest read is a starting digest (null `previousDigestS3Object`) whose
 *   signature verifies (validate-logs' verdict: a forged "start" is no proof). Any other digest links
 *   back to one before it, which discovery would have read were it after the window. A backfill
 *   digest is no proof: the first of a backfill chain has a null previous digest whatever came before.
 * - the chain has no digest before the lookback either: CloudTrail writes a starting digest for a
 *   new trail, but also when logging restarts, so a restart after a past window whose digests were
 *   deleted must not pass for a new trail. The chain's digest folder is listed from its beginning
 *   up to the lookback, and the first digest of the chain found ends it.
 * Anything that cannot be read, parsed or verified: walked (fail closed; the walk says what is
 * wrong). Keys are listed once for all the chains; a failed key listing stops the run.
 */
const AT_ONCE = 16;

export async function chainsBegunBefore(
  o: { readonly store: ObjectStore; readonly bucket: string; readonly keys: PublicKeySource },
  candidates: ReadonlyArray<readonly [string, DiscoveredChain]>,
  window: DiscoveryWindow,
): Promise<Set<string>> {
  const out = new Set<string>();
  if (candidates.length === 0) return out;
  const times = candidates.map(([, c]) => c.oldestKey && timeOf(c.oldestKey)).filter((t): t is number => typeof t === 'number');
  const keys = new Map<string, PublicKeyRecord>();
  if (times.length > 0) {
    const from = times.reduce((a, b) => Math.min(a, b)) - 2 * MICROS_PER_HOUR;
    const to = times.reduce((a, b) => Math.max(a, b)) + 2 * MICROS_PER_HOUR;
    for (const r of await o.keys.list(from, to)) keys.set(r.fingerprint, r);
  }
  const slots = new Slots(AT_ONCE);
  const running: Array<Promise<void>> = [];
  for (const [id, c] of candidates) {
    const task = async (): Promise<void> => {
      if (!(await startsAfter(o.store, o.bucket, c, keys)) || (await hasEarlier(o.store, o.bucket, c, window))) out.add(id);
    };
    running.push((await slots.schedule(task)).running);
  }
  await Promise.all(running);
  return out;
}

function timeOf(key: string): number | undefined {
  try {
    return stampTime(key);
  } catch {
    return undefined;
  }
}

/** Is the chain's oldest standard digest read a starting digest that verifies (none read: no)? */
async function startsAfter(store: ObjectStore, bucket: string, c: DiscoveredChain, keys: ReadonlyMap<string, PublicKeyRecord>): Promise<boolean> {
  const key = c.oldestKey;
  if (key === undefined) return false;
  const loaded = await loadDigestBytes(store, bucket, key, undefined).catch(() => undefined);
  if (!loaded) return false;
  const place: DigestPlace = { bucket, key, backfill: isBackfillKey(key), homeRegion: c.scope.homeRegion };
  const first = beforeKey(loaded.raw, loaded.metadata, place);
  if (first.kind !== 'need-key' || get(first.digest.json, 'previousDigestS3Object') !== null || timeOf(key) === undefined) return false;
  const record = typeof first.fingerprint === 'string' ? keys.get(first.fingerprint) : undefined;
  return withKey(first, record && (() => record.load()), loaded.metadata, place).kind === 'valid';
}

/** Does the chain have a digest key before the days discovery read (its history before the lookback)? */
async function hasEarlier(store: ObjectStore, bucket: string, c: DiscoveredChain, window: DiscoveryWindow): Promise<boolean> {
  const folder = `${digestListPrefix(c.scope)}/`;
  const stop = window.digestsFrom(folder);
  const id = chainId(c.scope);
  for await (const key of store.list(bucket, { prefix: folder })) {
    if (byteCompare(key, stop) >= 0) return false;
    const k = classifyKey(key);
    if (k.kind === 'digest' && chainId(k.scope) === id) return true;
  }
  return false;
}

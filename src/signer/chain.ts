import { TrailproofError } from '../errors.js';
import { sha256Hex } from '../crypto/hash.js';
import { Digest } from '../format/digest.js';
import { get, isObject, type JsonObject } from '../format/json.js';
import { loadDigestBytes } from '../store/digest-object.js';
import { createDigestKeyMatcher, digestKeyStamp, digestListPrefix, isBackfillKey, type DigestScope } from '../format/names.js';
import { MICROS_PER_HOUR, parseDate, parseStrictUtc } from '../format/time.js';
import type { Metadata, ObjectStore } from '../store/types.js';
import type { PreviousDigest } from './digest-model.js';
import { signedByTrusted, type TrustedKeys } from './trust.js';

/**
 * What the bucket already says about a trail's chain in one account and region: its newest
 * standard digest (the chain's head) and which log files recent digests reference. The bucket is
 * the signer's only state, so a crashed or repeated run resumes exactly where the chain ends.
 */
export interface ChainHead {
  readonly key: string;
  /** digestEndTime of the head, UTC micros: where the next digest starts. */
  readonly end: number;
  readonly previous: PreviousDigest;
  /** The key that signed it (a rotation notice compares the next digest's key with it). */
  readonly fingerprint: string | undefined;
}

export interface ChainState {
  readonly head: ChainHead | null;
  /** Log keys (in the trail's bucket) referenced by the digests read. */
  readonly referenced: Set<string>;
  /** Existing backfill digest keys among those read. */
  readonly backfillKeys: Set<string>;
  /** Digest keys that could not be read (reported as warnings). */
  readonly unreadable: string[];
  /** Digest keys that no trusted key signed (trust.ts): their logs are not taken as signed (warnings). */
  readonly untrusted: string[];
}

/** A digest the signer wrote before: its bytes (bounded) and JSON, or undefined when it cannot be used. */
async function readDigest(
  store: ObjectStore,
  bucket: string,
  key: string,
): Promise<{ json: JsonObject; raw: Buffer; signature: string | undefined; metadata: Metadata } | undefined> {
  const loaded = await loadDigestBytes(store, bucket, key, undefined);
  if (!loaded?.raw) return undefined;
  const parsed = Digest.parse(loaded.raw);
  if (parsed.kind !== 'digest') return undefined;
  return { json: parsed.digest.json, raw: loaded.raw, signature: loaded.metadata.signature, metadata: loaded.metadata };
}

/**
 * Reads the chain state. Digests stamped at or after `keepFrom(headStamp)` are read for their
 * references (a bounded look-back, so memory does not grow with the trail's age).
 */
export async function readChainState(
  store: ObjectStore,
  bucket: string,
  scope: DigestScope,
  keepFrom: (newestStandard: number | null) => number,
  /** The keys whose digests count (trust.ts). */
  trusted: TrustedKeys,
): Promise<ChainState> {
  const signed = (key: string, d: { raw: Buffer; metadata: Metadata }): boolean =>
    signedByTrusted(d.raw, d.metadata, { bucket, key, backfill: isBackfillKey(key), homeRegion: scope.homeRegion }, trusted);
  const matches = createDigestKeyMatcher(scope);
  // Keys sorted as S3 lists them: by date folder, then by stamp (standard before backfill).
  let recent: Array<{ key: string; at: number }> = [];
  let newest: { key: string; at: number } | null = null;
  for await (const key of store.list(bucket, { prefix: `${digestListPrefix(scope)}/` })) {
    if (!matches(key)) continue;
    let at: number;
    try {
      at = parseDate(digestKeyStamp(key)).clock;
    } catch {
      continue;
    }
    if (!isBackfillKey(key) && (newest === null || at >= newest.at)) newest = { key, at };
    recent.push({ key, at });
    // Keep the look-back window only (relative to the newest standard digest so far).
    if (recent.length > 4096) {
      const from = keepFrom(newest?.at ?? null);
      recent = recent.filter((r) => r.at >= from);
    }
  }
  const from = keepFrom(newest?.at ?? null);
  recent = recent.filter((r) => r.at >= from);

  let head: ChainHead | null = null;
  if (newest) {
    const d = await readDigest(store, bucket, newest.key);
    const end = d ? get(d.json, 'digestEndTime') : undefined;
    const endAt = typeof end === 'string' ? parseStrictUtc(end) : null;
    // Its end time is where the next digest starts: it must be the time its key is stamped with, and
    // the digest must name itself (a digest planted as the newest, ending years ahead, would
    // otherwise move the chain there and every later run would sign nothing).
    const named = d !== undefined && get(d.json, 'digestS3Object') === newest.key && get(d.json, 'digestS3Bucket') === bucket;
    if (!d || endAt === null || endAt !== newest.at || !named || !d.signature || !/^[0-9a-fA-F]+$/.test(d.signature)) {
      throw new TrailproofError(
        'signer',
        `Cannot continue the chain: its newest digest s3://${bucket}/${newest.key} is unreadable, unsigned, or not the digest its key names. ` +
          'Restore it, or start a new chain with --new-chain --start-time T.',
      );
    }
    if (!signed(newest.key, d)) {
      throw new TrailproofError(
        'signer',
        `Cannot continue the chain: its newest digest s3://${bucket}/${newest.key} does not verify with a key this signer trusts ` +
          "(its key store, or --trust-public-keys FILE for another signer of the chain). Planted, or another signer's: restore the chain, " +
          'trust that signer, or start a new chain with --new-chain --start-time T.',
      );
    }
    const fp = get(d.json, 'digestPublicKeyFingerprint');
    head = {
      key: newest.key,
      end: endAt,
      previous: { bucket, key: newest.key, hashValue: sha256Hex(d.raw), signature: d.signature.toLowerCase() },
      fingerprint: typeof fp === 'string' ? fp : undefined,
    };
  }

  const referenced = new Set<string>();
  const backfillKeys = new Set<string>();
  const unreadable: string[] = [];
  const untrusted: string[] = [];
  for (const { key } of recent) {
    if (isBackfillKey(key)) backfillKeys.add(key);
    const d = await readDigest(store, bucket, key);
    const logs = d ? get(d.json, 'logFiles') : undefined;
    if (!d || (logs !== null && !Array.isArray(logs))) {
      unreadable.push(key);
      continue;
    }
    // A digest no trusted key signed says nothing of which logs are signed.
    if (!signed(key, d)) {
      untrusted.push(key);
      continue;
    }
    for (const entry of logs ?? []) {
      if (isObject(entry) && get(entry, 's3Bucket') === bucket) {
        const k = get(entry, 's3Object');
        if (typeof k === 'string') referenced.add(k);
      }
    }
  }
  return { head, referenced, backfillKeys, unreadable, untrusted };
}

export const HOUR = MICROS_PER_HOUR;

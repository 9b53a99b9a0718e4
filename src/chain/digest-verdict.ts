import { sha256Hex } from '../crypto/hash.js';
import { HexError, unhexlify } from '../crypto/hex.js';
import { verifySha256, type RsaPublicKey } from '../crypto/rsa.js';
import { Digest, DigestFieldError } from '../format/digest.js';
import { has, pyStr, pyTypeName, PyNumber, type JsonObject } from '../format/json.js';
import type { Metadata } from '../store/types.js';

/**
 * One digest's verdict, behaviour §3 steps 2-9 in the reference's order, as pure functions of its
 * bytes, its metadata and its public key. Every field of the digest and of its metadata is
 * attacker-controlled. The key lookup sits between the two halves (it may need I/O: §6), so the
 * check is split where the fingerprint is known: `beforeKey`, then `withKey`.
 */
/** SHA-256 (hex) of a digest's uncompressed bytes: signed over (§3), and what its successor's previousDigestHashValue names. Computed once per parsed digest. */
const digestHashes = new WeakMap<Digest, string>();
export function digestSha256(digest: Digest): string {
  let hex = digestHashes.get(digest);
  if (hex === undefined) digestHashes.set(digest, (hex = sha256Hex(digest.raw)));
  return hex;
}

export const REASON = {
  notFound: 'not found',
  format: 'invalid format',
  moved: 'has been moved from its original location',
  signature: 'signature verification failed',
} as const;

export type DigestVerdict =
  | {
      readonly kind: 'valid';
      readonly digest: Digest;
      readonly startClock: number;
      /** The metadata signature (hex) that verified, and the metadata's signature-algorithm. */
      readonly signature: string;
      readonly algorithm: string;
      /** Bytes follow the gzip member (ignored, as by the reference: §3.2; the audit reports them). */
      readonly trailing?: boolean;
    }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

export interface DigestPlace {
  readonly bucket: string;
  readonly key: string;
  readonly backfill: boolean;
  /** The trail's home region (named in `public key not found` messages). */
  readonly homeRegion: string;
}

/** What the first half concludes: a verdict, or the fingerprint whose key decides. */
export type BeforeKey =
  DigestVerdict | { readonly kind: 'need-key'; readonly digest: Digest; readonly fingerprint: string | number | boolean | PyNumber | null };

const invalid = (reason: string): DigestVerdict => ({ kind: 'invalid', reason });

/**
 * Steps 2-6: `raw` is the inflated digest (undefined when the object is not one complete gzip
 * member), `metadata` its S3 user metadata.
 */
export function beforeKey(raw: Buffer | undefined, metadata: Metadata, place: DigestPlace): BeforeKey {
  if (!raw) return invalid(REASON.format);
  const parsed = Digest.parse(raw);
  if (parsed.kind === 'unparseable') return invalid(REASON.format);
  const meta = metadata as JsonObject;
  if (!has(meta, 'signature') || !has(meta, 'signature-algorithm')) return invalid(REASON.signature);
  // The reference stores the signature into the decoded value: anything but an object fails there.
  if (parsed.kind === 'not-an-object') {
    const v = parsed.value;
    return invalid(Array.isArray(v) ? 'list indices must be integers or slices, not str' : `'${pyTypeName(v)}' object does not support item assignment`);
  }
  const digest = parsed.digest;
  if (place.backfill && !has(meta, 'backfill-generation-timestamp')) return invalid(REASON.format);
  if (digest.missingRequired() !== undefined) return invalid(REASON.format);
  if (digest.field('digestS3Bucket') !== place.bucket || digest.field('digestS3Object') !== place.key) return invalid(REASON.moved);
  const fingerprint = digest.field('digestPublicKeyFingerprint')!;
  // A list or a dict is unhashable; a number of any kind (PyNumber) is hashable.
  if (typeof fingerprint === 'object' && fingerprint !== null && !(fingerprint instanceof PyNumber))
    return invalid(`unhashable type: '${pyTypeName(fingerprint)}'`);
  return { kind: 'need-key', digest, fingerprint };
}

/** Steps 6-9, once the key for the fingerprint was looked up (`load` undefined: no such key). */
export function withKey(
  step: Extract<BeforeKey, { kind: 'need-key' }>,
  load: (() => RsaPublicKey) | undefined,
  metadata: Metadata,
  place: DigestPlace,
): DigestVerdict {
  const { digest, fingerprint } = step;
  if (!load) return invalid(`public key not found in region ${place.homeRegion} for fingerprint ${pyStr(fingerprint)}`);
  let publicKey: RsaPublicKey;
  try {
    publicKey = load();
  } catch {
    return invalid(`Unable to load PKCS #1 key with fingerprint ${pyStr(fingerprint)}`);
  }
  try {
    let signature: Uint8Array;
    try {
      signature = unhexlify(metadata.signature ?? '');
    } catch (err) {
      if (err instanceof HexError) throw new DigestFieldError(err.message);
      throw err;
    }
    const signed = digest.signingString(place.bucket, place.key, digestSha256(digest));
    const outcome = verifySha256(Buffer.from(signed, 'utf8'), signature, publicKey);
    if (!outcome.ok) {
      if (outcome.reason === 'overflow') throw new DigestFieldError(outcome.message);
      return invalid(REASON.signature);
    }
    // After the signature: the end time, then the start time, must parse (§3.9 texts).
    digest.endTime();
    return {
      kind: 'valid',
      digest,
      startClock: digest.startTime().clock,
      signature: metadata.signature ?? '',
      algorithm: metadata['signature-algorithm'] ?? '',
    };
  } catch (err) {
    if (err instanceof DigestFieldError) return invalid(err.message);
    throw err;
  }
}

import { sha256Hex } from '../crypto/hash.js';
import { HexError, unhexlify } from '../crypto/hex.js';
import { fromBytes, gunzipMemberToBuffer } from '../crypto/gzip.js';
import { gunzipMemberFast } from '../crypto/gzip-sync.js';
import { verifySha256, type RsaPublicKey } from '../crypto/rsa.js';
import { get, has, isObject, parseJsonBytes, pyStr, pyTypeName, type Json, type JsonObject } from '../format/json.js';
import { parseDate, type ParsedTime } from '../format/time.js';
import { MAX_COMPRESSED_DIGEST, MAX_DIGEST_BYTES } from '../format/limits.js';
import { StoreError } from '../store/errors.js';
import type { Metadata, ObjectStore } from '../store/types.js';
import type { PublicKeyRecord } from './types.js';

/**
 * Loading and validating one digest, behaviour §3 steps 1-9 in the reference's order. Every field
 * of the digest and of its metadata is attacker-controlled.
 */

export type DigestOutcome =
  | { readonly kind: 'valid'; readonly digest: JsonObject; readonly startClock: number }
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly reason: string };

const REQUIRED = [
  'digestPublicKeyFingerprint',
  'digestS3Bucket',
  'digestS3Object',
  'previousDigestSignature',
  'digestEndTime',
  'digestStartTime',
] as const;

export const REASON = {
  notFound: 'not found',
  format: 'invalid format',
  moved: 'has been moved from its original location',
  signature: 'signature verification failed',
} as const;

/** A failure the reference reports with the text of a Python exception (§3.9). */
class Generic extends Error {}

/** dateutil's parse of a JSON value, with its error texts. */
export function parseJsonTime(v: Json | undefined): ParsedTime {
  if (typeof v !== 'string') {
    throw new Generic(`Parser must be a string or character stream, not ${pyTypeName(v ?? null)}`);
  }
  try {
    return parseDate(v);
  } catch (err) {
    throw new Generic((err as Error).message);
  }
}

export interface KeyLookup {
  /** The key with this fingerprint, loading more keys first when the walk allows it (§6). */
  find(fingerprint: string, digest: JsonObject, metadata: Metadata): Promise<PublicKeyRecord | undefined>;
}

/**
 * A digest's uncompressed bytes (exactly one complete gzip member; bytes after it are ignored,
 * §3.2) and its metadata; `raw` is undefined when it is not such a member. Small digests are read
 * whole and inflated in one call; the stream is the fallback.
 */
async function loadDigestBytes(
  store: ObjectStore,
  bucket: string,
  key: string,
  preread: PrereadDigest | undefined,
): Promise<{ raw: Buffer | undefined; metadata: Metadata } | undefined> {
  if (store.getBytes) {
    // A read made ahead is used when it worked; whatever went wrong with it, the object is read again here.
    const early = preread ? await preread : undefined;
    const got = early && early.ok ? early.object : await store.getBytes(bucket, key, MAX_COMPRESSED_DIGEST);
    if (!got) return undefined;
    const fast = gunzipMemberFast(got.bytes, MAX_DIGEST_BYTES);
    // With bytes after the member, the fast path may have inflated them too: the stream stops exactly.
    if (fast && !fast.trailing) return { raw: fast.status === 'complete' ? fast.data : undefined, metadata: got.metadata };
    const { result, data } = await gunzipMemberToBuffer(fromBytes(got.bytes), MAX_DIGEST_BYTES);
    if (result.size > MAX_DIGEST_BYTES) throw digestTooLarge(bucket, key);
    return { raw: result.status === 'complete' ? data : undefined, metadata: got.metadata };
  }
  const object = await store.get(bucket, key);
  if (!object) return undefined;
  try {
    if (object.size !== undefined && object.size > MAX_COMPRESSED_DIGEST) throw digestTooLarge(bucket, key);
    const { result, data } = await gunzipMemberToBuffer(object.body, MAX_DIGEST_BYTES);
    if (result.size > MAX_DIGEST_BYTES) throw digestTooLarge(bucket, key);
    return { raw: result.status === 'complete' ? data : undefined, metadata: object.metadata };
  } finally {
    await object.close();
  }
}

/** Fail closed on size: a digest past the limit stops the run (never read whole, never a verdict). */
function digestTooLarge(bucket: string, key: string): StoreError {
  return new StoreError('Other', `Digest s3://${bucket}/${key} inflates to more than ${MAX_DIGEST_BYTES >> 20} MiB, the most trailproof reads for a digest: refusing it`);
}

/** Where a digest is and what to check it with. */
export interface DigestContext {
  readonly bucket: string;
  readonly key: string;
  readonly backfill: boolean;
  readonly keys: KeyLookup;
  /** The trail's home region (named in `public key not found` messages). */
  readonly homeRegion: string;
  /** The digest's bytes, if they were read ahead (store.getBytes). */
  readonly preread?: PrereadDigest | undefined;
}

/** A store.getBytes made ahead of time; `ok: false` when it failed (the reader then reads again). */
export type PrereadDigest = Promise<{ ok: true; object: { bytes: Buffer; metadata: Metadata } | undefined } | { ok: false }>;

/**
 * Reads the next digests the walk will probably want (the next keys of the listing, which is where the
 * previous-digest links of an intact chain point) while it checks the current one: on S3 each read is
 * a round trip that would otherwise sit on the walk's critical path. Bounded: `depth` reads, each of an
 * object up to `limit` bytes (a larger one fails the read ahead and is read normally).
 */
export class DigestReadAhead {
  private readonly reads = new Map<string, PrereadDigest>();

  constructor(
    private readonly store: ObjectStore,
    private readonly depth = 8,
    private readonly limit = 4 << 20,
  ) {}

  /** Starts reads for `keys` (nearest first), up to `depth` in hand. */
  ahead(bucket: string, keys: readonly string[]): void {
    const getBytes = this.store.getBytes?.bind(this.store);
    if (!getBytes) return;
    for (const key of keys.slice(0, this.depth)) {
      const id = `${bucket}\0${key}`;
      if (this.reads.has(id)) continue;
      if (this.reads.size >= this.depth) this.reads.delete(this.reads.keys().next().value!);
      this.reads.set(
        id,
        getBytes(bucket, key, this.limit).then(
          (object) => ({ ok: true as const, object }),
          () => ({ ok: false as const }),
        ),
      );
    }
  }

  /** The read made ahead for this object, if any (handed over once). */
  take(bucket: string, key: string): PrereadDigest | undefined {
    const id = `${bucket}\0${key}`;
    const read = this.reads.get(id);
    this.reads.delete(id);
    return read;
  }
}

export async function loadAndValidateDigest(store: ObjectStore, c: DigestContext): Promise<DigestOutcome> {
  const loaded = await loadDigestBytes(store, c.bucket, c.key, c.preread);
  if (!loaded) return { kind: 'missing' };
  if (!loaded.raw) return { kind: 'invalid', reason: REASON.format };
  const { raw, metadata } = loaded;
  const parsed = parseJsonBytes(raw);
  if (!parsed.ok) return { kind: 'invalid', reason: REASON.format };
  if (!has(metadata as JsonObject, 'signature') || !has(metadata as JsonObject, 'signature-algorithm')) {
    return { kind: 'invalid', reason: REASON.signature };
  }
  try {
    return await validateParsed(parsed.value, raw, metadata, c);
  } catch (err) {
    if (err instanceof Generic) return { kind: 'invalid', reason: err.message };
    throw err;
  }
}

async function validateParsed(value: Json, raw: Buffer, metadata: Metadata, c: DigestContext): Promise<DigestOutcome> {
  const { bucket, key, backfill, keys, homeRegion } = c;
  // The reference stores the signature into the decoded value: anything but an object fails there.
  if (!isObject(value)) {
    throw new Generic(
      Array.isArray(value)
        ? 'list indices must be integers or slices, not str'
        : `'${pyTypeName(value)}' object does not support item assignment`,
    );
  }
  const digest = value;
  if (backfill && !has(metadata as JsonObject, 'backfill-generation-timestamp')) return { kind: 'invalid', reason: REASON.format };
  for (const field of REQUIRED) if (!has(digest, field)) return { kind: 'invalid', reason: REASON.format };
  if (get(digest, 'digestS3Bucket') !== bucket || get(digest, 'digestS3Object') !== key) {
    return { kind: 'invalid', reason: REASON.moved };
  }
  const fingerprint = get(digest, 'digestPublicKeyFingerprint')!;
  if (typeof fingerprint === 'object' && fingerprint !== null) {
    throw new Generic(`unhashable type: '${pyTypeName(fingerprint)}'`);
  }
  const record = typeof fingerprint === 'string' ? await keys.find(fingerprint, digest, metadata) : undefined;
  if (!record) {
    return { kind: 'invalid', reason: `public key not found in region ${homeRegion} for fingerprint ${pyStr(fingerprint)}` };
  }
  let publicKey: RsaPublicKey;
  try {
    publicKey = record.load();
  } catch {
    return { kind: 'invalid', reason: `Unable to load PKCS #1 key with fingerprint ${pyStr(fingerprint)}` };
  }
  const previous = get(digest, 'previousDigestSignature')!;
  const signed =
    `${pyStr(get(digest, 'digestEndTime')!)}\n${bucket}/${key}\n${sha256Hex(raw)}\n` +
    `${previous === null ? 'null' : pyStr(previous)}`;
  let signature: Uint8Array;
  try {
    signature = unhexlify(metadata.signature ?? '');
  } catch (err) {
    if (err instanceof HexError) throw new Generic(err.message);
    throw err;
  }
  const outcome = verifySha256(Buffer.from(signed, 'utf8'), signature, publicKey);
  if (!outcome.ok) {
    if (outcome.reason === 'overflow') throw new Generic(outcome.message);
    return { kind: 'invalid', reason: REASON.signature };
  }
  // After the signature: the end time, then the start time, must parse (§3.9 texts).
  parseJsonTime(get(digest, 'digestEndTime'));
  const start = parseJsonTime(get(digest, 'digestStartTime'));
  return { kind: 'valid', digest, startClock: start.clock };
}

export { Generic as GenericDigestFailure };

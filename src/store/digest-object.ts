import { fromBytes, gunzipMemberToBuffer } from '../crypto/gzip.js';
import { inflateWholeToBuffer } from '../crypto/gzip-sync.js';
import { MAX_COMPRESSED_DIGEST, MAX_DIGEST_BYTES } from '../format/limits.js';
import { StoreError } from './errors.js';
import type { Metadata, ObjectStore } from './types.js';

/**
 * Reading one digest object (behaviour §3 steps 1-2): its inflated bytes and metadata, bounded in
 * size, from the store or from a read made ahead. The verdict on those bytes is chain/digest-verdict.ts.
 */
/**
 * A digest's uncompressed bytes (exactly one complete gzip member; bytes after it are ignored,
 * §3.2) and its metadata; `raw` is undefined when it is not such a member. Small digests are read
 * whole and inflated in one call; the stream is the fallback.
 */
export async function loadDigestBytes(
  store: ObjectStore,
  bucket: string,
  key: string,
  preread: PrereadDigest | undefined,
): Promise<{ raw: Buffer | undefined; metadata: Metadata; trailing: boolean } | undefined> {
  if (store.getBytes) {
    // A read made ahead is used when it worked; whatever went wrong with it, the object is read again here.
    const early = preread ? await preread : undefined;
    const got = early && early.ok ? early.object : await store.getBytes(bucket, key, MAX_COMPRESSED_DIGEST);
    if (!got) return undefined;
    const fast = inflateWholeToBuffer(got.bytes, MAX_DIGEST_BYTES);
    // With bytes after the member, the fast path may have inflated them too: the stream stops exactly.
    if (fast && !fast.trailing) return { raw: fast.status === 'complete' ? fast.data : undefined, metadata: got.metadata, trailing: false };
    const { result, data } = await gunzipMemberToBuffer(fromBytes(got.bytes), MAX_DIGEST_BYTES);
    if (result.size > MAX_DIGEST_BYTES) throw digestTooLarge(bucket, key);
    return { raw: result.status === 'complete' ? data : undefined, metadata: got.metadata, trailing: result.trailing };
  }
  const object = await store.get(bucket, key);
  if (!object) return undefined;
  try {
    if (object.size !== undefined && object.size > MAX_COMPRESSED_DIGEST) throw digestTooLarge(bucket, key);
    const { result, data } = await gunzipMemberToBuffer(object.body, MAX_DIGEST_BYTES);
    if (result.size > MAX_DIGEST_BYTES) throw digestTooLarge(bucket, key);
    return { raw: result.status === 'complete' ? data : undefined, metadata: object.metadata, trailing: result.trailing };
  } finally {
    await object.close();
  }
}

/** Fail closed on size: a digest past the limit stops the run (never read whole, never a verdict). */
function digestTooLarge(bucket: string, key: string): StoreError {
  return new StoreError(
    'Other',
    `Digest s3://${bucket}/${key} inflates to more than ${MAX_DIGEST_BYTES >> 20} MiB, the most trailproof reads for a digest: refusing it`,
  );
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

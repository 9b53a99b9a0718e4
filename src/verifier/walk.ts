import { TrailproofError } from '../errors.js';
import { get, type Json, type JsonObject } from '../format/json.js';
import { createDigestKeyMatcher, digestKeyStamp, digestListPrefix, digestMarker, isBackfillKey, type DigestScope } from '../format/names.js';
import { formatDisplay, formatStamp, instantOf, MICROS_PER_HOUR, parseDate } from '../format/time.js';
import type { Metadata, ObjectStore } from '../store/types.js';
import { DigestReadAhead, GenericDigestFailure, loadAndValidateDigest, parseJsonTime, REASON, type KeyLookup } from './digest-check.js';
import type { PublicKeyRecord, PublicKeySource, WalkItem } from './types.js';

/**
 * The digest walk, behaviour §2, §3 and §6: newest digest first, following previous-digest links,
 * falling back on the listing after a missing or invalid digest or at the end of a chain.
 * Emits WalkItems in report order; throws a TrailproofError for what stops the run.
 */
export interface WalkOptions {
  readonly store: ObjectStore;
  readonly scope: DigestScope;
  /** The digests' bucket. */
  readonly bucket: string;
  /** Requested window, UTC clock micros (start keeps its fraction, §2). */
  readonly start: number;
  readonly end: number;
  readonly keys: PublicKeySource;
}

export interface Listing {
  standard: string[];
  backfill: string[];
}

/**
 * The digest keys of a window (§2): listing after the marker one minute before `start`, keys of
 * this trail only, stamped from `start` (whole seconds) until the first one after `end` + 1 hour.
 */
export async function listDigestKeys(
  store: ObjectStore,
  bucket: string,
  scope: DigestScope,
  start: number,
  end: number,
  matches: (key: string) => boolean = createDigestKeyMatcher(scope),
): Promise<Listing> {
  const out: Listing = { standard: [], backfill: [] };
  const first = formatStamp(start);
  const last = formatStamp(end + MICROS_PER_HOUR);
  for await (const key of store.list(bucket, { prefix: digestListPrefix(scope), startAfter: digestMarker(scope, start) })) {
    if (!matches(key)) continue;
    const stamp = digestKeyStamp(key);
    if (cmp(stamp, last) > 0) break;
    if (cmp(stamp, first) < 0) continue;
    (isBackfillKey(key) ? out.backfill : out.standard).push(key);
  }
  return out;
}

/** Python's string order (code points), for the 16-character stamps. */
function cmp(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** A key's stamp as a time; an unparseable stamp stops the run, as in the reference. */
function stampTime(key: string): number {
  return parseDate(digestKeyStamp(key)).clock;
}

export class DigestWalker {
  private readonly listings = new Map<string, Listing>();
  private readonly matches: (key: string) => boolean;

  constructor(private readonly o: WalkOptions) {
    this.matches = createDigestKeyMatcher(o.scope);
  }

  /** One listing per (bucket, window), shared by the standard and backfill walks (§6). */
  private async listing(bucket: string, start: number, end: number): Promise<Listing> {
    const id = JSON.stringify([bucket, start, end]);
    const cached = this.listings.get(id);
    if (cached) return cached;
    const out = await listDigestKeys(this.o.store, bucket, this.o.scope, start, end, this.matches);
    this.listings.set(id, out);
    return out;
  }

  private async standardKeys(): Promise<Map<string, PublicKeyRecord>> {
    const { start, end } = this.o;
    const until = end + 2 * MICROS_PER_HOUR;
    const records = await this.o.keys.list(start, until);
    if (records.length === 0) {
      throw new TrailproofError('keys', `No public keys found between ${formatDisplay(start)} and ${formatDisplay(until)}`);
    }
    return new Map(records.map((r) => [r.fingerprint, r]));
  }

  private backfillLookup(): KeyLookup {
    const known = new Map<string, PublicKeyRecord>();
    return {
      find: async (fingerprint: string, _digest: JsonObject, metadata: Metadata) => {
        const hit = known.get(fingerprint);
        if (hit) return hit;
        const stamp = parseJsonTime(metadata['backfill-generation-timestamp']).clock;
        const from = stamp - MICROS_PER_HOUR;
        const to = stamp + MICROS_PER_HOUR;
        const records = await this.o.keys.list(from, to);
        if (records.length === 0) {
          throw new GenericDigestFailure(`No public keys found between ${formatDisplay(from)} and ${formatDisplay(to)}`);
        }
        for (const r of records) known.set(r.fingerprint, r);
        return known.get(fingerprint);
      },
    };
  }

  /** The listed key before `before` (popping the list, as the reference does), with its stamp. */
  private static next(digests: string[], before?: string): [string, number] | undefined {
    if (before === undefined) {
      const key = digests.pop();
      return key === undefined ? undefined : [key, stampTime(key)];
    }
    const limit = instantOf(parseDate(digestKeyStamp(before)));
    while (digests.length > 0) {
      const key = digests.pop()!;
      const at = stampTime(key);
      if (at < limit) return [key, at];
    }
    return undefined;
  }

  async *walk(backfill: boolean): AsyncGenerator<WalkItem> {
    const { start, end, store, scope } = this.o;
    let bucket = this.o.bucket;
    const initial = await this.listing(bucket, start, end);
    let digests = backfill ? initial.backfill : initial.standard;
    let lookup: KeyLookup;
    if (backfill) {
      lookup = this.backfillLookup();
    } else {
      const keys = await this.standardKeys();
      lookup = { find: async (fp) => keys.get(fp) };
    }

    // On S3 the next digests are read while this one is checked (local reads are direct and cheap).
    const readAhead = store.kind === 's3' ? new DigestReadAhead(store) : undefined;
    let found = DigestWalker.next(digests);
    let key = found?.[0];
    let lastStart = found?.[1] ?? 0;
    while (key !== undefined && start <= lastStart) {
      const preread = readAhead?.take(bucket, key);
      readAhead?.ahead(bucket, digests.slice(-8).reverse());
      const outcome = await loadAndValidateDigest(store, { bucket, key, backfill, keys: lookup, homeRegion: scope.homeRegion, preread });
      if (outcome.kind !== 'valid') {
        const reason = outcome.kind === 'missing' ? REASON.notFound : outcome.reason;
        yield { kind: 'invalid', backfill, bucket, key, reason };
        key = DigestWalker.next(digests, key)?.[0];
        continue;
      }
      const { digest } = outcome;
      lastStart = outcome.startClock;
      yield { kind: 'valid', backfill, bucket, key, digest };
      const prevBucket = get(digest, 'previousDigestS3Bucket');
      const prevKey = get(digest, 'previousDigestS3Object');
      if (prevBucket === undefined || prevBucket === null || prevKey === undefined || prevKey === null) {
        // The chain ended: report a gap if the listing has an older digest (§3.10).
        found = DigestWalker.next(digests, key);
        if (found) yield { kind: 'gap', backfill, from: found[1], to: lastStart };
        key = found?.[0];
        continue;
      }
      const nextBucket = pointer(prevBucket, 'previousDigestS3Bucket', bucket, key);
      key = pointer(prevKey, 'previousDigestS3Object', bucket, key);
      if (nextBucket !== bucket) {
        bucket = nextBucket;
        const digestEnd = parseJsonTime(get(digest, 'digestEndTime')).clock;
        const listing = await this.listing(bucket, start, digestEnd);
        digests = backfill ? listing.backfill : listing.standard;
      }
    }
  }
}

function pointer(value: Json, field: string, bucket: string, key: string): string {
  if (typeof value === 'string') return value;
  throw new TrailproofError('input', `Digest file s3://${bucket}/${key}: ${field} is not a string`);
}

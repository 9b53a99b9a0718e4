import { beforeKey, withKey, type DigestPlace, type DigestVerdict } from '../chain/digest-verdict.js';
import type { ChainEvent } from '../chain/events.js';
import { startChain, step, wanted, withListing } from '../chain/machine.js';
import { TrailproofError } from '../errors.js';
import { DigestFieldError, parseJsonTime } from '../format/digest.js';
import { listingPlan } from '../chain/listing.js';
import { createDigestKeyMatcher, type DigestScope } from '../format/names.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import type { PublicKeyRecord, PublicKeySource } from '../keys/types.js';
import type { Metadata, ObjectStore } from '../store/types.js';
import { DigestReadAhead, loadDigestBytes, type PrereadDigest } from '../store/digest-object.js';

/**
 * The digest walk, behaviour §2, §3 and §6: the I/O driver of the chain machine (chain/machine.ts).
 * It lists digests, reads what the machine asks for (with reads ahead on S3), looks public keys
 * up, and passes each digest's verdict to the machine. Emits ChainEvents in report order; throws a
 * TrailproofError for what stops the run.
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

/** The digest keys of a window (§2, chain/listing.ts), standard and backfill. */
export async function listDigestKeys(
  store: ObjectStore,
  bucket: string,
  scope: DigestScope,
  start: number,
  end: number,
  matches: (key: string) => boolean = createDigestKeyMatcher(scope),
): Promise<Listing> {
  const out: Listing = { standard: [], backfill: [] };
  const plan = listingPlan(scope, start, end, matches);
  for await (const key of store.list(bucket, { prefix: plan.prefix, startAfter: plan.startAfter })) {
    const kind = plan.select(key);
    if (kind === 'stop') break;
    if (kind !== 'skip') out[kind].push(key);
  }
  return out;
}

/** Finds a digest's public key, loading more keys first when the walk allows it (§6). */
export type KeyLookup = (fingerprint: string, metadata: Metadata) => Promise<PublicKeyRecord | undefined>;

export interface WalkTuning {
  /** Digests read ahead of the one being checked (0: none). Worth it where each read is a round trip. */
  readonly readAhead: number;
}

export class DigestWalker {
  private readonly listings = new Map<string, Listing>();
  protected readonly matches: (key: string) => boolean;

  constructor(
    protected readonly o: WalkOptions,
    protected readonly tuning: WalkTuning = { readAhead: 0 },
  ) {
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

  protected async standardLookup(): Promise<KeyLookup> {
    const { start, end } = this.o;
    const until = end + 2 * MICROS_PER_HOUR;
    const records = await this.o.keys.list(start, until);
    if (records.length === 0) {
      throw new TrailproofError('keys', `No public keys found between ${formatDisplay(start)} and ${formatDisplay(until)}`);
    }
    const keys = new Map(records.map((r) => [r.fingerprint, r]));
    return async (fingerprint) => keys.get(fingerprint);
  }

  protected backfillLookup(): KeyLookup {
    const known = new Map<string, PublicKeyRecord>();
    return async (fingerprint, metadata) => {
      const hit = known.get(fingerprint);
      if (hit) return hit;
      const stamp = parseJsonTime(metadata['backfill-generation-timestamp']).clock;
      const from = stamp - MICROS_PER_HOUR;
      const to = stamp + MICROS_PER_HOUR;
      const records = await this.o.keys.list(from, to);
      if (records.length === 0) throw new DigestFieldError(`No public keys found between ${formatDisplay(from)} and ${formatDisplay(to)}`);
      for (const r of records) known.set(r.fingerprint, r);
      return known.get(fingerprint);
    };
  }

  /** Reads one digest and judges it (§3 steps 1-9). */
  protected async verdict(place: DigestPlace, lookup: KeyLookup, preread: PrereadDigest | undefined): Promise<DigestVerdict> {
    const loaded = await loadDigestBytes(this.o.store, place.bucket, place.key, preread);
    if (!loaded) return { kind: 'missing' };
    const first = beforeKey(loaded.raw, loaded.metadata, place);
    if (first.kind !== 'need-key') return first;
    let record: PublicKeyRecord | undefined;
    try {
      record = typeof first.fingerprint === 'string' ? await lookup(first.fingerprint, loaded.metadata) : undefined;
    } catch (err) {
      if (err instanceof DigestFieldError) return { kind: 'invalid', reason: err.message };
      throw err;
    }
    const verdict = withKey(first, record && (() => record.load()), loaded.metadata, place);
    return verdict.kind === 'valid' && loaded.trailing ? { ...verdict, trailing: true } : verdict;
  }

  async *walk(backfill: boolean): AsyncGenerator<ChainEvent> {
    const { start, end, scope } = this.o;
    const initial = await this.listing(this.o.bucket, start, end);
    const lookup = backfill ? this.backfillLookup() : await this.standardLookup();
    const readAhead = this.tuning.readAhead > 0 ? new DigestReadAhead(this.o.store, this.tuning.readAhead) : undefined;
    let state = startChain({ backfill, start, bucket: this.o.bucket, listed: backfill ? initial.backfill : initial.standard });
    for (;;) {
      if (state.relist) {
        const listing = await this.listing(state.relist.bucket, start, state.relist.end);
        state = withListing(state, backfill ? listing.backfill : listing.standard);
      }
      const next = wanted(state);
      if (!next) return;
      const preread = readAhead?.take(next.bucket, next.key);
      readAhead?.ahead(next.bucket, state.listed.slice(Math.max(0, state.remaining - this.tuning.readAhead), state.remaining).reverse());
      const place = { bucket: next.bucket, key: next.key, backfill, homeRegion: scope.homeRegion };
      const result = step(state, await this.verdict(place, lookup, preread), `Digest file s3://${next.bucket}/${next.key}`);
      state = result.state;
      yield* result.events;
    }
  }
}

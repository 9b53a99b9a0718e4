import type { ChainEvent } from '../chain/events.js';
import { listingPlan } from '../chain/listing.js';
import { startChain, step, wanted, type ChainState } from '../chain/machine.js';
import { DigestReadAhead } from '../store/digest-object.js';
import { DigestWalker, type Listing } from '../verifier/walk.js';
import { canonicalStamp, type Entry, type SegmentBounds } from './segments.js';

/**
 * One segment of a chain's digest walk (segments.ts): the walk's own driver loop
 * (verifier/walk.ts) over the pure chain machine, on the segment's slice of the listing, from the
 * entry it is given, until the walk leaves the segment. How it leaves is its exit, which the
 * coordinator matches with the next older segment's entry (join.ts):
 *
 * - `link`: the next digest to read is stamped before the segment (a previous-digest link);
 * - `fell`: the machine looked for an older listed key and the segment's slice has none: the walk
 *   goes on with the newest listed key of the older segments (and, after a digest with no previous
 *   one, reports a gap to it: `gap`);
 * - `done`: the walk is over (the requested start is reached).
 *
 * Anything the segmented walk could get differently from the whole walk throws Irregular (a key
 * stamped outside the segment, a link forward in time or to another bucket, a listing stop before
 * the newest segment); the coordinator then walks the chain in one piece.
 */
export type Exit =
  | { readonly kind: 'done' }
  | { readonly kind: 'link'; readonly key: string; readonly lastStart: number }
  | { readonly kind: 'fell'; readonly lastStart: number; readonly gap: boolean };

export class Irregular extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Irregular';
  }
}

export class SegmentWalker extends DigestWalker {
  private listed: Promise<Listing> | undefined;
  /** How each kind's walk left the segment (set when its walk ends without an error). */
  readonly exits: { standard?: Exit; backfill?: Exit } = {};

  constructor(
    o: ConstructorParameters<typeof DigestWalker>[0],
    tuning: ConstructorParameters<typeof DigestWalker>[1],
    private readonly bounds: SegmentBounds,
    private readonly entries: { readonly standard: Entry | null; readonly backfill: Entry | null },
  ) {
    super(o, tuning);
  }

  /** The segment's slice of the walk's listing (once; shared by both kinds). Throws Irregular. */
  segmentListing(): Promise<Listing> {
    this.listed ??= this.list();
    return this.listed;
  }

  private async list(): Promise<Listing> {
    const { from, to, after, before } = this.bounds;
    const plan = listingPlan(this.o.scope, this.o.start, this.o.end, this.matches);
    const out: Listing = { standard: [], backfill: [] };
    for await (const key of this.o.store.list(this.o.bucket, { prefix: plan.prefix, startAfter: after })) {
      // `before` is ASCII: UTF-16 order and S3's UTF-8 byte order agree on which side of it a key is.
      if (before !== null && key >= before) break;
      const kind = plan.select(key);
      if (kind === 'skip') continue;
      if (kind === 'stop') {
        if (before !== null) throw new Irregular(`the listing stops at ${key}, before the newest segment`);
        break;
      }
      const at = canonicalStamp(key);
      if (at === undefined || (from !== null && at < from) || (to !== null && at >= to)) throw new Irregular(`digest key ${key} lies outside its segment`);
      out[kind].push(key);
    }
    return out;
  }

  /** The newest listed key of a kind in this segment, or null. */
  async newest(backfill: boolean): Promise<string | null> {
    const l = await this.segmentListing();
    const list = backfill ? l.backfill : l.standard;
    return list[list.length - 1] ?? null;
  }

  override async *walk(backfill: boolean): AsyncGenerator<ChainEvent> {
    const entry = backfill ? this.entries.backfill : this.entries.standard;
    if (!entry) return;
    const listing = await this.segmentListing();
    const listed = backfill ? listing.backfill : listing.standard;
    const lookup = backfill ? this.backfillLookup() : await this.standardLookup();
    const { scope } = this.o;
    const { from, to } = this.bounds;
    const readAhead = this.tuning.readAhead > 0 ? new DigestReadAhead(this.o.store, this.tuning.readAhead) : undefined;
    let state = this.initial(entry, backfill, listed);
    let gap = false;
    const exit = (e: Exit): void => void (this.exits[backfill ? 'backfill' : 'standard'] = e);
    for (;;) {
      if (state.relist) throw new Irregular(`a previous-digest link leads to bucket ${state.relist.bucket}`);
      const next = wanted(state);
      if (!next) return exit(state.key === undefined ? { kind: 'fell', lastStart: state.lastStart, gap } : { kind: 'done' });
      const at = canonicalStamp(next.key);
      if (at === undefined) throw new Irregular(`the walk reads ${next.key}, whose stamp is not canonical`);
      if (to !== null && at >= to) throw new Irregular(`the walk reads ${next.key}, stamped after its segment`);
      if (from !== null && at < from) return exit({ kind: 'link', key: next.key, lastStart: state.lastStart });
      const preread = readAhead?.take(next.bucket, next.key);
      readAhead?.ahead(next.bucket, state.listed.slice(Math.max(0, state.remaining - this.tuning.readAhead), state.remaining).reverse());
      const place = { bucket: next.bucket, key: next.key, backfill, homeRegion: scope.homeRegion };
      const result = step(state, await this.verdict(place, lookup, preread), `Digest file s3://${next.bucket}/${next.key}`);
      state = result.state;
      // A digest with no previous one whose older listed key is not in this segment: the gap to it is the join's.
      gap = result.events[0]?.kind === 'valid';
      yield* result.events;
    }
  }

  private initial(entry: Entry, backfill: boolean, listed: readonly string[]): ChainState {
    const { start, bucket } = this.o;
    if (entry.kind === 'start') return startChain({ backfill, start, bucket, listed });
    if (entry.kind === 'link') {
      const key = listed[listed.length - 1];
      // Linked into from the newer segment: its newest key is read, and no listed key was taken yet.
      if (key === undefined) return { ...startChain({ backfill, start, bucket, listed }), key: undefined };
      return startChain({ backfill, start, bucket, listed, head: { key, lastStart: start } });
    }
    const state = startChain({ backfill, start, bucket, listed, head: { key: entry.key, lastStart: entry.lastStart } });
    if (entry.bound === null) return state;
    const at = listed.indexOf(entry.bound);
    if (at < 0) throw new Irregular(`the listing no longer holds ${entry.bound}`);
    return { ...state, remaining: at };
  }
}

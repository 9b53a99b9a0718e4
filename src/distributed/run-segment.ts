import type { ChainEvent } from '../chain/events.js';
import type { DigestScope } from '../format/names.js';
import type { PublicKeySource } from '../keys/types.js';
import type { ObjectStore } from '../store/types.js';
import { createLogChecker, type LogChecker, type LogResult } from '../verifier/log-check.js';
import type { ReportEvent, ReportSink } from '../verifier/types.js';
import { fatalEvent, runValidation } from '../verifier/validate.js';
import { DigestWalker } from '../verifier/walk.js';
import { Irregular, SegmentWalker, type Exit } from './segment-walk.js';
import {
  entryFromWire,
  isStopWire,
  isValidItem,
  type EndWire,
  type ItemWire,
  type LogWire,
  type PartWire,
  type SegmentJob,
  type SegmentResult,
} from './wire.js';

/**
 * A worker's side of one job: the segment (or whole chain) walked by the validate-logs core, with
 * every chain event and every log result recorded in walk order, for the coordinator to replay.
 */
export interface SegmentContext {
  readonly store: ObjectStore;
  readonly keys: PublicKeySource;
  readonly bucket: string;
  readonly end: number;
  readonly concurrency: number;
  readonly readAhead: number;
}

export function scopeOf(job: SegmentJob): DigestScope {
  const s = job.scope;
  return {
    prefix: s.prefix ?? undefined,
    organizationId: s.organizationId ?? undefined,
    account: s.account,
    sourceRegion: s.sourceRegion,
    homeRegion: s.homeRegion,
    trailName: s.trailName,
  };
}

const messageOf = (err: unknown): string => {
  const e = fatalEvent(err);
  return e.type === 'fatal' ? e.message : String(err);
};

export async function runSegment(job: SegmentJob, ctx: SegmentContext): Promise<SegmentResult> {
  const walkOptions = { store: ctx.store, scope: scopeOf(job), bucket: ctx.bucket, start: job.start, end: ctx.end, keys: ctx.keys };
  const tuning = { readAhead: ctx.readAhead };
  if (job.seg === null) {
    // The whole chain, exactly as a local audit walks it: standard, then backfill unless it stopped.
    const walker = new DigestWalker(walkOptions, tuning);
    const standard = await recordPart(ctx, job, (b) => (b ? empty() : walker.walk(false)));
    const stopped = standard.end[0] === 'fatal';
    const backfill = stopped ? null : await recordPart(ctx, job, (b) => (b ? walker.walk(true) : empty()));
    return { v: 1, listing: null, standard: { ...standard, last: null }, backfill: backfill && { ...backfill, last: null } };
  }
  const seg = job.seg;
  const entries = { standard: seg.standard && entryFromWire(seg.standard), backfill: seg.backfill && entryFromWire(seg.backfill) };
  const walker = new SegmentWalker(walkOptions, tuning, seg, entries);
  try {
    await walker.segmentListing();
  } catch (err) {
    const listing = err instanceof Irregular ? (['irregular', err.message] as const) : (['fatal', messageOf(err)] as const);
    return { v: 1, listing, standard: null, backfill: null };
  }
  const part = async (backfill: boolean): Promise<PartWire | null> => {
    if (!(backfill ? entries.backfill : entries.standard)) return null;
    let irregular: string | null = null;
    async function* guarded(): AsyncGenerator<ChainEvent> {
      try {
        yield* walker.walk(backfill);
      } catch (err) {
        if (!(err instanceof Irregular)) throw err;
        irregular = err.message;
      }
    }
    const recorded = await recordPart(ctx, job, (b) => (b === backfill ? guarded() : empty()));
    const exit = walker.exits[backfill ? 'backfill' : 'standard'];
    const end: EndWire =
      irregular !== null
        ? ['irregular', irregular]
        : recorded.end[0] === 'fatal'
          ? recorded.end
          : exit
            ? exitWire(exit)
            : ['irregular', 'the walk gave no exit'];
    return { last: await walker.newest(backfill), items: recorded.items, end };
  };
  return { v: 1, listing: null, standard: await part(false), backfill: await part(true) };
}

function exitWire(e: Exit): EndWire {
  if (e.kind === 'done') return ['done'];
  if (e.kind === 'link') return ['link', e.key, e.lastStart];
  return ['fell', e.lastStart, e.gap];
}

async function* empty(): AsyncGenerator<ChainEvent> {}

interface Recorded {
  items: ItemWire[];
  end: EndWire;
}

/**
 * One runValidation over `walk`, recording its chain events and log results. The core calls the
 * log checker for a digest's batches after it saw the digest's event and before the next one's, so
 * each batch's results belong to the newest valid digest seen; a batch keeps its place however
 * batches finish. Events walked ahead of what stopped the run are dropped, as the report drops them.
 */
async function recordPart(ctx: SegmentContext, job: SegmentJob, walk: (backfill: boolean) => AsyncIterable<ChainEvent>): Promise<Recorded> {
  const items: Array<{ wire: ItemWire; batches: Array<LogWire[] | undefined> | null }> = [];
  let current: (typeof items)[number] | undefined;
  const real = createLogChecker(ctx.store);
  const checker: LogChecker = {
    batch: real.batch,
    check: async (reqs) => {
      const target = current;
      if (!target?.batches) throw new Error('log check outside a valid digest');
      const slot = target.batches.push(undefined) - 1;
      const out: LogResult[] = await real.check(reqs);
      target.batches[slot] = out.map((r): LogWire => ('fatal' in r ? ['f', messageOf(r.fatal)] : r.valid ? (r.truncated ? ['t'] : true) : r.reason));
      return out;
    },
  };
  let reported = 0;
  let fatal: string | null = null;
  const sink: ReportSink = {
    header: () => undefined,
    event: (e: ReportEvent) => {
      if (e.type === 'digest' || e.type === 'gap') reported++;
      else if (e.type === 'fatal' && fatal === null) fatal = e.message;
    },
    summary: () => undefined,
  };
  await runValidation(
    {
      store: ctx.store,
      keys: ctx.keys,
      scope: scopeOf(job),
      bucket: ctx.bucket,
      start: job.start,
      end: ctx.end,
      concurrency: ctx.concurrency,
      readAhead: ctx.readAhead,
      walk,
      logChecker: checker,
      onChainEvent: (e) => {
        const wire = itemWire(e);
        current = { wire, batches: e.kind === 'valid' ? [] : null };
        items.push(current);
      },
    },
    sink,
  );
  const kept = items.slice(0, reported);
  const flat = kept.map(({ wire, batches }): ItemWire => {
    if (!isValidItem(wire)) return wire;
    const logs = (batches ?? []).flatMap((b) => b ?? []);
    const stop = logs.findIndex(isStopWire);
    return [...wire.slice(0, 6), stop >= 0 ? logs.slice(0, stop + 1) : logs] as unknown as ItemWire;
  });
  if (fatal === null) return { items: flat, end: ['done'] };
  const last = flat[flat.length - 1];
  const fromLogs = last !== undefined && isValidItem(last) && last[6].some(isStopWire);
  return { items: flat, end: ['fatal', fatal, fromLogs ? 'logs' : 'walk'] };
}

function itemWire(e: ChainEvent): ItemWire {
  if (e.kind === 'gap') return ['g', e.from, e.to];
  if (e.kind === 'invalid') return ['i', e.bucket, e.key, e.reason];
  return [e.trailing ? 'w' : 'v', e.bucket, e.key, e.digest.raw.toString('base64'), e.signature, e.algorithm, []];
}

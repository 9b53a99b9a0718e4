import type { PlannedChain, RemoteWalks } from '../audit/options.js';
import type { DigestScope } from '../format/names.js';
import type { ValidateOptions } from '../verifier/validate.js';
import { joinChain } from './join.js';
import { replay } from './replay.js';
import { planSegments, stableId, type Entry, type PlannedSegment } from './segments.js';
import { entryToWire, type ScopeWire, type SegmentJob, type SegmentResult, type SegmentWire } from './wire.js';

/**
 * The coordinator's side of a distributed audit (RemoteWalks, audit/options.ts), over any job
 * queue: every chain cut into segments (segments.ts), their jobs added in report order, a window of
 * `ahead` segments beyond the chains being joined, each chain joined (join.ts) and replayed
 * (replay.ts). A chain whose segments cannot be joined safely is walked whole by one worker.
 * Job ids are a hash of the job: the same run adds the same jobs, and the queue never holds two.
 */
export interface JobQueue {
  /** Adds jobs; an id the queue already holds is not added again (its result is kept). */
  add(jobs: ReadonlyArray<{ readonly id: string; readonly job: SegmentJob }>): Promise<void>;
  /** The job's result once done. Rejects (TrailproofError) when it failed for good or was lost. */
  result(id: string): Promise<SegmentResult>;
}

export interface CoordinatorOptions {
  readonly run: string;
  /** Segment length in hours (24: UTC days). */
  readonly segmentHours: number;
  /** Segments queued beyond the chains being joined. */
  readonly ahead: number;
}

interface ChainPlan {
  readonly scope: DigestScope;
  readonly start: number;
  readonly segments: readonly PlannedSegment[];
  readonly ids: readonly string[];
  added: boolean;
}

/** Counts, for the bench and the run's closing line. */
export interface CoordinatorStats {
  segments: number;
  reruns: number;
  wholeChains: number;
}

export class Coordinator implements RemoteWalks {
  private readonly chains = new Map<string, ChainPlan>();
  private readonly order: string[] = [];
  private nextToAdd = 0;
  private outstanding = 0;
  private readonly results = new Map<string, Promise<SegmentResult>>();
  readonly stats: CoordinatorStats = { segments: 0, reruns: 0, wholeChains: 0 };

  constructor(
    private readonly queue: JobQueue,
    private readonly o: CoordinatorOptions,
  ) {}

  async plan(chains: readonly PlannedChain[], end: number): Promise<void> {
    for (const c of chains) {
      const segments = planSegments(c.scope, c.start, end, c.newestStamp, this.o.segmentHours);
      const ids = segments.map((s) => this.jobId(this.job(c.scope, c.start, s.bounds, { kind: s.entry }, { kind: s.entry })));
      this.chains.set(c.id, { scope: c.scope, start: c.start, segments, ids, added: false });
      this.order.push(c.id);
      this.stats.segments += segments.length;
    }
    await this.pump();
  }

  async chain(id: string): Promise<Pick<ValidateOptions, 'walk' | 'logChecker'>> {
    const plan = this.chains.get(id);
    if (!plan) throw new Error(`chain ${id} was not planned`);
    if (!plan.added) await this.addChain(plan);
    const joined = await joinChain({
      segments: plan.segments,
      start: plan.start,
      result: (i) => this.take(plan.ids[i]!),
      rerun: async (i, backfill, entry) => {
        this.stats.reruns++;
        const s = plan.segments[i]!;
        return this.once(this.job(plan.scope, plan.start, s.bounds, backfill ? null : entry, backfill ? entry : null));
      },
    });
    for (const jobId of plan.ids) this.results.delete(jobId);
    this.outstanding -= plan.ids.length;
    this.chains.delete(id);
    void this.pump().catch(() => undefined);
    if (joined.kind === 'joined') return replay(joined);
    // Segments that cannot be joined safely (segment-walk.ts): the chain in one walk, as locally.
    this.stats.wholeChains++;
    const whole = await this.once({ v: 1, run: this.o.run, scope: scopeWire(plan.scope), start: plan.start, seg: null });
    if (!whole.standard) throw new Error('a whole-chain result lacks its walk');
    const part = (p: NonNullable<SegmentResult['standard']>) => ({
      items: p.items,
      fatal: p.end[0] === 'fatal' ? { message: p.end[1], from: p.end[2] } : null,
    });
    return replay({ kind: 'joined', standard: part(whole.standard), backfill: whole.backfill && part(whole.backfill) });
  }

  private job(scope: DigestScope, start: number, bounds: PlannedSegment['bounds'], standard: Entry | null, backfill: Entry | null): SegmentJob {
    const seg: SegmentWire = {
      ...bounds,
      standard: standard && entryToWire(standard),
      backfill: backfill && entryToWire(backfill),
    };
    return { v: 1, run: this.o.run, scope: scopeWire(scope), start, seg };
  }

  private jobId(job: SegmentJob): string {
    return `${this.o.run}-${stableId(job)}`;
  }

  /** One job outside the plan (a segment walked again, a whole chain): added, and its result. */
  private async once(job: SegmentJob): Promise<SegmentResult> {
    const id = this.jobId(job);
    const result = this.queue.result(id);
    result.catch(() => undefined);
    await this.queue.add([{ id, job }]);
    return result;
  }

  private take(id: string): Promise<SegmentResult> {
    const r = this.results.get(id);
    if (!r) throw new Error(`segment ${id} was not added`);
    return r;
  }

  /** Adds these chains' jobs in one call. */
  private async addChains(plans: readonly ChainPlan[]): Promise<void> {
    const jobs: Array<{ id: string; job: SegmentJob }> = [];
    for (const plan of plans) {
      plan.added = true;
      plan.segments.forEach((s, i) => jobs.push({ id: plan.ids[i]!, job: this.job(plan.scope, plan.start, s.bounds, { kind: s.entry }, { kind: s.entry }) }));
    }
    for (const { id } of jobs) {
      const r = this.queue.result(id);
      r.catch(() => undefined);
      this.results.set(id, r);
    }
    this.outstanding += jobs.length;
    await this.queue.add(jobs);
  }

  private addChain(plan: ChainPlan): Promise<void> {
    return this.addChains([plan]);
  }

  /** Adds the next chains' jobs, in batches, while fewer than `ahead` segments wait to be joined. */
  private async pump(): Promise<void> {
    while (this.nextToAdd < this.order.length && this.outstanding < this.o.ahead) {
      const batch: ChainPlan[] = [];
      let size = 0;
      while (this.nextToAdd < this.order.length && this.outstanding + size < this.o.ahead && size < ADD_BATCH) {
        const plan = this.chains.get(this.order[this.nextToAdd++]!);
        if (plan && !plan.added) {
          batch.push(plan);
          size += plan.ids.length;
        }
      }
      if (batch.length > 0) await this.addChains(batch);
    }
  }
}

/** Jobs added per call to the queue (one round trip for many segments). */
const ADD_BATCH = 1000;

export function scopeWire(s: DigestScope): ScopeWire {
  return {
    prefix: s.prefix || null,
    organizationId: s.organizationId ?? null,
    account: s.account,
    sourceRegion: s.sourceRegion,
    homeRegion: s.homeRegion,
    trailName: s.trailName,
  };
}

import type { JobQueue } from '../../src/distributed/coordinator.js';
import { runSegment, type SegmentContext } from '../../src/distributed/run-segment.js';
import { checkJob, checkResult, type SegmentJob, type SegmentResult } from '../../src/distributed/wire.js';

/**
 * The coordinator's JobQueue run in this process (no Redis): each job goes through the same
 * checks and the same worker code (runSegment) as through BullMQ, JSON in and out. For the join's
 * properties, where a Redis round trip per case would make the suite slow; the BullMQ path has
 * its own tests (test/distributed/queue.test.ts).
 */
export class InProcessQueue implements JobQueue {
  readonly added: string[] = [];
  private readonly done = new Map<string, Promise<SegmentResult>>();
  private readonly waiting = new Map<string, (r: Promise<SegmentResult>) => void>();

  constructor(private readonly ctx: SegmentContext) {}

  async add(jobs: ReadonlyArray<{ id: string; job: SegmentJob }>): Promise<void> {
    for (const { id, job } of jobs) {
      if (this.done.has(id)) continue;
      this.added.push(id);
      const data = checkJob(JSON.parse(JSON.stringify(job)), '');
      const r = runSegment(data, this.ctx).then((res) => checkResult(JSON.parse(JSON.stringify(res)), ''));
      this.done.set(id, r);
      this.waiting.get(id)?.(r);
      this.waiting.delete(id);
    }
  }

  result(id: string): Promise<SegmentResult> {
    return this.done.get(id) ?? new Promise((resolve) => this.waiting.set(id, (r) => resolve(r)));
  }
}

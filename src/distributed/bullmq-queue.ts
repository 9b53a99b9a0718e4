import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { TrailproofError } from '../errors.js';
import { jobDigest, type QueueKey } from './auth.js';
import type { JobQueue } from './coordinator.js';
import type { RedisTarget } from './redis-url.js';
import { openEnvelope, resultKey, type ResultsStore } from './results.js';
import { checkRunConfig, type RunConfig, type SegmentJob, type SegmentResult } from './wire.js';

/**
 * The coordinator's queue on BullMQ: jobs added with their ids (BullMQ adds an id only once),
 * results from the queue's event stream, and a sweep every `sweepMs` that (1) reads the state of
 * the longest-waiting jobs (an event the stream dropped, a run resumed after its jobs finished)
 * and (2) checks that Redis still holds the run: a Redis that lost it (restarted without
 * persistence) or stays unreachable longer than `unreachableMs` stops the run with a message,
 * never a wrong verdict. bullmq is imported here and in worker.ts only.
 */
export const QUEUE_NAME = 'audit';
export const QUEUE_PREFIX = 'trailproof';
export const runConfigKey = (run: string): string => `${QUEUE_PREFIX}:run:${run}`;
const runRecordKey = (params: string): string => `${QUEUE_PREFIX}:runs:${params}`;

export function connectionOf(t: RedisTarget): ConnectionOptions {
  return {
    host: t.host,
    port: t.port,
    db: t.db,
    ...(t.username !== undefined ? { username: t.username } : {}),
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** A plain client for the run's own keys (its record and settings). */
export function redisClient(t: RedisTarget): Redis {
  const client = new Redis({ ...(connectionOf(t) as object), lazyConnect: false });
  client.on('error', () => undefined);
  return client;
}

export interface BullQueueOptions {
  readonly target: RedisTarget;
  /** Seals the run settings and opens the workers' results (auth.ts). */
  readonly key: QueueKey;
  readonly results: ResultsStore | null;
  /** Finished jobs, and an unfinished run's record, are kept this long (a restarted coordinator resumes within it). */
  readonly keepSeconds: number;
  readonly attempts: number;
  readonly sweepMs: number;
  readonly unreachableMs: number;
}

interface Waiter {
  resolve(r: SegmentResult): void;
  reject(err: unknown): void;
}

/**
 * Redis refusing the URL's user or password (ioredis reconnects without end on it): a promise that
 * rejects with one line (Redis' reply names no password), and the 'error' listener that settles it.
 */
export function credentialsRefused(t: RedisTarget): { promise: Promise<never>; listener: (err: unknown) => void } {
  let reject: (err: TrailproofError) => void = () => undefined;
  const promise = new Promise<never>((_, r) => (reject = r));
  promise.catch(() => undefined);
  const listener = (err: unknown): void => {
    const text = err instanceof Error ? err.message : String(err);
    if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(text)) reject(new TrailproofError('storage', `Redis at ${t.display} refused the credentials: ${shown(text)}`));
  };
  return { promise, listener };
}

/** Text from a worker, shown in a message: one bounded line. */
const shown = (s: unknown): string =>
  String(s)
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .slice(0, 500);

export class BullJobQueue implements JobQueue {
  private readonly waiters = new Map<string, Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private run = '';
  private unreachableSince: number | null = null;
  private failure: TrailproofError | null = null;

  private constructor(
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly client: Redis,
    private readonly o: BullQueueOptions,
  ) {}

  static async open(o: BullQueueOptions): Promise<BullJobQueue> {
    const connection = connectionOf(o.target);
    const queue = new Queue(QUEUE_NAME, {
      connection,
      prefix: QUEUE_PREFIX,
      // Long enough that a busy coordinator does not miss completions (the sweep catches what it does miss).
      streams: { events: { maxLen: 200_000 } },
      defaultJobOptions: {
        attempts: o.attempts,
        backoff: { type: 'exponential', delay: 1000 },
        removeOnComplete: { age: o.keepSeconds },
        removeOnFail: { age: o.keepSeconds },
      },
    });
    const events = new QueueEvents(QUEUE_NAME, { connection, prefix: QUEUE_PREFIX });
    const refused = credentialsRefused(o.target);
    queue.on('error', refused.listener);
    events.on('error', refused.listener);
    try {
      await Promise.race([
        Promise.all([queue.waitUntilReady(), events.waitUntilReady()]),
        refused.promise,
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), o.unreachableMs).unref()),
      ]);
    } catch (err) {
      // Bounded: a connection that never became ready (refused credentials) can wait forever on close.
      await Promise.race([Promise.allSettled([queue.close(), events.close()]), new Promise((r) => setTimeout(r, 3000).unref())]);
      void Promise.allSettled([queue.disconnect(), events.disconnect()]);
      throw err instanceof TrailproofError ? err : new TrailproofError('storage', `Cannot reach Redis at ${o.target.display}`);
    }
    const q = new BullJobQueue(queue, events, redisClient(o.target), o);
    events.on('completed', ({ jobId, returnvalue }) => q.completed(jobId, returnvalue));
    events.on('failed', ({ jobId }) => void q.check([jobId]).catch(() => undefined));
    return q;
  }

  /**
   * The run's id: the same settings give the same run while it is unfinished (a restarted or a
   * second coordinator joins it: its jobs are not added twice), and a new one once it has finished.
   * A new run's id holds a random part: once a finished run's record has expired, its completed
   * jobs may still be in Redis (BullMQ removes them by age lazily), and a run id made from the
   * settings alone would name those jobs again, and their results, of the archive as it was then.
   */
  async startRun(params: string, config: Omit<RunConfig, 'run'>): Promise<{ run: string; resumed: boolean }> {
    const client = this.client;
    const record = await client.get(runRecordKey(params));
    let gen = 1;
    let resumed = false;
    let nonce = randomBytes(8).toString('hex');
    const m = record === null ? null : /^(\d{1,9}) (running|done) ([0-9a-f]{16})$/.exec(record);
    if (m) {
      gen = Number(m[1]) + (m[2] === 'done' ? 1 : 0);
      resumed = m[2] === 'running';
      if (resumed) nonce = m[3]!;
    }
    this.run = `${params.slice(0, 24)}-${gen}-${nonce}`;
    this.record = `${gen} running ${nonce}`;
    const full: RunConfig = checkRunConfig({ ...config, run: this.run }, '');
    await client.set(runConfigKey(this.run), this.o.key.seal('run settings', JSON.stringify(full), [this.run]), 'EX', this.o.keepSeconds);
    await client.set(runRecordKey(params), this.record, 'EX', this.o.keepSeconds);
    this.params = params;
    this.resumed = resumed;
    this.timer = setInterval(() => void this.sweep(), this.o.sweepMs);
    this.timer.unref();
    return { run: this.run, resumed };
  }

  private params = '';
  private resumed = false;
  /** jobDigest of each job added and not yet answered. */
  private readonly jobDigests = new Map<string, string>();
  private record = '';

  /** The run is over (complete or stopped): a later coordinator starts a new one. */
  async finishRun(): Promise<void> {
    const client = this.client;
    await client.set(runRecordKey(this.params), this.record.replace(' running ', ' done '), 'EX', this.o.keepSeconds);
  }

  async add(jobs: ReadonlyArray<{ readonly id: string; readonly job: SegmentJob }>): Promise<void> {
    if (jobs.length === 0) return;
    // Each result must be sealed for the job as made here: one changed in Redis is refused.
    for (const { id, job } of jobs) this.jobDigests.set(id, jobDigest(job));
    await this.queue.addBulk(jobs.map(({ id, job }) => ({ name: 'segment', data: job, opts: { jobId: id } })));
    // A resumed run: jobs done before this coordinator listened to the queue's events.
    if (this.resumed) await this.check(jobs.map((j) => j.id));
  }

  result(id: string): Promise<SegmentResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
  }

  /** Closes the connections; bounded, as a close can wait forever on a Redis that went away. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const closing = Promise.allSettled([this.events.close(), this.queue.close(), this.client.quit()]);
    await Promise.race([closing, new Promise((r) => setTimeout(r, 3000).unref())]);
    this.client.disconnect();
  }

  private completed(jobId: string, returnvalue: unknown): void {
    const w = this.waiters.get(jobId);
    if (!w) return;
    this.waiters.delete(jobId);
    if (typeof returnvalue !== 'string') return w.reject(new TrailproofError('internal', `segment job ${jobId} returned no result text`));
    const digest = this.jobDigests.get(jobId) ?? '';
    this.jobDigests.delete(jobId);
    let text: string;
    try {
      text = this.o.key.open('segment result', returnvalue, [this.run, jobId, digest]);
    } catch (err) {
      return w.reject(err);
    }
    openEnvelope(text, this.o.results, resultKey(this.run, jobId)).then(w.resolve, w.reject);
  }

  /** The jobs' states read from Redis: finished ones are settled, lost ones stop the run. */
  private async check(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      if (!this.waiters.has(id)) continue;
      const job = await this.queue.getJob(id);
      const w = this.waiters.get(id);
      if (!w) continue;
      if (!job) {
        this.fail(`the queue lost segment job ${id} (was Redis restarted without persistence?): run the audit again`);
        return;
      }
      if (job.finishedOn === undefined) continue;
      if (job.failedReason !== undefined && job.returnvalue === null && (await job.getState()) === 'failed') {
        this.waiters.delete(id);
        w.reject(new TrailproofError('storage', `segment job ${id} failed after ${job.attemptsMade} attempt(s): ${shown(job.failedReason)}`));
      } else if (typeof job.returnvalue === 'string') this.completed(id, job.returnvalue);
    }
  }

  private async sweep(): Promise<void> {
    try {
      const client = this.client;
      const alive = await Promise.race([
        client.exists(runConfigKey(this.run)),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), Math.max(1000, this.o.sweepMs)).unref()),
      ]);
      this.unreachableSince = null;
      if (alive === 0) return this.fail(`Redis at ${this.o.target.display} no longer holds this run (restarted without persistence?): run the audit again`);
      // The longest-waiting jobs first; each checked one goes to the back of the line.
      const ids = [...this.waiters.keys()].slice(0, 100);
      for (const id of ids) {
        const w = this.waiters.get(id)!;
        this.waiters.delete(id);
        this.waiters.set(id, w);
      }
      await this.check(ids);
    } catch {
      this.unreachableSince ??= Date.now();
      const seconds = Math.round((Date.now() - this.unreachableSince) / 1000);
      if (Date.now() - this.unreachableSince >= this.o.unreachableMs) this.fail(`Redis at ${this.o.target.display} has been unreachable for ${seconds} s`);
    }
  }

  private fail(message: string): void {
    this.failure ??= new TrailproofError('storage', message);
    for (const w of this.waiters.values()) w.reject(this.failure);
    this.waiters.clear();
  }
}

import { Worker } from 'bullmq';
import { TrailproofError } from '../errors.js';
import { parsePublicKeysJson } from '../keys/public-keys.js';
import { entriesSource } from '../keys/source.js';
import type { ObjectStore } from '../store/types.js';
import { jobDigest, type QueueKey } from './auth.js';
import { connectionOf, credentialsRefused, QUEUE_NAME, QUEUE_PREFIX, redisClient, runConfigKey } from './bullmq-queue.js';
import type { RedisTarget } from './redis-url.js';
import { envelopeFor, type ResultsStore } from './results.js';
import { runSegment, type SegmentContext } from './run-segment.js';
import { checkJob, parseRunConfig, type ResultsRef, type RunConfig, type StoreRef } from './wire.js';

/**
 * `trailproof worker`: takes segment jobs from the queue and walks them with the validate-logs core
 * (run-segment.ts). What a job needs comes with it and its run's settings (bucket, keys, window,
 * where the archive is); the worker brings its own access to the archive (credentials, the local
 * root's shared file system). A job's data and the run's settings are checked before use. A worker
 * killed in the middle of a job loses its lock; BullMQ's stalled-job check gives the job to another
 * worker, and the dead worker's work is never counted (it never completed).
 */
export interface WorkerOptions {
  readonly target: RedisTarget;
  readonly jobsAtOnce: number;
  /** Log files in flight per job. */
  readonly concurrency: (store: StoreRef) => number;
  readonly readAhead: (store: StoreRef) => number;
  readonly lockMs: number;
  readonly stalledMs: number;
  readonly maxStalled: number;
  /** The run's store; with an inventory, one whose listings of `bucket` come from it (RunConfig.inventory). */
  readonly openStore: (store: StoreRef, inventory: readonly [string, string] | null, bucket: string) => Promise<ObjectStore>;
  readonly openResults: (results: ResultsRef) => Promise<ResultsStore>;
  /** One line per job taken and done (`--log-jobs`). */
  readonly log?: ((line: string) => void) | undefined;
  /** Opens the run settings and seals the results (auth.ts): the coordinator's own key. */
  readonly key: QueueKey;
  /** Resolves when the worker must stop: it then stops waiting for Redis at start too. */
  readonly stop?: Promise<void> | undefined;
}

interface RunContext {
  readonly config: RunConfig;
  readonly ctx: SegmentContext;
  readonly results: ResultsStore | null;
}

export interface RunningWorker {
  close(): Promise<void>;
}

export async function startWorker(o: WorkerOptions): Promise<RunningWorker> {
  const runs = new Map<string, Promise<RunContext>>();
  const client = redisClient(o.target);
  const load = async (run: string): Promise<RunContext> => {
    const text = await client.get(runConfigKey(run));
    if (text === null) throw new TrailproofError('input', `run ${run} has no settings in the queue (finished, or Redis lost it)`);
    const config = parseRunConfig(o.key.open('run settings', text, [run]));
    if (config.run !== run) throw new TrailproofError('input', `run ${run}'s settings name run ${config.run}`);
    const keys = entriesSource(parsePublicKeysJson(config.keys, `run ${run}'s public keys`));
    const store = await o.openStore(config.store, config.inventory, config.bucket);
    const results = config.results ? await o.openResults(config.results) : null;
    const ctx: SegmentContext = {
      store,
      keys,
      bucket: config.bucket,
      end: config.end,
      concurrency: o.concurrency(config.store),
      readAhead: o.readAhead(config.store),
    };
    return { config, ctx, results };
  };
  const context = (run: string): Promise<RunContext> => {
    let p = runs.get(run);
    if (!p) {
      p = load(run);
      // A failed load is tried again by the next job (Redis may have been briefly away).
      p.catch(() => runs.delete(run));
      runs.set(run, p);
    }
    return p;
  };

  const worker: Worker = new Worker(
    QUEUE_NAME,
    async (job) => {
      const began = Date.now();
      o.log?.(`took ${job.id}`);
      const data = checkJob(job.data, 'job');
      const { config, ctx, results } = await context(data.run);
      const result = await runSegment(data, ctx);
      const out = await envelopeFor(result, { run: config.run, job: String(job.id), inlineMax: config.inlineMax, results });
      o.log?.(`done ${job.id} ${Date.now() - began} ms`);
      return o.key.seal('segment result', out, [config.run, String(job.id), jobDigest(job.data)]);
    },
    {
      connection: connectionOf(o.target),
      prefix: QUEUE_PREFIX,
      concurrency: o.jobsAtOnce,
      lockDuration: o.lockMs,
      stalledInterval: o.stalledMs,
      maxStalledCount: o.maxStalled,
      autorun: true,
    },
  );
  const refused = credentialsRefused(o.target);
  worker.on('error', refused.listener);
  client.on('error', refused.listener);
  // Bounded: a connection that never became ready can wait forever on close.
  const abandon = async (): Promise<void> => {
    await Promise.race([worker.close(true), new Promise((r) => setTimeout(r, 3000).unref())]);
    client.disconnect();
    void worker.disconnect().catch(() => undefined);
  };
  let ready: 'ready' | 'stop';
  try {
    ready = await Promise.race([
      worker.waitUntilReady().then(() => 'ready' as const),
      refused.promise,
      ...(o.stop ? [o.stop.then(() => 'stop' as const)] : []),
    ]);
  } catch (err) {
    await abandon();
    throw err;
  }
  // Stopped before Redis ever answered: nothing in hand.
  if (ready === 'stop') {
    await abandon();
    return { close: async () => undefined };
  }
  return {
    // The jobs in hand finish first; bounded, as a close can wait forever on a Redis that went away.
    close: async () => {
      await Promise.race([worker.close(), new Promise((r) => setTimeout(r, 60_000).unref())]);
      // Not quit(): on a Redis that went away it waits for a reconnection that may never come.
      client.disconnect();
    },
  };
}

import { availableParallelism } from 'node:os';
import { setZlibEngineReuse } from '../crypto/gzip-sync.js';
import { LogWorkerPool } from '../store/workers/pool.js';

/**
 * How hard a run works, decided here in cli/ (the layers below take it as options, never read the
 * machine themselves).
 */

/**
 * Log files in flight by default. Local files: deep queues keep every log worker busy (a task is
 * a few bytes; memory stays flat). S3: requests at once, enough to hide each request's latency.
 */
export function defaultConcurrency(local: boolean): number {
  return local ? 512 : Math.max(128, availableParallelism() * 16);
}

/**
 * Digests read ahead of the one being checked: on S3 each read is a round trip on the walk's
 * critical path; local reads are direct and cheap.
 */
export function digestReadAhead(local: boolean): number {
  return local ? 0 : 8;
}

/**
 * The local store's log workers, one thread per core, started now (their start-up overlaps the
 * first listing); undefined where the compiled workers are not there (running from sources).
 */
export function startLogWorkers(threads = availableParallelism()): LogWorkerPool | undefined {
  if (!LogWorkerPool.available()) return undefined;
  const pool = new LogWorkerPool(threads, configureZlib());
  pool.start();
  return pool;
}

/**
 * zlib's non-public engine handle (crypto/gzip-sync.ts MemberInflater) is used unless
 * TRAILPROOF_ZLIB_PUBLIC_API=1: the switch for a runtime whose zlib internals differ in a way the
 * self-test does not catch.
 */
export function zlibEngineReuse(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.TRAILPROOF_ZLIB_PUBLIC_API !== '1';
}

/** Sets the switch for this thread (logs read in-process, e.g. on S3); returns it for the workers. */
export function configureZlib(): boolean {
  const reuse = zlibEngineReuse();
  setZlibEngineReuse(reuse);
  return reuse;
}

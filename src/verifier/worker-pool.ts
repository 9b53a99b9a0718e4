import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LocalLocation } from '../store/local-paths.js';
import { fromWire, type LogTask, type LogTaskResult, type WireResult, type WireTask } from './log-wire.js';

/**
 * Log workers, one per core, started on first use (an empty run never pays for them). The
 * caller bounds the tasks in flight; each worker works through its own queue.
 */
function workerUrl(): URL {
  const here = new URL('./log-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  // Running from TypeScript sources (tests): use the built worker.
  return new URL('../../dist/verifier/log-worker.js', import.meta.url);
}

/**
 * Tasks are sent in batches: everything asked for in one turn of the event loop goes to the least
 * busy workers in one message each, and each worker answers a batch with one message, so the main
 * thread's cost per file stays small whatever the number of files.
 */
export class LogWorkerPool {
  private workers: Array<{ worker: Worker; pending: number; batch: LogTask[] }> = [];
  private readonly waiting = new Map<number, { done: (r: LogTaskResult) => void; fail: (e: Error) => void; slot: number }>();
  private nextId = 1;
  private closed = false;
  private flushScheduled = false;

  constructor(readonly size: number = availableParallelism()) {}

  /** Starts the workers now (their start-up then overlaps the walk's own). */
  start(): void {
    if (this.workers.length > 0 || this.closed) return;
    const url = workerUrl();
    for (let i = 0; i < Math.max(1, this.size); i++) {
      // Small heaps: each task's buffers are garbage a moment later; frequent young collections keep RSS flat.
      const worker = new Worker(url, { resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 } });
      worker.unref();
      const slot = i;
      worker.on('message', (text: string) => {
        for (const wire of JSON.parse(text) as WireResult[]) {
          const r = fromWire(wire);
          const w = this.waiting.get(r.id);
          if (!w) continue;
          this.waiting.delete(r.id);
          this.workers[slot]!.pending--;
          w.done(r);
        }
      });
      worker.on('error', (err) => this.fail(slot, err));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(slot, new Error(`log worker exited with code ${code}`));
      });
      this.workers.push({ worker, pending: 0, batch: [] });
    }
  }

  private fail(slot: number, err: Error): void {
    for (const [id, w] of this.waiting) {
      if (w.slot === slot) {
        this.waiting.delete(id);
        w.fail(err);
      }
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const w of this.workers) {
      if (w.batch.length === 0) continue;
      w.worker.postMessage(JSON.stringify(w.batch.map((t): WireTask => [t.id, t.scanEventTimes ? 1 : 0, t.location.bucketReal, t.location.key])));
      w.batch = [];
    }
  }

  private submit(location: LocalLocation, scanEventTimes: boolean, done: (r: LogTaskResult) => void, fail: (e: Error) => void): void {
    let slot = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i]!.pending < this.workers[slot]!.pending) slot = i;
    const id = this.nextId++;
    const w = this.workers[slot]!;
    this.waiting.set(id, { done, fail, slot });
    w.pending++;
    w.batch.push({ id, location, scanEventTimes });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  run(location: LocalLocation, scanEventTimes: boolean): Promise<LogTaskResult> {
    return this.runMany([location], scanEventTimes).then((r) => r[0]!);
  }

  /** Many files at once, spread over the workers; one promise for all (in the given order). */
  runMany(locations: readonly LocalLocation[], scanEventTimes: boolean): Promise<LogTaskResult[]> {
    if (this.closed) return Promise.reject(new Error('log worker pool is closed'));
    this.start();
    return new Promise<LogTaskResult[]>((resolve, reject) => {
      const results = new Array<LogTaskResult>(locations.length);
      let left = locations.length;
      if (left === 0) resolve(results);
      let failed = false;
      locations.forEach((location, i) =>
        this.submit(
          location,
          scanEventTimes,
          (r) => {
            results[i] = r;
            if (--left === 0 && !failed) resolve(results);
          },
          (e) => {
            if (!failed) reject(e);
            failed = true;
          },
        ),
      );
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers = [];
  }
}

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StoreError } from '../errors.js';
import type { LogObjectRead } from '../types.js';
import { fromWire, type WireResult, type WireTask } from './wire.js';

/**
 * The local store's log workers (worker.ts), `size` threads started on first use (an empty run
 * never pays for them). The caller bounds the tasks in flight; each worker works through its own
 * queue. Tasks are sent in batches: everything asked for in one turn of the event loop (or the
 * first SEND_AT tasks of it) goes to the least busy workers in one message each, and each worker
 * answers a batch with one message, so the main thread's cost per file stays small whatever the
 * number of files.
 *
 * The workers run the compiled worker.js next to this file: there is none when running from the
 * TypeScript sources (tests), and `available()` says so; the local store then reads in-process.
 */
const WORKER_URL = new URL('./worker.js', import.meta.url);
/**
 * A worker with this many tasks sent and not yet answered has work enough: new tasks wait in its
 * batch (up to MAX_BATCH) and go with its next answer, so that many small requests (a digest's few
 * logs) travel in few messages.
 */
const BUSY_ENOUGH = 64;
const MAX_BATCH = 256;
/**
 * A batch this large goes at once, without waiting for the event loop to turn: a walk that runs
 * long in promise callbacks (blocking reads, signature checks) would otherwise leave the workers
 * idle until it stops, and the workers would take turns with it instead of running beside it.
 */
const SEND_AT = 32;

interface Task {
  readonly id: number;
  readonly bucketReal: string;
  readonly key: string;
  readonly eventTimes: boolean;
}

export class LogWorkerPool {
  private workers: Array<{ worker: Worker; pending: number; batch: Task[] }> = [];
  private readonly waiting = new Map<number, { done: (r: LogObjectRead) => void; fail: (e: Error) => void; slot: number }>();
  private nextId = 1;
  private closed = false;
  private flushScheduled = false;

  constructor(
    readonly size: number,
    /** crypto/gzip-sync.ts setZlibEngineReuse, in each worker. */
    private readonly zlibEngineReuse = true,
  ) {}

  static available(): boolean {
    return existsSync(fileURLToPath(WORKER_URL));
  }

  /** Starts the workers now (their start-up then overlaps the walk's own). */
  start(): void {
    if (this.workers.length > 0 || this.closed) return;
    for (let i = 0; i < Math.max(1, this.size); i++) {
      // Small heaps: each task's buffers are garbage a moment later; frequent young collections keep RSS flat.
      const worker = new Worker(WORKER_URL, {
        workerData: { zlibEngineReuse: this.zlibEngineReuse },
        resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 48 },
      });
      worker.unref();
      const slot = i;
      worker.on('message', (text: string) => {
        for (const wire of JSON.parse(text) as WireResult[]) {
          const { id, result, failure } = fromWire(wire);
          const w = this.waiting.get(id);
          if (!w) continue;
          this.waiting.delete(id);
          this.workers[slot]!.pending--;
          // A file that is there but cannot be read: fail closed, the run stops with its message.
          w.done(failure === undefined ? result : { kind: 'failed', error: new StoreError('Other', failure) });
        }
        this.send(this.workers[slot]!, false);
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
    for (const w of this.workers) this.send(w, false);
  }

  /** Sends a worker its batch, unless it is busy enough and the batch still small (`force` aside). */
  private send(w: { worker: Worker; pending: number; batch: Task[] }, force: boolean): void {
    if (w.batch.length === 0) return;
    const inFlight = w.pending - w.batch.length;
    if (!force && inFlight >= BUSY_ENOUGH && w.batch.length < MAX_BATCH) return;
    w.worker.postMessage(JSON.stringify(w.batch.map((t): WireTask => [t.id, t.eventTimes ? 1 : 0, t.bucketReal, t.key])));
    w.batch = [];
  }

  private submit(bucketReal: string, key: string, eventTimes: boolean, done: (r: LogObjectRead) => void, fail: (e: Error) => void): void {
    let slot = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i]!.pending < this.workers[slot]!.pending) slot = i;
    const id = this.nextId++;
    const w = this.workers[slot]!;
    this.waiting.set(id, { done, fail, slot });
    w.pending++;
    w.batch.push({ id, bucketReal, key, eventTimes });
    if (w.batch.length >= SEND_AT) {
      this.send(w, true);
      return;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Many files at once, spread over the workers; one promise for all (in the given order). */
  read(files: ReadonlyArray<{ readonly bucketReal: string; readonly key: string }>, eventTimes: boolean): Promise<LogObjectRead[]> {
    if (this.closed) return Promise.reject(new Error('log worker pool is closed'));
    this.start();
    return new Promise<LogObjectRead[]>((resolve, reject) => {
      const results = new Array<LogObjectRead>(files.length);
      let left = files.length;
      if (left === 0) resolve(results);
      let failed = false;
      files.forEach((file, i) =>
        this.submit(
          file.bucketReal,
          file.key,
          eventTimes,
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

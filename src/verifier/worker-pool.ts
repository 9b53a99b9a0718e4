import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LocalLocation } from '../store/local.js';
import type { LogTask, LogTaskResult } from './log-worker.js';

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

export class LogWorkerPool {
  private workers: Array<{ worker: Worker; pending: number }> = [];
  private readonly waiting = new Map<number, { resolve: (r: LogTaskResult) => void; reject: (e: Error) => void; slot: number }>();
  private nextId = 1;
  private closed = false;

  constructor(readonly size: number = availableParallelism()) {}

  private start(): void {
    const url = workerUrl();
    for (let i = 0; i < Math.max(1, this.size); i++) {
      const worker = new Worker(url);
      worker.unref();
      const slot = i;
      worker.on('message', (r: LogTaskResult) => {
        const w = this.waiting.get(r.id);
        if (!w) return;
        this.waiting.delete(r.id);
        this.workers[slot]!.pending--;
        w.resolve(r);
      });
      worker.on('error', (err) => this.fail(slot, err));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(slot, new Error(`log worker exited with code ${code}`));
      });
      this.workers.push({ worker, pending: 0 });
    }
  }

  private fail(slot: number, err: Error): void {
    for (const [id, w] of this.waiting) {
      if (w.slot === slot) {
        this.waiting.delete(id);
        w.reject(err);
      }
    }
  }

  run(location: LocalLocation, scanEventTimes: boolean): Promise<LogTaskResult> {
    if (this.closed) return Promise.reject(new Error('log worker pool is closed'));
    if (this.workers.length === 0) this.start();
    let slot = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.workers[i]!.pending < this.workers[slot]!.pending) slot = i;
    const id = this.nextId++;
    const task: LogTask = { id, location, scanEventTimes };
    return new Promise<LogTaskResult>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, slot });
      this.workers[slot]!.pending++;
      this.workers[slot]!.worker.postMessage(task);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    this.workers = [];
  }
}

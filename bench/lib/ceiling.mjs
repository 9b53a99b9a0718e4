// Runs the ceiling workers (bench/lib/ceiling-worker.mjs): one per core unless told otherwise.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const WORKER = new URL('./ceiling-worker.mjs', import.meta.url);

/**
 * Starts `threads` workers, waits until all are ready, then times from 'go' to the last 'done'.
 * Resolves with { ms, cpuMs (user + system of the whole process: the workers), bytes, count,
 * hashes: string[] (by file index, mode 'files') }.
 */
export async function runCeiling({ threads = availableParallelism(), files, gz, durationMs }) {
  const counter = new SharedArrayBuffer(4);
  const workerData = files ? { mode: 'files', files, counter } : { mode: 'buffer', gz, durationMs };
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { workerData }));
  try {
    await Promise.all(workers.map((w) => once(w, 'ready')));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const done = workers.map((w) => once(w, 'done'));
    for (const w of workers) w.postMessage('go');
    const results = await Promise.all(done);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const hashes = files ? new Array(files.length) : [];
    let bytes = 0;
    let count = 0;
    for (const r of results) {
      bytes += r.bytes;
      count += r.count;
      for (let i = 0; i < r.hashes.length; i += 2) hashes[r.hashes[i]] = r.hashes[i + 1];
    }
    // In 'buffer' mode each worker ran for durationMs: the wall time is the slowest worker's.
    return { ms: files ? ms : Math.max(...results.map((r) => r.ms)), cpuMs, bytes, count, hashes };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

function once(worker, type) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m.type === type) {
        cleanup();
        resolve(m);
      }
    };
    const onError = (err) => {
      cleanup();
      reject(err);
    };
    const onExit = (code) => {
      cleanup();
      reject(new Error(`ceiling worker exited (${code}) before '${type}'`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

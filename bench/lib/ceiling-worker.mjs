// One worker of the ceiling: read, gunzip, SHA-256, nothing else (bench/run.mjs, bench/primitives.mjs).
//   mode 'files':  takes file indexes from a shared counter until the list is exhausted; returns the
//                  uncompressed bytes and each file's hex SHA-256 (checked against the digests afterwards,
//                  outside the timed part).
//   mode 'buffer': gunzips + hashes one in-memory gzip buffer over and over for `durationMs`.
// Every worker waits for 'go' after reporting 'ready', so thread start-up is not timed.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
port.postMessage({ type: 'ready' });
port.once('message', () => {
  const t0 = performance.now();
  if (workerData.mode === 'files') {
    const { files, counter } = workerData;
    const next = new Int32Array(counter);
    const hashes = [];
    let bytes = 0;
    let count = 0;
    for (;;) {
      const i = Atomics.add(next, 0, 1);
      if (i >= files.length) break;
      const data = gunzipSync(readFileSync(files[i]));
      hashes.push(i, createHash('sha256').update(data).digest('hex'));
      bytes += data.length;
      count += 1;
    }
    port.postMessage({ type: 'done', bytes, count, hashes, ms: performance.now() - t0 });
  } else {
    const gz = Buffer.from(workerData.gz);
    let bytes = 0;
    let count = 0;
    while (performance.now() - t0 < workerData.durationMs) {
      const data = gunzipSync(gz);
      createHash('sha256').update(data).digest();
      bytes += data.length;
      count += 1;
    }
    port.postMessage({ type: 'done', bytes, count, hashes: [], ms: performance.now() - t0 });
  }
});

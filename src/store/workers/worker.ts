import { closeSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { setZlibEngineReuse } from '../../crypto/gzip-sync.js';
import { readLogBytes, readLogStream } from '../../crypto/log-read.js';
import { TrailproofError } from '../../errors.js';
import { describeFsError } from '../../util/errno.js';
import { FolderCache } from '../local-paths.js';
import type { LogObjectRead } from '../types.js';
import { toWire, type WireResult, type WireTask } from './wire.js';

/**
 * A log worker of the local store: opens one local file (path containment and the fail-closed
 * rules of local-paths.ts), then reads it with crypto/log-read.ts, on its own core. Small files
 * are read whole into one reused buffer; large ones are streamed, so memory per worker stays
 * bounded whatever the file.
 */
const WHOLE_FILE_LIMIT = 8 << 20;
const CHUNK = 256 * 1024;

/** The file from its start, in fresh chunks (this is a worker: blocking reads are its job). */
async function* readChunks(fd: number): AsyncGenerator<Uint8Array> {
  let position = 0;
  for (;;) {
    const buf = Buffer.allocUnsafe(CHUNK);
    const n = readSync(fd, buf, 0, CHUNK, position);
    if (n === 0) return;
    position += n;
    yield buf.subarray(0, n);
  }
}

setZlibEngineReuse((workerData as { zlibEngineReuse?: unknown } | null)?.zlibEngineReuse !== false);

const folders = new FolderCache();
/** One read buffer per worker, reused (its content is consumed before the next task starts). */
let readBuffer = Buffer.allocUnsafe(1 << 20);

async function run(bucketReal: string, key: string, eventTimes: boolean): Promise<LogObjectRead> {
  // Throws (fail closed) for a file that exists but cannot be read or is not a regular file.
  const file = folders.open({ bucketReal, key });
  if (file === undefined) return { kind: 'missing' };
  const { fd, size } = file;
  try {
    if (size <= WHOLE_FILE_LIMIT) {
      if (readBuffer.length < size) readBuffer = Buffer.allocUnsafe(Math.max(size, readBuffer.length * 2));
      let off = 0;
      while (off < size) {
        const n = readSync(fd, readBuffer, off, size - off, off);
        if (n === 0) break;
        off += n;
      }
      return { kind: 'read', read: await readLogBytes(readBuffer.subarray(0, off), eventTimes) };
    }
    return { kind: 'read', read: await readLogStream(readChunks(fd), eventTimes) };
  } finally {
    closeSync(fd);
  }
}

parentPort?.on('message', (batch: string) => {
  void (async () => {
    const results: WireResult[] = [];
    for (const [id, scan, bucketReal, key] of JSON.parse(batch) as WireTask[]) {
      try {
        results.push(toWire(id, await run(bucketReal, key, scan === 1)));
      } catch (err) {
        // What stops the run: the message says which file and why (no stack, no errno code).
        const message = err instanceof TrailproofError ? err.message : `Cannot read ${bucketReal}/${key}: ${describeFsError(err)}`;
        results.push(toWire(id, { kind: 'failed', error: new Error(message) }));
      }
    }
    parentPort!.postMessage(JSON.stringify(results));
  })();
});

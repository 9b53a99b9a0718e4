import { createHash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { gunzipMember, type MemberStatus } from '../crypto/gzip.js';
import { inflateWhole } from '../crypto/gzip-sync.js';
import { EventTimeScanner } from '../signer/log-hash.js';
import { FolderCache } from '../store/local-paths.js';
import { TrailproofError } from '../errors.js';
import { describeFsError } from '../util/errno.js';
import { toWire, type LogTask, type LogTaskResult, type WireResult, type WireTask } from './log-wire.js';

/**
 * A log worker: read + gunzip + SHA-256 (+ event times for the signer) of one local file, on its
 * own core. Small files are read whole and inflated in one native call; large ones (or oversized
 * output) are streamed, so memory per worker stays bounded whatever the file.
 */
const WHOLE_FILE_LIMIT = 8 << 20;
const SYNC_OUTPUT_LIMIT = 48 << 20;
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

const folders = new FolderCache();
/** One read buffer per worker, reused (its content is consumed before the next task starts). */
let readBuffer = Buffer.allocUnsafe(1 << 20);

async function run(task: LogTask): Promise<LogTaskResult> {
  // Throws (fail closed) for a file that exists but cannot be read or is not a regular file.
  const file = folders.open(task.location);
  if (file === undefined) return { id: task.id, missing: true };
  const fd = file.fd;
  let hash = createHash('sha256');
  let scanner: EventTimeScanner | null = null;
  /** A new consumer of the output (an undecided whole-buffer attempt leaves a used one behind). */
  const fresh = (): ((chunk: Buffer) => void) => {
    hash = createHash('sha256');
    scanner = task.scanEventTimes ? new EventTimeScanner() : null;
    return (chunk) => {
      hash.update(chunk);
      scanner?.push(chunk);
    };
  };
  const done = (status: MemberStatus, trailing: boolean, message?: string): LogTaskResult => ({
    id: task.id,
    missing: false,
    status,
    trailing,
    hash: hash.digest('hex'),
    newest: scanner?.newest ?? null,
    oldest: scanner?.oldest ?? null,
    ...(message ? { message } : {}),
  });
  try {
    if (file.size <= WHOLE_FILE_LIMIT) {
      if (readBuffer.length < file.size) readBuffer = Buffer.allocUnsafe(Math.max(file.size, readBuffer.length * 2));
      let off = 0;
      while (off < file.size) {
        const n = readSync(fd, readBuffer, off, file.size - off, off);
        if (n === 0) break;
        off += n;
      }
      const r = inflateWhole(readBuffer.subarray(0, off), SYNC_OUTPUT_LIMIT, fresh);
      if (r) return done(r.status, r.trailing);
    }
    // Streaming: large files, truncated streams, huge expansions.
    const r = await gunzipMember(readChunks(fd), fresh());
    return done(r.status, r.trailing, r.message);
  } finally {
    closeSync(fd);
  }
}

parentPort?.on('message', (batch: string) => {
  void (async () => {
    const results: WireResult[] = [];
    for (const [id, scan, bucketReal, key] of JSON.parse(batch) as WireTask[]) {
      const task: LogTask = { id, location: { bucketReal, key }, scanEventTimes: scan === 1 };
      try {
        results.push(toWire(await run(task)));
      } catch (err) {
        // What stops the run: the message says which file and why (no stack, no errno code).
        const message = err instanceof TrailproofError ? err.message : `Cannot read ${bucketReal}/${key}: ${describeFsError(err)}`;
        results.push([id, 'e', '', null, null, message]);
      }
    }
    parentPort!.postMessage(JSON.stringify(results));
  })();
});

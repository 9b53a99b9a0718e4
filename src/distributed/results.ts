import { createHash } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TrailproofError } from '../errors.js';
import type { ObjectStore } from '../store/types.js';
import { writeAtomic } from '../util/atomic-file.js';
import { openToRead } from '../util/open-read.js';
import { describeFsError, isAbsent } from '../util/errno.js';
import { MAX_RESULT_BYTES, parseEnvelope, parseResult, RUN_ID, type Envelope, type SegmentResult } from './wire.js';

/**
 * Where results too large for a Redis value go (`--results DIR` or `s3://BUCKET/PREFIX`): the job
 * returns a reference (key, size, SHA-256) and the coordinator reads the object back, checks its
 * size and hash, then its schema. Written atomically; removed by the coordinator once the run ends.
 */
export interface ResultsStore {
  put(key: string, bytes: Buffer): Promise<void>;
  /** The object, at most `limit` bytes; undefined when it is not there. */
  get(key: string, limit: number): Promise<Buffer | undefined>;
  /** Removes a run's results. */
  removeRun(run: string): Promise<void>;
}

export const resultKey = (run: string, job: string): string => `${run}/${job}.json`;

export function localResults(dir: string): ResultsStore {
  const path = (key: string): string => join(dir, ...key.split('/'));
  return {
    put: async (key, bytes) => {
      const target = path(key);
      try {
        await mkdir(dirname(target), { recursive: true });
        await writeAtomic(target, bytes, { mode: 0o600, sync: true });
      } catch (err) {
        throw new TrailproofError('storage', `Cannot write result ${target}: ${describeFsError(err)}`);
      }
    },
    get: async (key, limit) => {
      // The folder is shared, so what lies there is hostile: opened without blocking (a FIFO), a
      // regular file only (not a link to a device), its size checked before it is read.
      let handle;
      try {
        handle = await openToRead(path(key));
      } catch (err) {
        if (isAbsent(err)) return undefined;
        throw new TrailproofError('storage', `Cannot read result ${path(key)}: ${describeFsError(err)}`);
      }
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw new TrailproofError('storage', `Cannot read result ${path(key)}: not a regular file`);
        if (info.size > limit) throw new TrailproofError('storage', `result ${path(key)} is larger than ${limit} bytes`);
        const bytes = Buffer.alloc(info.size + 1);
        let got = 0;
        for (;;) {
          const { bytesRead } = await handle.read(bytes, got, bytes.length - got, null);
          if (bytesRead === 0) break;
          got += bytesRead;
          if (got > info.size) throw new TrailproofError('storage', `result ${path(key)} grew while it was read`);
        }
        return bytes.subarray(0, got);
      } catch (err) {
        if (err instanceof TrailproofError) throw err;
        throw new TrailproofError('storage', `Cannot read result ${path(key)}: ${describeFsError(err)}`);
      } finally {
        await handle.close();
      }
    },
    removeRun: async (run) => {
      if (RUN_ID.test(run)) await rm(join(dir, run), { recursive: true, force: true });
    },
  };
}

export function s3Results(store: ObjectStore, bucket: string, prefix: string): ResultsStore {
  const full = (key: string): string => `${prefix ? `${prefix.replace(/\/+$/, '')}/` : ''}${key}`;
  return {
    put: (key, bytes) => store.put(bucket, full(key), bytes),
    get: async (key, limit) => {
      if (store.getBytes) return (await store.getBytes(bucket, full(key), limit))?.bytes;
      throw new TrailproofError('storage', 'this store cannot read results');
    },
    removeRun: async (run) => {
      if (!RUN_ID.test(run)) return;
      const keys: string[] = [];
      for await (const key of store.list(bucket, { prefix: full(`${run}/`) })) keys.push(key);
      for (const key of keys) await store.delete(bucket, key);
    },
  };
}

/** A worker's result as a job's return value: itself when small, else a reference to where it was put. */
export async function envelopeFor(result: SegmentResult, o: { run: string; job: string; inlineMax: number; results: ResultsStore | null }): Promise<string> {
  const text = JSON.stringify(result);
  if (text.length <= o.inlineMax) return `{"v":1,"result":${text},"ref":null}`;
  if (!o.results) {
    throw new TrailproofError(
      'storage',
      `a segment result of ${text.length} bytes is larger than --result-inline-max (${o.inlineMax}): give the coordinator --results DIR or s3://BUCKET/PREFIX`,
    );
  }
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > MAX_RESULT_BYTES) throw new TrailproofError('storage', `a segment result of ${bytes.length} bytes is larger than ${MAX_RESULT_BYTES}`);
  const key = resultKey(o.run, o.job);
  await o.results.put(key, bytes);
  const ref = { key, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
  return JSON.stringify({ v: 1, result: null, ref });
}

/** The coordinator's side: the envelope checked, the result read back from the results location when it was put there. */
export async function openEnvelope(text: string, results: ResultsStore | null, expectedKey: string): Promise<SegmentResult> {
  const env: Envelope = parseEnvelope(text);
  if (env.result && !env.ref) return env.result;
  if (!env.ref || env.result) throw new TrailproofError('internal', 'a segment result must hold either the result or a reference');
  if (env.ref.key !== expectedKey) throw new TrailproofError('internal', `a segment result names ${env.ref.key}, not ${expectedKey}`);
  if (!results) throw new TrailproofError('storage', 'a worker put a result in a results location, and this coordinator has none (--results)');
  const bytes = await results.get(env.ref.key, env.ref.bytes);
  if (!bytes) throw new TrailproofError('storage', `the result ${env.ref.key} is not in the results location`);
  if (bytes.length !== env.ref.bytes || createHash('sha256').update(bytes).digest('hex') !== env.ref.sha256) {
    throw new TrailproofError('storage', `the result ${env.ref.key} is not what the worker wrote (size or SHA-256 differs)`);
  }
  return parseResult(bytes.toString('utf8'));
}

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envelopeFor, localResults, openEnvelope } from '../../src/distributed/results.js';
import { TrailproofError } from '../../src/errors.js';
import { tempDir } from '../helpers/cli.js';

/**
 * the coordinator reads a result back from `--results DIR` (a folder every machine
 * shares, so whoever can write there is hostile). It read it with readFile: a FIFO put in its place
 * blocked the coordinator forever, and a link to /dev/zero (or a huge file) was read whole before
 * its size was checked. Both must stop the run with one line, at once.
 */
const RUN = 'r0-1';
const JOB = 'r0-1-abc';
const key = `${RUN}/${JOB}.json`;
const envelope = (bytes: number): string => JSON.stringify({ v: 1, result: null, ref: { key, bytes, sha256: createHash('sha256').update('x').digest('hex') } });

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms).unref())]);
}

describe('a result in the results folder that is not a regular file', () => {
  it('a FIFO: refused at once, never waited on', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, RUN));
      execFileSync('mkfifo', [join(dir.path, RUN, `${JOB}.json`)]);
      const err = await within(openEnvelope(envelope(1), localResults(dir.path), key), 3000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrailproofError);
    } finally {
      dir.cleanup();
    }
  });

  it('a link to /dev/zero: refused, not read without end', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, RUN));
      symlinkSync('/dev/zero', join(dir.path, RUN, `${JOB}.json`));
      const err = await within(openEnvelope(envelope(1), localResults(dir.path), key), 3000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrailproofError);
    } finally {
      dir.cleanup();
    }
  });

  it('a file larger than the job said: refused without reading it whole', async () => {
    const dir = tempDir();
    try {
      mkdirSync(join(dir.path, RUN));
      writeFileSync(join(dir.path, RUN, `${JOB}.json`), Buffer.alloc(4096));
      const err = await openEnvelope(envelope(1), localResults(dir.path), key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TrailproofError);
    } finally {
      dir.cleanup();
    }
  });

  it('a regular result still reads back (round trip through the folder)', async () => {
    const dir = tempDir();
    try {
      const results = localResults(dir.path);
      const result = { v: 1 as const, listing: null, standard: { last: null, items: [], end: ['done'] as const }, backfill: null };
      const text = await envelopeFor(result, { run: RUN, job: JOB, inlineMax: 1, results });
      expect(await openEnvelope(text, results, key)).toEqual(result);
    } finally {
      dir.cleanup();
    }
  });
});

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseS3Url } from '../../src/format/s3-url.js';
import { MAX_STATE_BYTES } from '../../src/format/limits.js';
import { demoAuditArgs, runCli, tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * Where `audit --state` keeps its state (src/cli/audit-state.ts): a file or an s3:// URL, each read
 * fail-closed. The S3 object itself is tested against the real server (test/s3/audit-s3.test.ts).
 */
let dir: { path: string; cleanup: () => void };
const audit = (state: string) => [...demoAuditArgs(join(dir.path, 'd')), '--state', state];

beforeAll(() => {
  dir = tempDir();
  const demo = runCli(['demo', '--dir', join(dir.path, 'd')]);
  expect(demo.status, demo.err).toBe(0);
});
afterAll(() => dir?.cleanup());

describe('audit --state locations', () => {
  it('a first run says it starts the state, and writes it; the next run reads it without a word', async () => {
    const path = join(dir.path, 'state.json');
    const first = await runInProcess(audit(path));
    expect(first.err).toContain(`audit: no state at ${path} yet: this run starts it`);
    const written = JSON.parse(readFileSync(path, 'utf8')) as { schema: number; bucket: string };
    expect(written).toMatchObject({ schema: 1, bucket: 'trailproof-demo-bucket' });
    const second = await runInProcess(audit(path));
    expect(second.err).not.toContain('no state at');
    expect(second.status).toBe(first.status);
  });

  it('refuses a state that is a folder, too large, or not JSON: exit 255, one line, never an empty state', async () => {
    const folder = join(dir.path, 'a-folder');
    mkdirSync(folder);
    const big = join(dir.path, 'big.json');
    writeFileSync(big, Buffer.alloc(MAX_STATE_BYTES + 1, 0x20));
    const junk = join(dir.path, 'junk.json');
    writeFileSync(junk, 'not json');
    // A FIFO: a plain open would wait for a writer forever.
    const fifo = join(dir.path, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    for (const [path, why] of [
      [folder, 'not a regular file'],
      [fifo, 'not a regular file'],
      [big, 'larger than 64 MiB'],
      [junk, 'not a JSON object'],
    ] as const) {
      const r = await runInProcess(audit(path));
      expect(r.status, r.err).toBe(255);
      expect(r.err).toContain(why);
      expect(r.err).not.toContain('no state at');
      expect(r.out).not.toMatch(/^Auditing/);
    }
  });

  it('refuses a malformed s3:// URL as a usage mistake before reading anything', async () => {
    for (const bad of ['s3://', 's3://B/key', 's3://bucket', 's3://bucket/', 's3://bucket/dir/', 's3://a..b/key']) {
      const r = await runInProcess(audit(bad));
      expect(r.status, bad).not.toBe(0);
      expect(r.err).toContain('not an s3://BUCKET/KEY URL');
      expect(r.err.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('parseS3Url', () => {
  it('takes back what it is given: s3://bucket/key for a valid bucket and a key with no control characters', () => {
    const bucket = fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/);
    const key = fc.string({ minLength: 1, maxLength: 60 }).filter((k) => !/[\u0000-\u001f\u007f]/.test(k) && !k.endsWith('/'));
    fc.assert(
      fc.property(bucket, key, (b, k) => {
        expect(parseS3Url(`s3://${b}/${k}`)).toEqual({ bucket: b, key: k });
      }),
    );
  });

  it('never throws, and anything it accepts round-trips', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (text) => {
        const url = parseS3Url(`s3://${text}`);
        if (url) expect(`s3://${url.bucket}/${url.key}`).toBe(`s3://${text}`);
      }),
    );
  });
});

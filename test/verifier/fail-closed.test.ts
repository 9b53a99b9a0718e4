import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseJsonBytes, MAX_JSON_DEPTH } from '../../src/format/json.js';
import { MAX_DIGEST_BYTES } from '../../src/format/limits.js';
import { parseDate } from '../../src/format/time.js';
import { parsePublicKeysJson } from '../../src/keys/public-keys.js';
import { entriesSource } from '../../src/keys/source.js';
import { LocalStore } from '../../src/store/local.js';
import { StoreError } from '../../src/store/errors.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { TextReport } from '../../src/verifier/report-text.js';
import { runValidation } from '../../src/verifier/validate.js';
import { buildTrail, createTestKey, type TestKey, type Trail } from '../helpers/trail-builder.js';

/**
 * Fail closed (issue 9), in-process through the library: a local root never makes the verifier
 * read outside it, a FIFO never blocks it, an oversized or too deeply nested digest never takes
 * memory or stack without bound. What exists but cannot be read stops the run; only what is not
 * there is `not found`.
 */
let key: TestKey;
let trail: Trail;

beforeAll(() => {
  key = createTestKey();
});

beforeEach(() => {
  trail?.cleanup();
  trail = buildTrail({ key, hours: 3, logsPerHour: 2 });
});

afterAll(() => trail?.cleanup());

async function validate(t: Trail = trail) {
  const out = memoryOutput();
  const store = new LocalStore(t.root);
  const summary = await runValidation(
    {
      store,
      keys: entriesSource(parsePublicKeysJson(readFileSync(t.keysFile, 'utf8'), t.keysFile)),
      scope: { account: t.account, sourceRegion: t.region, homeRegion: t.region, trailName: t.trailName },
      bucket: t.bucket,
      start: parseDate(t.start).clock,
      end: parseDate(t.end).clock,
    },
    new TextReport(out, true, t.arn),
  );
  return { summary, out };
}

function mkfifo(path: string): void {
  rmSync(path, { force: true });
  execFileSync('mkfifo', [path]);
}

describe('baseline', () => {
  it('the untouched trail validates (so each failure below is the change under test)', async () => {
    const { summary } = await validate();
    expect(summary.fatal).toBeNull();
    expect(summary.logs.invalid).toBe(0);
    expect(summary.logs.valid).toBe(trail.logs.length);
  });
});

describe('nothing outside the root is read', () => {
  it('a log bucket folder that is a symlink to a folder outside the root stops the run', async () => {
    // A signed digest names bucket "escape"; its folder is a link to a copy of the logs outside the root.
    const outside = join(trail.dir, 'outside');
    mkdirSync(outside);
    const log = trail.logs[0]!;
    mkdirSync(dirname(join(outside, log.key)), { recursive: true });
    writeFileSync(join(outside, log.key), log.gz);
    symlinkSync(outside, join(trail.root, 'escape'));
    const store = new LocalStore(trail.root);
    const err = await store.get('escape', log.key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain('leads outside the local root');
    const reads = await store.readLogs([{ bucket: 'escape', key: log.key }], { eventTimes: false });
    expect(reads[0]).toMatchObject({ kind: 'failed' });
  });

  it('a bucket folder linked to another folder inside the root is read', async () => {
    renameSync(join(trail.root, trail.bucket), join(trail.root, 'real-copy'));
    symlinkSync(join(trail.root, 'real-copy'), join(trail.root, trail.bucket));
    const { summary } = await validate();
    expect(summary.fatal).toBeNull();
    expect(summary.logs.valid).toBe(trail.logs.length);
  });
});

describe('special files stop the run instead of blocking it', () => {
  it('a FIFO in place of a log', async () => {
    mkfifo(trail.path(trail.logs[1]!.key));
    const { summary } = await validate();
    expect(summary.fatal).toMatch(/^Cannot read .*: it is a FIFO \(named pipe\), not a regular file$/);
    expect(summary.fatal).toContain(trail.logs[1]!.key);
  });

  it('a FIFO in place of the newest digest, and where a previous-digest link leads', async () => {
    for (const d of [trail.digests[2]!, trail.digests[0]!]) {
      trail.restore(d.key);
      mkfifo(trail.path(d.key));
      const { summary } = await validate();
      expect(summary.fatal).toContain(d.key);
      expect(summary.fatal).toContain('FIFO');
      rmSync(trail.path(d.key));
      trail.restore(d.key);
    }
  });

  it('a FIFO in place of a metadata sidecar', async () => {
    mkfifo(trail.sidecarPath(trail.digests[2]!.key));
    const { summary } = await validate();
    expect(summary.fatal).toContain('FIFO');
  });

  it('a folder where an object would be is a missing object (S3 has no object there)', async () => {
    const log = trail.logs[0]!;
    rmSync(trail.path(log.key));
    mkdirSync(trail.path(log.key));
    const { summary, out } = await validate();
    expect(summary.fatal).toBeNull();
    expect(out.stderr).toContain(`s3://${trail.bucket}/${log.key}\tINVALID: not found`);
  });
});

describe('oversized and deeply nested digests', () => {
  it(`a digest inflating past ${MAX_DIGEST_BYTES >> 20} MiB (a gzip bomb) stops the run as too large`, async () => {
    const d = trail.digests[2]!;
    trail.write(d.key, gzipSync(Buffer.alloc(MAX_DIGEST_BYTES + 1, 0x20)));
    const { summary } = await validate();
    expect(summary.fatal).toMatch(/inflates to more than 32 MiB.*refusing it$/);
  });

  it('a digest of exactly the limit is read (no refusal below it)', async () => {
    const d = trail.digests[2]!;
    const text = d.raw.toString('utf8');
    // Same JSON, padded with spaces at the end up to the limit: a valid digest of the maximum size.
    const padded = Buffer.concat([d.raw, Buffer.alloc(MAX_DIGEST_BYTES - d.raw.length, 0x20)]);
    expect(JSON.parse(padded.toString('utf8'))).toEqual(JSON.parse(text));
    trail.writeDigest(d.key, padded);
    const { summary } = await validate();
    expect(summary.fatal).toBeNull();
    expect(summary.digests.valid).toBe(3);
  });

  it.each(['digestEndTime', 'previousDigestSignature', 'digestS3Object'])(
    'a %s nested 100,000 deep is an invalid format (no stack overflow)',
    async (field) => {
      const d = trail.digests[2]!;
      const json = JSON.parse(d.raw.toString('utf8')) as Record<string, unknown>;
      const deep = '['.repeat(100_000) + ']'.repeat(100_000);
      const body = JSON.stringify({ ...json, [field]: '__DEEP__' }).replace('"__DEEP__"', deep);
      trail.writeDigest(d.key, body, { signed: 'anything' });
      const { summary, out } = await validate();
      expect(summary.fatal).toBeNull();
      expect(out.stderr).toContain(`${d.key}\tINVALID: invalid format`);
    },
  );

  it('a signed digest whose log entry nests 100,000 deep is an invalid format', async () => {
    const d = trail.digests[2]!;
    const json = JSON.parse(d.raw.toString('utf8')) as { logFiles: Array<Record<string, unknown>> };
    json.logFiles[0] = { ...json.logFiles[0], s3Bucket: '__DEEP__' };
    const body = JSON.stringify(json).replace('"__DEEP__"', '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000));
    trail.writeDigest(d.key, body);
    const { summary, out } = await validate();
    expect(summary.fatal).toBeNull();
    expect(out.stderr).toContain(`${d.key}\tINVALID: invalid format`);
  });
});

describe('JSON depth bound (parser)', () => {
  it('accepts nesting up to the bound and refuses one level more', () => {
    const nest = (n: number) => Buffer.from('['.repeat(n) + ']'.repeat(n));
    expect(parseJsonBytes(nest(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseJsonBytes(nest(MAX_JSON_DEPTH + 1)).ok).toBe(false);
    const objects = (n: number) => Buffer.from('{"k":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1));
    expect(parseJsonBytes(objects(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(parseJsonBytes(objects(MAX_JSON_DEPTH + 1)).ok).toBe(false);
  });
});

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CliResult } from '../helpers/cli.js';
import { buildTrail, createTestKey, sha256Hex, signingString, STACK_FRAME, type TestKey, type Trail } from '../helpers/trail-builder.js';

/**
 * Hostile digests, signed with the test key so that they reach the deep checks (behaviour §3, §4).
 * Each test builds a one-hour trail (one digest, one log), replaces the digest or its log, and
 * checks the exact report lines and exit code the reference would give.
 *
 * Runs are in-process (trail.run). The regressions of the log worker threads (fd races, the
 * streaming path of large logs) also spawn the built CLI: only a process has the workers.
 */
let key: TestKey;
let trail: Trail | undefined;

beforeAll(() => {
  key = createTestKey();
});
afterEach(() => {
  trail?.cleanup();
  trail = undefined;
});

type Body = Record<string, unknown>;

function fresh(options: { backfillHours?: number } = {}): Trail {
  trail = buildTrail({ key, hours: 1, logsPerHour: 1, ...options });
  return trail;
}

function digestBody(t: Trail): Body {
  return JSON.parse(t.digests[0]!.raw.toString('utf8')) as Body;
}

/** Rewrites the trail's digest from `body` (JSON text as is), signed over the data-signing string. */
function rewrite(t: Trail, body: Body | string, signedEndTime?: string): void {
  const d = t.digests[0]!;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  if (signedEndTime === undefined) {
    t.writeDigest(d.key, text);
  } else {
    const prev = typeof body === 'string' ? null : ((body.previousDigestSignature as string | null | undefined) ?? null);
    t.writeDigest(d.key, text, { signed: signingString(signedEndTime, t.bucket, d.key, Buffer.from(text, 'utf8'), prev) });
  }
}

const header = (t: Trail): string => `Validating log files for trail ${t.arn} between ${t.start} and ${t.end}\n\n`;
const digestLine = (t: Trail, reason: string): string => `Digest file\ts3://${t.bucket}/${t.digests[0]!.key}\tINVALID: ${reason}\n\n`;

function noCrash(r: CliResult): void {
  expect(r.err).not.toMatch(STACK_FRAME);
  expect(r.err).not.toMatch(/internal error|a bug in trailproof/);
}

/** The one digest is INVALID with `reason`; nothing else is reported. */
/** The hint the CLI adds after the report when not one digest read had a metadata sidecar. */
const NO_SIDECAR_HINT = /^hint: 1 digest file\(s\) under .* have no metadata sidecar .*export-signatures.*\n$/;

/** How a check runs the trail: in-process, or the built CLI (log workers). */
type Runner = (t: Trail, timeoutMs?: number) => Promise<CliResult>;
const inProcess: Runner = (t, timeoutMs) => t.run([], timeoutMs);
const spawned: Runner = (t, timeoutMs) => Promise.resolve(t.runSpawned([], timeoutMs));

async function expectDigestInvalid(t: Trail, reason: string, timeoutMs?: number, noSidecarAtAll = false): Promise<void> {
  const r = await t.run([], timeoutMs);
  noCrash(r);
  const line = digestLine(t, reason);
  if (noSidecarAtAll) {
    expect(r.err.startsWith(line)).toBe(true);
    expect(r.err.slice(line.length)).toMatch(NO_SIDECAR_HINT);
  } else expect(r.err).toBe(line);
  expect(r.out).toBe(
    `${header(t)}Results requested for ${t.start} to ${t.end}\nNo valid digests found in range\n\n0/1 digest files valid, 1/1 digest files INVALID\n`,
  );
  expect(r.status).toBe(1);
}

/** The digest is valid and its log files are reported with these INVALID lines (in order). */
async function expectLogsInvalid(
  t: Trail,
  lines: Array<[string, string, string]>,
  totalLogs = lines.length,
  timeoutMs?: number,
  run = inProcess,
): Promise<void> {
  const r = await run(t, timeoutMs);
  noCrash(r);
  expect(r.err).toBe(lines.map(([b, k, reason]) => `Log file\ts3://${b}/${k}\tINVALID: ${reason}\n\n`).join(''));
  const validLogs = totalLogs - lines.length;
  expect(r.out).toBe(
    `${header(t)}Results requested for ${t.start} to ${t.end}\nResults found for ${t.start} to ${t.end}:\n\n1/1 digest files valid\n` +
      `${validLogs}/${totalLogs} log files valid, ${lines.length}/${totalLogs} log files INVALID\n`,
  );
  expect(r.status).toBe(1);
}

/**
 * The same answer on every run: the report must not depend on timing (workers, streams). Once
 * in-process, then `runs` times through the built CLI, whose log workers the races were in.
 */
async function expectLogsInvalidEveryTime(t: Trail, lines: Array<[string, string, string]>, runs: number): Promise<void> {
  await expectLogsInvalid(t, lines);
  for (let i = 0; i < runs; i++) await expectLogsInvalid(t, lines, lines.length, undefined, spawned);
}

describe('hostile digests', () => {
  it('baseline: the untouched one-hour trail is valid', async () => {
    const t = fresh();
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it('a rewritten but correctly signed digest is valid (the checks below fail for their own reason)', async () => {
    const t = fresh();
    const body = digestBody(t);
    body.extraField = { nested: [1, 2, 3] };
    rewrite(t, body);
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(['digestPublicKeyFingerprint', 'digestS3Bucket', 'digestS3Object', 'previousDigestSignature', 'digestEndTime', 'digestStartTime'])(
    'missing required field %s -> invalid format',
    async (field) => {
      const t = fresh();
      const body = digestBody(t);
      delete body[field];
      rewrite(t, body, field === 'digestEndTime' ? 'None' : undefined);
      await expectDigestInvalid(t, 'invalid format');
    },
  );

  it.each([
    ['digestS3Object elsewhere', (b: Body, t: Trail) => ({ ...b, digestS3Object: t.digestKeyFor(Date.parse(t.end) - 60_000) })],
    ['digestS3Object with a leading slash', (b: Body) => ({ ...b, digestS3Object: `/${b.digestS3Object as string}` })],
    ['digestS3Object null', (b: Body) => ({ ...b, digestS3Object: null })],
    ['digestS3Object a number', (b: Body) => ({ ...b, digestS3Object: 7 })],
    ['digestS3Bucket elsewhere', (b: Body) => ({ ...b, digestS3Bucket: 'another-bucket' })],
    ['digestS3Bucket upper case', (b: Body) => ({ ...b, digestS3Bucket: (b.digestS3Bucket as string).toUpperCase() })],
  ])('%s -> has been moved from its original location', async (_label, mutate) => {
    const t = fresh();
    rewrite(t, mutate(digestBody(t), t) as Body);
    await expectDigestInvalid(t, 'has been moved from its original location');
  });

  it.each([
    ['a list', '[1, 2]', 'list indices must be integers or slices, not str'],
    ['an empty list', '[]', 'list indices must be integers or slices, not str'],
    ['a string', '"digest"', "'str' object does not support item assignment"],
    ['a number', '42', "'int' object does not support item assignment"],
    ['a float', '4.5', "'float' object does not support item assignment"],
    ['true', 'true', "'bool' object does not support item assignment"],
    ['null', 'null', "'NoneType' object does not support item assignment"],
  ])('top-level JSON %s -> INVALID: %s', async (_label, text, reason) => {
    const t = fresh();
    t.writeDigest(t.digests[0]!.key, text, { metadata: { signature: t.digests[0]!.signature, 'signature-algorithm': 'SHA256withRSA' } });
    await expectDigestInvalid(t, reason);
  });

  it('a top-level list without signature metadata fails on the metadata first', async () => {
    const t = fresh();
    t.writeDigest(t.digests[0]!.key, '[1]', { metadata: null });
    await expectDigestInvalid(t, 'signature verification failed', undefined, true);
  });

  it.each([
    ['no sidecar', null],
    ['no signature', { 'signature-algorithm': 'SHA256withRSA' }],
    ['no signature-algorithm', { signature: 'SIG' }],
    ['empty sidecar', {}],
  ] as Array<[string, Record<string, string> | null]>)('signature metadata: %s -> signature verification failed', async (_label, metadata) => {
    const t = fresh();
    const d = t.digests[0]!;
    t.setMetadata(d.key, metadata === null ? null : JSON.parse(JSON.stringify(metadata).replace('SIG', d.signature)));
    await expectDigestInvalid(t, 'signature verification failed', undefined, metadata === null);
  });

  it('the head-object sidecar shape {"Metadata": {...}} is read', async () => {
    const t = fresh();
    const d = t.digests[0]!;
    t.setMetadata(d.key, { ContentType: 'application/json', Metadata: { signature: d.signature, 'signature-algorithm': 'SHA256withRSA' } });
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    ['odd length', (s: string) => s.slice(0, -1), 'Odd-length string'],
    ['one character', () => 'a', 'Odd-length string'],
    ['a non-hex digit', (s: string) => `${s.slice(0, 10)}g${s.slice(11)}`, 'Non-hexadecimal digit found'],
    ['a 0x prefix', (s: string) => `0x${s.slice(2)}`, 'Non-hexadecimal digit found'],
    ['a space', (s: string) => `${s.slice(0, -2)} 0`, 'Non-hexadecimal digit found'],
    ['empty', () => '', 'signature verification failed'],
    ['one byte changed', (s: string) => `${s.slice(0, -2)}${s.endsWith('00') ? '01' : '00'}`, 'signature verification failed'],
    ['a leading zero byte', (s: string) => `00${s}`, 'signature verification failed'],
    ['too short', (s: string) => s.slice(2), 'signature verification failed'],
    ['the previous digest signature of another trail', () => '11'.repeat(256), 'signature verification failed'],
  ])('signature %s -> INVALID: %s', async (_label, change, reason) => {
    const t = fresh();
    t.setSignature(t.digests[0]!.key, change(t.digests[0]!.signature));
    await expectDigestInvalid(t, reason);
  });

  it("a signature larger than the modulus is python-rsa's OverflowError", async () => {
    const t = fresh();
    const hex = 'ff'.repeat(256);
    t.setSignature(t.digests[0]!.key, hex);
    await expectDigestInvalid(t, `The message ${BigInt(`0x${hex}`)} is too long for n=${key.n}`);
  });

  it('an upper-case signature is the same signature (valid)', async () => {
    const t = fresh();
    t.setSignature(t.digests[0]!.key, t.digests[0]!.signature.toUpperCase());
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    ['unknown', (fp: string) => `${fp.slice(0, -1)}${fp.endsWith('0') ? '1' : '0'}`, (v: string) => v],
    ['upper case', (fp: string) => fp.toUpperCase(), (v: string) => v],
    ['empty', () => '', () => ''],
    ['a number', () => 5, () => '5'],
    ['null', () => null, () => 'None'],
    ['true', () => true, () => 'True'],
  ] as Array<[string, (fp: string) => unknown, (v: string) => string]>)('fingerprint %s -> public key not found', async (_label, change, shown) => {
    const t = fresh();
    const body = digestBody(t);
    body.digestPublicKeyFingerprint = change(key.fingerprint);
    rewrite(t, body);
    await expectDigestInvalid(t, `public key not found in region us-east-1 for fingerprint ${shown(String(body.digestPublicKeyFingerprint))}`);
  });

  it.each([
    ['a list', ['x'], "unhashable type: 'list'"],
    ['an object', { a: 1 }, "unhashable type: 'dict'"],
  ])('fingerprint %s -> INVALID: %s', async (_label, value, reason) => {
    const t = fresh();
    const body = digestBody(t);
    body.digestPublicKeyFingerprint = value;
    rewrite(t, body);
    await expectDigestInvalid(t, reason);
  });

  it("a non-string digestStartTime, signed, fails after the signature with dateutil's TypeError", async () => {
    const t = fresh();
    const body = digestBody(t);
    body.digestStartTime = 1709164800;
    rewrite(t, body);
    await expectDigestInvalid(t, 'Parser must be a string or character stream, not int');
  });

  it('a non-string digestEndTime is signed as Python prints it, then fails the same way', async () => {
    const t = fresh();
    const body = digestBody(t);
    body.digestEndTime = 1709172000;
    rewrite(t, body, '1709172000');
    await expectDigestInvalid(t, 'Parser must be a string or character stream, not int');
  });

  it('a null digestEndTime is signed as None', async () => {
    const t = fresh();
    const body = digestBody(t);
    body.digestEndTime = null;
    rewrite(t, body, 'None');
    await expectDigestInvalid(t, 'Parser must be a string or character stream, not NoneType');
  });

  it('an unparseable digestStartTime is an INVALID digest, not a crash', async () => {
    const t = fresh();
    const body = digestBody(t);
    body.digestStartTime = 'the day before yesterday';
    rewrite(t, body);
    const r = await t.run();
    noCrash(r);
    expect(r.err.startsWith(`Digest file\ts3://${t.bucket}/${t.digests[0]!.key}\tINVALID: `)).toBe(true);
    expect(r.status).toBe(1);
  });

  it.each([
    ['not gzip (plain JSON)', (t: Trail) => t.digests[0]!.raw],
    ['empty', () => Buffer.alloc(0)],
    ['truncated gzip', (t: Trail) => t.digests[0]!.gz.subarray(0, t.digests[0]!.gz.length - 4)],
    [
      'a bad CRC',
      (t: Trail) => {
        const b = Buffer.from(t.digests[0]!.gz);
        b[b.length - 8] = b[b.length - 8]! ^ 1;
        return b;
      },
    ],
    ['a UTF-8 BOM before the JSON', (t: Trail) => gzipSync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), t.digests[0]!.raw]))],
    ['invalid UTF-8', () => gzipSync(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))],
    ['not JSON', () => gzipSync(Buffer.from('{digest'))],
  ] as Array<[string, (t: Trail) => Buffer]>)('digest %s -> invalid format', async (_label, bytes) => {
    const t = fresh();
    t.write(t.digests[0]!.key, bytes(t));
    await expectDigestInvalid(t, 'invalid format');
  });

  it("bytes after the digest's gzip member are ignored (§3.2)", async () => {
    const t = fresh();
    const d = t.digests[0]!;
    t.write(d.key, Buffer.concat([d.gz, Buffer.from('trailing garbage'), Buffer.alloc(100)]));
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  // Regression, fixed (src/crypto/gzip.ts): see test/crypto/gzip.test.ts. A digest whose deflate data is invalid
  // makes gunzipMember hang: the CLI prints nothing (not even the header) and either exits 0 (when
  // nothing else keeps node alive) or never exits (with the log worker pool running). Bounded to 2.5 s.
  it('digest with invalid deflate data -> invalid format', async () => {
    const t = fresh();
    const d = t.digests[0]!;
    t.write(d.key, Buffer.concat([d.gz.subarray(0, 10), Buffer.from([0xff, 0xff, 0xff, 0xff]), d.gz.subarray(14)]));
    await expectDigestInvalid(t, 'invalid format', 2500);
  });

  // Regression, fixed (src/format/json.ts parseJsonBytes): Python's json accepts NaN / Infinity; a signed digest
  // holding one in a field nobody reads is valid for the reference, `invalid format` here.
  it('a signed digest with a NaN literal in an unread field is valid', async () => {
    const t = fresh();
    const text = t.digests[0]!.raw.toString('utf8').replace('"awsAccountId"', '"extra":NaN,"awsAccountId"');
    rewrite(t, text, t.digests[0]!.endTime);
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it('a backfill digest without backfill-generation-timestamp -> (backfill) invalid format', async () => {
    const t = fresh({ backfillHours: 1 });
    const bf = t.backfills[0]!;
    t.setMetadata(bf.key, { signature: bf.signature, 'signature-algorithm': 'SHA256withRSA' });
    const r = await t.run();
    noCrash(r);
    expect(r.err).toBe(`(backfill) Digest file\ts3://${t.bucket}/${bf.key}\tINVALID: invalid format\n\n`);
    expect(r.out).toBe(
      `${header(t)}Results requested for ${t.start} to ${t.end}\nResults found for ${t.start} to ${t.end}:\n\n` +
        '1/1 digest files valid\n0/1 backfill digest files valid, 1/1 backfill digest files INVALID\n1/1 log files valid\n',
    );
    expect(r.status).toBe(1);
  });
});

describe('hostile logFiles entries', () => {
  /** A decoy: a valid gzip log with a known hash, planted where a path traversal would land. */
  function plantDecoy(path: string): string {
    const content = Buffer.from('{"Records":[{"decoy":true}]}');
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, gzipSync(content));
    return sha256Hex(content);
  }

  function withLogs(t: Trail, entries: Body[]): void {
    const body = digestBody(t);
    body.logFiles = entries;
    rewrite(t, body);
  }

  it.each([
    ['../../decoy.json.gz', (t: Trail) => join(t.root, '..', 'decoy.json.gz')],
    ['../../../decoy.json.gz', (t: Trail) => join(t.root, '..', '..', 'decoy.json.gz')],
    ['../other-bucket/decoy.json.gz', (t: Trail) => join(t.root, 'other-bucket', 'decoy.json.gz')],
    ['a/../../other-bucket/decoy.json.gz', (t: Trail) => join(t.root, 'other-bucket', 'decoy.json.gz')],
    ['./decoy.json.gz', (t: Trail) => join(t.root, t.bucket, 'decoy.json.gz')],
    ['x//decoy.json.gz', (t: Trail) => join(t.root, t.bucket, 'x', 'decoy.json.gz')],
    ['decoy.json.gz/', (t: Trail) => join(t.root, t.bucket, 'decoy.json.gz')],
  ] as Array<[string, (t: Trail) => string]>)('s3Object %j -> not found (the decoy is never read)', async (s3Object, decoy) => {
    const t = fresh();
    if (decoy(t).startsWith(t.dir + sep)) {
      const hash = plantDecoy(decoy(t));
      withLogs(t, [{ s3Bucket: t.bucket, s3Object, hashValue: hash }]);
    } else {
      // would land outside our temp dir: plant nothing there
      withLogs(t, [{ s3Bucket: t.bucket, s3Object, hashValue: sha256Hex('x') }]);
    }
    await expectLogsInvalid(t, [[t.bucket, s3Object, 'not found']]);
  });

  it('control: the same decoy at a legitimate key is read, and valid', async () => {
    const t = fresh();
    const hash = plantDecoy(join(t.root, t.bucket, 'sub', 'decoy.json.gz'));
    withLogs(t, [{ s3Bucket: t.bucket, s3Object: 'sub/decoy.json.gz', hashValue: hash }]);
    const r = await t.run(['--verbose']);
    expect(r.out).toContain(`Log file\ts3://${t.bucket}/sub/decoy.json.gz\tvalid\n`);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it('absolute paths -> not found', async () => {
    const t = fresh();
    const decoyPath = join(t.dir, 'abs-decoy.json.gz');
    const hash = plantDecoy(decoyPath);
    withLogs(t, [
      { s3Bucket: t.bucket, s3Object: '/etc/passwd', hashValue: sha256Hex('x') },
      { s3Bucket: t.bucket, s3Object: decoyPath, hashValue: hash },
      { s3Bucket: t.bucket, s3Object: '../../../../../../../../../../etc/passwd', hashValue: sha256Hex('x') },
    ]);
    await expectLogsInvalid(t, [
      [t.bucket, '/etc/passwd', 'not found'],
      [t.bucket, decoyPath, 'not found'],
      [t.bucket, '../../../../../../../../../../etc/passwd', 'not found'],
    ]);
  });

  it('a symlink in the bucket leading out of it -> not found', async () => {
    const t = fresh();
    const hash = plantDecoy(join(t.dir, 'outside.json.gz'));
    symlinkSync(join(t.dir, 'outside.json.gz'), join(t.root, t.bucket, 'link.json.gz'));
    withLogs(t, [{ s3Bucket: t.bucket, s3Object: 'link.json.gz', hashValue: hash }]);
    await expectLogsInvalid(t, [[t.bucket, 'link.json.gz', 'not found']]);
  });

  it('a sidecar named as a log -> not found', async () => {
    const t = fresh();
    const sidecarKey = `${t.digests[0]!.key}.metadata.json`;
    withLogs(t, [{ s3Bucket: t.bucket, s3Object: sidecarKey, hashValue: sha256Hex('x') }]);
    await expectLogsInvalid(t, [[t.bucket, sidecarKey, 'not found']]);
  });

  it('non-string s3Bucket / s3Object -> invalid format, printed as Python prints them', async () => {
    const t = fresh();
    const log = t.logs[0]!;
    withLogs(t, [
      { s3Bucket: t.bucket, s3Object: 42, hashValue: log.sha256 },
      { s3Bucket: null, s3Object: log.key, hashValue: log.sha256 },
      { s3Bucket: t.bucket, s3Object: true, hashValue: log.sha256 },
      { s3Bucket: t.bucket, s3Object: ['a', 1, null], hashValue: log.sha256 },
    ]);
    await expectLogsInvalid(t, [
      [t.bucket, '42', 'invalid format'],
      ['None', log.key, 'invalid format'],
      [t.bucket, 'True', 'invalid format'],
      [t.bucket, "['a', 1, None]", 'invalid format'],
    ]);
  });

  it('hashValue: missing -> invalid format; upper case, wrong type, another hash -> mismatch', async () => {
    const t = fresh();
    const log = t.logs[0]!;
    withLogs(t, [
      { s3Bucket: t.bucket, s3Object: log.key },
      { s3Bucket: t.bucket, s3Object: log.key, hashValue: log.sha256.toUpperCase() },
      { s3Bucket: t.bucket, s3Object: log.key, hashValue: 123 },
      { s3Bucket: t.bucket, s3Object: log.key, hashValue: null },
      { s3Bucket: t.bucket, s3Object: log.key, hashValue: sha256Hex(Buffer.concat([log.content, Buffer.from(' ')])) },
      { s3Bucket: t.bucket, s3Object: log.key, hashValue: log.sha256, hashAlgorithm: 'MD5' },
    ]);
    await expectLogsInvalid(
      t,
      [
        [t.bucket, log.key, 'invalid format'],
        [t.bucket, log.key, "hash value doesn't match"],
        [t.bucket, log.key, "hash value doesn't match"],
        [t.bucket, log.key, "hash value doesn't match"],
        [t.bucket, log.key, "hash value doesn't match"],
      ],
      6,
    );
  });

  it.each([
    ['an empty list', []],
    ['null', null],
  ])('logFiles %s: no logs to check, the digest is valid', async (_label, logFiles) => {
    const t = fresh();
    const body = digestBody(t);
    body.logFiles = logFiles;
    rewrite(t, body);
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.out).toContain('Results found for');
    expect(r.out).toContain('1/1 digest files valid\n');
    expect(r.out).not.toMatch(/\d+\/\d+ log files/);
    expect(r.status).toBe(0);
  });

  it.each([
    ['missing', undefined],
    ['a string', 'logs'],
    ['an entry without s3Bucket', [{ s3Object: 'k', hashValue: 'h' }]],
    ['an entry that is a string', ['k']],
  ])('logFiles %s: the run stops with a one-line message (exit 255), never a stack trace', async (_label, logFiles) => {
    // The reference crashes here too (a Python KeyError/TypeError): exit 255, message only.
    const t = fresh();
    const body = digestBody(t);
    if (logFiles === undefined) delete body.logFiles;
    else body.logFiles = logFiles;
    rewrite(t, body);
    const r = await t.run();
    noCrash(r);
    expect(r.err).toMatch(/^\n[^\n]+\n$/);
    expect(r.status).toBe(255);
  });

  it('a log in a bucket that does not exist stops the run (exit 255, NoSuchBucket)', async () => {
    const t = fresh();
    withLogs(t, [{ s3Bucket: 'no-such-bucket', s3Object: t.logs[0]!.key, hashValue: t.logs[0]!.sha256 }]);
    const r = await t.run();
    noCrash(r);
    expect(r.out).toBe(header(t));
    expect(r.err).toBe('\nAn error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist\n');
    expect(r.status).toBe(255);
  });

  it.each(['..', '../x', '.', 'a/b'])('s3Bucket %j never reads outside the root', async (s3Bucket) => {
    const t = fresh();
    const hash = plantDecoy(join(t.dir, 'x', 'decoy.json.gz'));
    withLogs(t, [{ s3Bucket, s3Object: 'decoy.json.gz', hashValue: hash }]);
    const r = await t.run(['--verbose']);
    noCrash(r);
    expect(r.out).not.toMatch(/Log file\t[^\n]*\tvalid/);
    expect(r.status).not.toBe(0);
  });
});

describe('hostile log objects', () => {
  function replaceLog(t: Trail, bytes: Buffer): void {
    t.write(t.logs[0]!.key, bytes);
  }

  // Regression, fixed (src/verifier/log-worker.ts, streaming fallback): a truncated log is handed from the
  // one-shot inflate to gunzipMember over createReadStream({fd, autoClose: false}); tearing the
  // stream down and the worker's own closeSync(fd) race (EBADF, and at times a node
  // "Warning: File descriptor N closed but not opened in unmanaged mode" on stderr). The task is
  // then reported corrupt: `invalid format` (most runs) instead of the reference's hash mismatch
  // (§4: input that stops is not an error, what was inflated is hashed). Racy, hence 4 runs.
  it("truncated gzip -> hash value doesn't match, on every run", async () => {
    const t = fresh();
    const gz = t.logs[0]!.gz;
    replaceLog(t, gz.subarray(0, Math.floor(gz.length / 2)));
    await expectLogsInvalidEveryTime(t, [[t.bucket, t.logs[0]!.key, "hash value doesn't match"]], 4);
  });

  it('only the gzip trailer cut: the content is complete, so the hash matches (valid, as for the reference)', async () => {
    // The reference's decompressobj() does not require the end of the stream: what was inflated is hashed.
    const t = fresh();
    const gz = t.logs[0]!.gz;
    replaceLog(t, gz.subarray(0, gz.length - 8));
    const r = await t.run();
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([
    ['a zero byte', Buffer.from([0])],
    ['zero padding', Buffer.alloc(4096)],
    ['a second gzip member', gzipSync(Buffer.from('{"Records":[]}'))],
    ['garbage', Buffer.from('garbage')],
  ])('trailing %s -> unexpected data after end of compressed stream', async (_label, extra) => {
    const t = fresh();
    replaceLog(t, Buffer.concat([t.logs[0]!.gz, extra]));
    await expectLogsInvalid(t, [[t.bucket, t.logs[0]!.key, 'unexpected data after end of compressed stream']]);
  });

  it.each([
    ['plain JSON', (t: Trail) => t.logs[0]!.content],
    ['empty file', () => Buffer.alloc(0)],
    [
      'a bad CRC',
      (t: Trail) => {
        const b = Buffer.from(t.logs[0]!.gz);
        b[b.length - 7] = b[b.length - 7]! ^ 0x80;
        return b;
      },
    ],
    ['a zlib (not gzip) stream', (t: Trail) => deflateSync(t.logs[0]!.content)],
  ] as Array<[string, (t: Trail) => Buffer]>)('not gzip / corrupt (%s) -> invalid format or mismatch', async (label, bytes) => {
    const t = fresh();
    replaceLog(t, bytes(t));
    // An empty body inflates to nothing: the reference hashes b'' and compares (§4).
    await expectLogsInvalid(t, [[t.bucket, t.logs[0]!.key, label === 'empty file' ? "hash value doesn't match" : 'invalid format']]);
  });

  // The streaming gunzipMember hangs on invalid deflate data (test/crypto/gzip.test.ts); local logs
  // under 8 MiB now go through the log workers' one-shot inflate, which reports it. Bounded to 10 s,
  // in-process and through the built CLI (the workers).
  it('a log with invalid deflate data -> invalid format', async () => {
    const t = fresh();
    const gz = t.logs[0]!.gz;
    replaceLog(t, Buffer.concat([gz.subarray(0, 10), Buffer.from([0xff, 0xff, 0xff, 0xff]), gz.subarray(14)]));
    await expectLogsInvalid(t, [[t.bucket, t.logs[0]!.key, 'invalid format']], 1, 10_000);
    await expectLogsInvalid(t, [[t.bucket, t.logs[0]!.key, 'invalid format']], 1, 10_000, spawned);
  });
});

describe('large log objects (9 MiB: read as a stream, not in one piece)', () => {
  let content: Buffer;
  let gz: Buffer;
  beforeAll(() => {
    content = randomBytes(9 << 20);
    gz = gzipSync(content, { level: 1 });
  });

  /** A one-hour trail whose log is the large one (the digest re-signed with its hash). */
  function large(bytes: Buffer): Trail {
    const t = fresh();
    const body = digestBody(t);
    (body.logFiles as Body[])[0]!.hashValue = createHash('sha256').update(content).digest('hex');
    rewrite(t, body);
    t.write(t.logs[0]!.key, bytes);
    return t;
  }

  // Regression, fixed (src/verifier/log-worker.ts, streaming path for files over 8 MiB): the read stream over the
  // worker's fd and the worker's own closeSync(fd) both close the descriptor (EBADF, and a node
  // "Warning: File descriptor N closed but not opened in unmanaged mode" on stderr); the task is
  // then reported corrupt, so an intact large log is `INVALID: invalid format` (10 runs out of 10
  // here; it passed once in an earlier build, hence 3 runs of the built CLI, after one in-process).
  it('an intact large log is valid, on every run', async () => {
    const t = large(gz);
    for (const run of [inProcess, spawned, spawned, spawned]) {
      const r = await run(t);
      expect(r.err).toBe('');
      expect(r.status).toBe(0);
    }
  });

  // Regression, fixed (src/verifier/log-worker.ts, streaming path for files over 8 MiB): the same fd race as for
  // truncated small logs. When gunzipMember stops early (bytes after the member) the task is
  // reported corrupt: `invalid format` instead of `unexpected data after end of compressed stream`.
  it('trailing zero bytes -> unexpected data after end of compressed stream, on every run', async () => {
    const t = large(Buffer.concat([gz, Buffer.alloc(16)]));
    await expectLogsInvalidEveryTime(t, [[t.bucket, t.logs[0]!.key, 'unexpected data after end of compressed stream']], 4);
  });

  // Regression, fixed (same race): a truncated large log is reported `invalid format` in some runs, a hash
  // mismatch (the reference's answer, §4) in others.
  it("truncated -> hash value doesn't match, on every run", async () => {
    const t = large(gz.subarray(0, gz.length >> 1));
    await expectLogsInvalidEveryTime(t, [[t.bucket, t.logs[0]!.key, "hash value doesn't match"]], 6);
  });

  // Regression, fixed (src/crypto/gzip.ts hang, reached through the worker's streaming path): invalid deflate data
  // in a large log makes the worker wait forever; the CLI never exits and prints nothing. Bounded to
  // 2.5 s in-process; 10 s through the built CLI (its start on a busy machine is part of the run).
  it('invalid deflate data -> invalid format', async () => {
    const t = large(Buffer.concat([gz.subarray(0, 10), Buffer.from([0xff, 0xff, 0xff, 0xff]), gz.subarray(14)]));
    await expectLogsInvalid(t, [[t.bucket, t.logs[0]!.key, 'invalid format']], 1, 2500);
    await expectLogsInvalid(t, [[t.bucket, t.logs[0]!.key, 'invalid format']], 1, 10_000, spawned);
  });
});

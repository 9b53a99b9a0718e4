import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import { buildTrail, createTestKey, STACK_FRAME, type TestKey, type Trail } from '../helpers/trail-builder.js';

/**
 * Fail closed through the CLI (issue 9), one spawn per behaviour. The permission cases need a user
 * that file modes apply to: as root, the CLI runs as `nobody` through setpriv; as another user, as
 * that user. Rule: what exists but cannot be read, or is not a regular file, stops the run with exit
 * 255 and one line naming it; only what is not there is `not found`.
 */
const IS_ROOT = process.getuid?.() === 0;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
const CAN_DROP = !IS_ROOT || SETPRIV !== undefined;
const RSS_PRELOAD = join(ROOT, 'test', 'helpers', 'rss-preload.mjs');

interface Run {
  status: number | null;
  out: string;
  err: string;
}

/** The CLI as a user without root's override of file modes. */
function runUnprivileged(args: readonly string[]): Run {
  const argv = [process.execPath, BIN, ...args];
  const [cmd, ...rest] = IS_ROOT ? [SETPRIV!, '--reuid=65534', '--regid=65534', '--clear-groups', ...argv] : argv;
  const r = spawnSync(cmd!, rest, { cwd: '/', timeout: 30_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1' } });
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString() };
}

/** The CLI with its peak RSS (kB) written by a preload at exit. */
function runMeasured(args: readonly string[], dir: string): Run & { maxRssMiB: number } {
  const rssFile = join(dir, 'rss.txt');
  const r = spawnSync(process.execPath, ['--import', RSS_PRELOAD, BIN, ...args], {
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: '1', TRAILPROOF_TEST_RSS_FILE: rssFile },
  });
  return { status: r.status, out: r.stdout.toString(), err: r.stderr.toString(), maxRssMiB: Number(readFileSync(rssFile, 'utf8')) / 1024 };
}

function expectStop(r: Run, naming: string): void {
  expect(r.status).toBe(255);
  expect(r.err).not.toMatch(STACK_FRAME);
  const lines = r.err.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(naming);
  // Never the verdicts of a run that could not look.
  expect(r.out).not.toContain('No digests found');
  expect(r.out).not.toContain('Results found');
}

let key: TestKey;
let trail: Trail;

beforeAll(() => {
  key = createTestKey();
});
beforeEach(() => {
  trail?.cleanup();
  trail = buildTrail({ key, hours: 3, logsPerHour: 2 });
  // mkdtemp makes the folder 0700: let the unprivileged user in.
  chmodSync(trail.dir, 0o755);
});
afterAll(() => trail?.cleanup());

const digestDay = () => dirname(trail.path(trail.digests[2]!.key));
const cases: Array<[string, () => string]> = [
  ['the bucket folder', () => join(trail.root, trail.bucket)],
  ['the CloudTrail-Digest folder', () => join(trail.root, trail.bucket, 'AWSLogs', trail.account, 'CloudTrail-Digest')],
  ['a digest folder', digestDay],
  ['a digest file', () => trail.path(trail.digests[1]!.key)],
  ['a log file', () => trail.path(trail.logs[2]!.key)],
  ['a log folder', () => dirname(trail.path(trail.logs[0]!.key))],
];

describe.skipIf(!CAN_DROP)('unreadable objects and folders (run without root privileges)', () => {
  it('baseline: the same unprivileged run of the untouched trail is all valid', () => {
    const r = runUnprivileged(trail.args());
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(cases)('%s that cannot be read stops the run with exit 255, naming it', (_what, target) => {
    const path = target();
    chmodSync(path, 0o000);
    expectStop(runUnprivileged(trail.args()), path);
  });

  it('--output json ends with an error record, never a summary with exit code 0', () => {
    chmodSync(digestDay(), 0o000);
    const r = runUnprivileged(trail.args(['--output', 'json']));
    expect(r.status).toBe(255);
    const last = JSON.parse(r.out.trim().split('\n').pop()!) as { kind: string; exitCode: number; message: string };
    expect(last.kind).toBe('error');
    expect(last.exitCode).toBe(255);
    expect(last.message).toContain(digestDay());
  });
});

describe('special files and escapes, through the log workers', () => {
  it('a FIFO in place of a log stops the run at once (no hang)', () => {
    const path = trail.path(trail.logs[3]!.key);
    rmSync(path);
    spawnSync('mkfifo', [path]);
    const r = trail.runSpawned([], 20_000);
    expectStop(r, path.slice(path.indexOf(trail.bucket)));
    expect(r.err).toContain('FIFO');
  });

  it('a signed digest naming a bucket whose folder links outside the root: the run stops, the outside file is not read', () => {
    const outside = join(trail.dir, 'outside');
    const d = trail.digests[2]!;
    const json = JSON.parse(d.raw.toString('utf8')) as { logFiles: Array<{ s3Bucket: string; s3Object: string }> };
    const log = trail.logs.find((l) => l.key === json.logFiles[0]!.s3Object)!;
    mkdirSync(dirname(join(outside, log.key)), { recursive: true });
    writeFileSync(join(outside, log.key), log.gz);
    symlinkSync(outside, join(trail.root, 'escape'));
    json.logFiles[0]!.s3Bucket = 'escape';
    trail.writeDigest(d.key, JSON.stringify(json));
    const r = trail.runSpawned();
    expectStop(r, 'leads outside the local root');
    expect(r.err).not.toContain('valid');
  });
});

describe('memory stays bounded for oversized digests', () => {
  it('a 512 MiB gzip bomb in place of a digest: too large, exit 255, small peak RSS', () => {
    const d = trail.digests[2]!;
    trail.write(d.key, gzipSync(Buffer.alloc(512 << 20, 0x20), { level: 1 }));
    const r = runMeasured(trail.args(), trail.dir);
    expectStop(r, 'inflates to more than 32 MiB');

    expect(r.maxRssMiB).toBeLessThan(250);
  });

  it('a signed digest listing 200,000 log files (past the limit): too large, exit 255, small peak RSS', () => {
    const d = trail.digests[2]!;
    const json = JSON.parse(d.raw.toString('utf8')) as { logFiles: unknown[] };
    const entry = json.logFiles[0];
    json.logFiles = Array.from({ length: 200_000 }, () => entry);
    trail.writeDigest(d.key, JSON.stringify(json));
    const r = runMeasured(trail.args(), trail.dir);
    expectStop(r, 'inflates to more than 32 MiB');

    expect(r.maxRssMiB).toBeLessThan(250);
  });
});

describe('a copy without signature sidecars', () => {
  it('keeps the report and adds one hint line at the end of stderr', () => {
    for (const d of trail.digests) rmSync(trail.sidecarPath(d.key));
    const r = trail.runSpawned();
    expect(r.status).toBe(1);
    const lines = r.err.split('\n').filter(Boolean);
    const report = lines.slice(0, -1);
    expect(report).toHaveLength(trail.digests.length);
    for (const line of report) expect(line).toMatch(/\tINVALID: signature verification failed$/);
    expect(lines.at(-1)).toMatch(/^hint: 3 digest file\(s\) .* export-signatures/);
  });

  it('gives no hint when sidecars are there (the reference vectors stay byte-identical)', () => {
    trail.tamperSignature(trail.digests[0]!.key, 5);
    const r = trail.runSpawned();
    expect(r.status).toBe(1);
    expect(r.err).not.toContain('hint:');
  });
});

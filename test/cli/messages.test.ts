import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { signCommand } from '../../src/cli/sign.js';
import { simulateCommand } from '../../src/cli/simulate.js';
import { counted } from '../../src/cli/plural.js';
import { ROOT, runCli, tempDir, type CliResult } from '../helpers/cli.js';

/** Issue 9: one-line messages without errno codes, the JSON error line, wording of counts and steps. */
const CLEAN = join(ROOT, 'test', 'vectors', 'clean');
const ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/oracle-trail';
const WINDOW = ['--start-time', '2024-02-28T21:05:19Z', '--end-time', '2024-02-29T03:05:19Z'];
const LOCAL = ['--s3-bucket', 'oracle-trail-bucket', '--local-root', join(CLEAN, 'root')];
const KEYS = ['--public-keys', join(CLEAN, 'keys.json')];

let dir: { path: string; cleanup: () => void };
beforeAll(() => {
  dir = tempDir('trailproof-messages-');
});
afterAll(() => dir.cleanup());

/** A stopped run: exit 255, nothing on stdout, one line on stderr after an empty line, no errno code. */
function stoppedWithOneLine(r: CliResult, pattern: RegExp): void {
  expect(r.status).toBe(255);
  expect(r.out).toBe('');
  expect(r.err).toMatch(/^\n[^\n]+\n$/);
  expect(r.err).toMatch(pattern);
  expect(r.err).not.toMatch(/\bE[A-Z]{3,}\b|internal error/);
}

describe('a key store folder that does not exist', () => {
  const missing = () => join(dir.path, 'no-such-keys');

  it('stops validate-logs before the header (not "No public keys found")', () => {
    stoppedWithOneLine(
      runCli(['validate-logs', '--trail-arn', ARN, ...WINDOW, ...LOCAL, '--keys-dir', missing()]),
      /^\nKey store folder .*no-such-keys does not exist\n$/,
    );
  });

  it('stops keys list and list-public-keys (not an empty answer with exit 0)', () => {
    stoppedWithOneLine(runCli(['keys', 'list', '--keys-dir', missing()]), /Key store folder .*no-such-keys does not exist/);
    stoppedWithOneLine(runCli(['list-public-keys', '--keys-dir', missing()]), /Key store folder .*no-such-keys does not exist/);
  });

  it('a regular file is not a folder', () => {
    const file = join(dir.path, 'a-file');
    writeFileSync(file, 'x');
    stoppedWithOneLine(runCli(['list-public-keys', '--keys-dir', file]), /Key store folder .*a-file is not a folder/);
  });
});

describe('keys files', () => {
  it('a keys file that is not JSON is one line naming the file, whatever its text', () => {
    const file = join(dir.path, 'multi-line.json');
    writeFileSync(file, '{"PublicKeyList":\n  [\n  {oops}\n]}\n');
    const r = runCli(['validate-logs', '--trail-arn', ARN, ...WINDOW, ...LOCAL, '--public-keys', file]);
    stoppedWithOneLine(r, /^\nPublic keys file .*multi-line\.json: not JSON \(/);
    expect(r.err).not.toContain('oops');
  });

  it('a missing keys file says it does not exist', () => {
    stoppedWithOneLine(
      runCli(['list-public-keys', '--public-keys', join(dir.path, 'absent.json')]),
      /Cannot read public keys file .*absent\.json: does not exist/,
    );
  });
});

describe('validate-logs --output json', () => {
  const json = ['--output', 'json'];
  // stderr stays as it was: the message for a run stopped before the report starts; nothing for one
  // stopped inside the report (JsonReport writes the error line itself, src/verifier/report-json.ts).
  it.each<[string, string[], 'message' | 'nothing']>([
    ['a bad date', ['--trail-arn', ARN, '--start-time', 'not a date', ...LOCAL, ...KEYS], 'message'],
    ['a bad ARN', ['--trail-arn', 'arn:aws:s3:::bucket', ...WINDOW, ...LOCAL, ...KEYS], 'message'],
    ['a reversed time range', ['--trail-arn', ARN, '--start-time', '2024-02-29T03:05:19Z', '--end-time', '2024-02-28T21:05:19Z', ...LOCAL, ...KEYS], 'message'],
    ['a bad keys file', ['--trail-arn', ARN, ...WINDOW, ...LOCAL, '--public-keys', join(ROOT, 'package.json')], 'message'],
    ['a missing key store', ['--trail-arn', ARN, ...WINDOW, ...LOCAL, '--keys-dir', join(ROOT, 'no-such-folder')], 'message'],
    ['a missing bucket', ['--trail-arn', ARN, ...WINDOW, '--s3-bucket', 'no-such-bucket', '--local-root', join(CLEAN, 'root'), ...KEYS], 'nothing'],
  ])('%s: the last stdout line is the error (exit 255)', (_name, args, stderr) => {
    const text = runCli(['validate-logs', ...args]);
    const r = runCli(['validate-logs', ...args, ...json]);
    expect(r.status).toBe(255);
    expect(text.status).toBe(255);
    expect(r.err).toBe(stderr === 'message' ? text.err : '');
    const last = r.out.trimEnd().split('\n').pop()!;
    expect(JSON.parse(last)).toEqual({ kind: 'error', message: text.err.trim(), exitCode: 255 });
  });

  it('a usage error ends stdout with an error line with exit code 2 when --output json was given', () => {
    const args = ['validate-logs', '--start-time', '2024-02-28T21:05:19Z', ...LOCAL];
    const text = runCli(args);
    const r = runCli([...args, '--output=json']);
    expect(r.status).toBe(2);
    expect(r.err).toBe(text.err);
    expect(text.out).toBe('');
    expect(
      r.out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual([{ kind: 'error', message: 'the following arguments are required: --trail-arn', exitCode: 2 }]);
  });
});

describe('demo', () => {
  it('--dir naming a regular file is a one-line error', () => {
    const file = join(dir.path, 'demo-file');
    writeFileSync(file, 'x');
    stoppedWithOneLine(runCli(['demo', '--dir', file]), /--dir .*demo-file: is not a folder/);
  });

  it('numbers its steps 1, 2, 3, ... and detects the tampering (exit 0)', () => {
    const r = runCli(['demo', '--dir', join(dir.path, 'demo')]);
    expect(r.status).toBe(0);
    const steps = [...r.out.matchAll(/^(?:== )?(\d+)\. /gm)].map((m) => Number(m[1]));
    expect(steps.length).toBeGreaterThanOrEqual(5);
    expect(steps).toEqual(steps.map((_, i) => i + 1));
    expect(r.out).not.toMatch(/\b1 \w+s\b/);
  });
});

describe('counts', () => {
  it('counted() agrees in number', () => {
    expect(counted(1, 'digest')).toBe('1 digest');
    expect(counted(0, 'digest')).toBe('0 digests');
    expect(counted(2, 'log file')).toBe('2 log files');
  });

  it('sign and simulate print "1 digest", "1 log file", and simulate names the local folder', async () => {
    const root = join(dir.path, 'one');
    mkdirSync(root);
    const keysDir = join(dir.path, 'one-keys');
    await copyKeyStore(TEST_KEYS, keysDir);
    let simulated = '';
    await simulateCommand(
      [
        '--local-root',
        root,
        '--bucket',
        'one-bucket',
        '--account',
        '111122223333',
        '--regions',
        'us-east-1',
        '--start-time',
        '2024-05-01T00:00:00Z',
        '--hours',
        '1',
        '--files-per-hour',
        '1',
        '--records-per-file',
        '1',
      ],
      { out: (t) => (simulated += t) },
    );
    expect(simulated.startsWith(`Wrote 1 log file (1 record) to ${join(root, 'one-bucket')}: `)).toBe(true);
    expect(simulated).not.toContain('s3://');
    let signed = '';
    const rc = await signCommand(
      [
        '--keys-dir',
        keysDir,
        '--trail-arn',
        'arn:aws:cloudtrail:us-east-1:111122223333:trail/one',
        '--s3-bucket',
        'one-bucket',
        '--local-root',
        root,
        '--start-time',
        '2024-05-01T00:00:00Z',
        '--until',
        '2024-05-01T01:00:00Z',
        '--now',
        '2024-05-01T01:00:00Z',
      ],
      { out: (t) => (signed += t), err: () => undefined },
    );
    expect(rc).toBe(0);
    expect(signed).toMatch(/: signed 1 digest \(1 log file\) from /);
  });
});

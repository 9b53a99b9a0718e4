import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainLock } from '../../src/cli/sign-safety.js';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { digestListPrefix, logKey } from '../../src/format/names.js';
import { formatDisplay, MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { acquireLock } from '../../src/util/lock.js';
import { TEMP_MARK } from '../../src/util/temp-files.js';
import { startCli } from '../helpers/cli-async.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * `sign`'s safety through the built CLI, once per behaviour: interrupts, the chain lock seen from
 * another process, the warnings (each with a command that, run as printed, fixes what it names),
 * and the 7-day rule. Runs that only set the scene or check the result (a first sign, validate-logs)
 * are in-process.
 */
const BUCKET = 'safe-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/safe`;
const T0 = parseDate('2024-05-01T00:00:00Z').clock;
const H = MICROS_PER_HOUR;
const SCOPE = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'safe' };
let dir: { path: string; cleanup: () => void };
let n = 0;

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

async function archive(hours: number, regions = ['us-east-1'], filesPerHour = 2): Promise<{ root: string; keysDir: string }> {
  const root = join(dir.path, `root-${n}`);
  const keysDir = join(dir.path, `keys-${n++}`);
  await copyKeyStore(TEST_KEYS, keysDir);
  await simulateDelivery(new LocalStore(root), { bucket: BUCKET, account: ACCOUNT, regions, start: T0, hours, filesPerHour, recordsPerFile: 1, seed: 'safe' });
  return { root, keysDir };
}

const signArgs = (root: string, keysDir: string, extra: string[]): string[] => [
  'sign',
  '--keys-dir',
  keysDir,
  '--trail-arn',
  ARN,
  '--s3-bucket',
  BUCKET,
  '--local-root',
  root,
  ...extra,
];

function validate(root: string, keysDir: string, hours: number, region = 'us-east-1') {
  return runInProcess([
    'validate-logs',
    '--trail-arn',
    ARN,
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--keys-dir',
    keysDir,
    '--region',
    region,
    '--start-time',
    formatDisplay(T0),
    '--end-time',
    formatDisplay(T0 + hours * H),
  ]);
}

function files(folder: string, keep: (name: string) => boolean): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder).flatMap((name) => {
    const p = join(folder, name);
    return statSync(p).isDirectory() ? files(p, keep) : keep(name) ? [p] : [];
  });
}
const digests = (root: string): string[] => files(join(root, BUCKET, digestListPrefix(SCOPE)), (n) => n.endsWith('.json.gz'));
const temps = (root: string): string[] => files(root, (n) => n.startsWith(TEMP_MARK));

/** The command a warning prints after `with: `, as argv for the CLI (the paths here need no quoting). */
function suggested(stderr: string, pattern: RegExp): string[] {
  const line = stderr.split('\n').find((l) => pattern.test(l));
  expect(line, stderr).toBeDefined();
  const words = line!.slice(line!.lastIndexOf('with: ') + 6).split(' ');
  expect(words.slice(0, 2)).toEqual(['trailproof', 'sign']);
  return words.slice(1);
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** stderr without the notices of the test keys' rotation. */
const withoutRotation = (err: string): string => err.replace(/^rotated .*\n/gm, '');

describe('an interrupted sign', () => {
  it('stops on SIGINT (130) and SIGTERM (143), leaves no temporary file or lock, and the next run resumes the chain', async () => {
    // Long enough that the signals land mid-run (the first after the first digest, on any machine).
    const HOURS = 1500;
    const { root, keysDir } = await archive(HOURS, ['us-east-1'], 1);
    const args = signArgs(root, keysDir, ['--until', formatDisplay(T0 + HOURS * H)]);

    const first = startCli(args);
    await until(() => digests(root).length > 0, 'the first digest');
    first.child.kill('SIGINT');
    const a = await first.done;
    expect(a.status, a.err).toBe(130);
    const written = digests(root).length;
    expect(written).toBeLessThan(HOURS);
    // The test keys rotate us-east-1 at 03:00 (a `rotated ...` notice when the run gets that far).
    expect(withoutRotation(a.err)).toBe(`interrupted: ${written} digests written; re-running sign resumes the chain\n`);
    expect(a.out).toBe('');
    expect(temps(root)).toEqual([]);
    expect(readdirSync(join(keysDir, '.locks')).filter((f) => !f.startsWith('.'))).toEqual([]);

    // A crashed run's leftovers (older than an hour) go at the start of the next run.
    const day = join(root, BUCKET, digestListPrefix(SCOPE), '2024', '05', '01');
    const leftover = join(day, `${TEMP_MARK}0123456789ab`);
    writeFileSync(leftover, 'partial');
    const old = (Date.now() - 2 * 3600_000) / 1000;
    utimesSync(leftover, old, old);

    const second = startCli(args);
    await until(() => digests(root).length > written, 'a digest of the second run');
    second.child.kill('SIGTERM');
    const b = await second.done;
    expect(b.status, b.err).toBe(143);
    expect(withoutRotation(b.err)).toMatch(
      /^removed 1 temporary file\(s\) left by an interrupted run in s3:\/\/safe-bucket\/AWSLogs\/111122223333\/CloudTrail-Digest\/us-east-1\/\ninterrupted: \d+ digests written; re-running sign resumes the chain\n$/,
    );
    expect(temps(root)).toEqual([]);

    const third = runCli(args, { timeout: 300_000 });
    expect(third.status, third.err).toBe(0);
    expect(withoutRotation(third.err)).toBe('');
    expect(third.err.includes('\r')).toBe(false); // no progress line when stderr is no terminal
    expect(digests(root)).toHaveLength(HOURS);
    const v = await validate(root, keysDir, HOURS);
    expect(v.status, v.err).toBe(0);
    expect(v.out).toContain(`${HOURS}/${HOURS} digest files valid\n${HOURS}/${HOURS} log files valid\n`);
  }, 600_000);
});

describe('another signer holding the chain', () => {
  it('is waited for (one line), and with --lock-wait 0 the run refuses at once (255) and writes nothing', async () => {
    const { root, keysDir } = await archive(3);
    const id = chainLock({ root }, BUCKET, SCOPE);
    const lock = await acquireLock(new KeyStore(keysDir).lockPath(id.name), { what: id.what, waitMs: 0 });
    const args = signArgs(root, keysDir, ['--until', formatDisplay(T0 + 3 * H)]);
    let released = false;
    try {
      const refused = runCli([...args, '--lock-wait', '0']);
      expect(refused.status).toBe(255);
      expect(refused.err).toBe(
        `\nAnother signer holds the lock of s3://${BUCKET}/${digestListPrefix(SCOPE)} in ${root} (pid ${process.pid} on ${(await import('node:os')).hostname()}, since ${refused.err.match(/since (\S+)\)/)![1]}): try again when it is done\n`,
      );
      expect(digests(root)).toEqual([]);

      const waiting = startCli(args);
      await until(() => waiting.stderrSoFar().includes('\n'), 'the waiting line');
      expect(waiting.stderrSoFar()).toMatch(
        new RegExp(`^waiting for another signer \\(pid ${process.pid} on .*\\) to finish with s3://${BUCKET}/.* \\(up to 300 s\\)\\.\\.\\.\\n$`),
      );
      expect(digests(root)).toEqual([]);
      await lock.release();
      released = true;
      const r = await waiting.done;
      expect(r.status, r.err).toBe(0);
      expect(r.out).toBe(`${ACCOUNT} us-east-1: signed 3 digests (6 log files) from 2024-05-01T00:00:00Z to 2024-05-01T03:00:00Z\n`);
    } finally {
      if (!released) await lock.release();
    }
  }, 300_000);
});

describe('warnings', () => {
  it('names the regions a run without --regions leaves out, with a --regions command that signs them', async () => {
    const { root, keysDir } = await archive(3, ['us-east-1', 'eu-west-1', 'ap-south-1']);
    const r = runCli(signArgs(root, keysDir, ['--until', formatDisplay(T0 + 3 * H)]));
    expect(r.status, r.err).toBe(0);
    expect(r.out).toBe(`${ACCOUNT} us-east-1: signed 3 digests (6 log files) from 2024-05-01T00:00:00Z to 2024-05-01T03:00:00Z\n`);
    expect(r.err).toBe(
      `warning: log files of 2 other region(s) under s3://${BUCKET}/AWSLogs/${ACCOUNT}/CloudTrail/ are not signed (ap-south-1, eu-west-1): without --regions, sign signs us-east-1 only. ` +
        `Sign them too with: trailproof sign ${signArgs(root, keysDir, ['--until', '2024-05-01T03:00:00Z']).slice(1).join(' ')} --regions us-east-1,ap-south-1,eu-west-1\n` +
        'rotated us-east-1 from key 7709b8c6cb2b405be24aa7bd0ef0f402 to eaa30b58a1a1b30b4bbc8ef13106ab69: digests from 2024-05-01T02:00:00Z on are signed with it\n',
    );
    await new KeyStore(keysDir).create('ap-south-1', T0); // the test keys have none there
    const fix = runCli(suggested(r.err, /other region/));
    expect(fix.status, fix.err).toBe(0);
    expect(fix.err).toBe('');
    expect(fix.out).toContain('eu-west-1: signed 3 digests');
    const v = await validate(root, keysDir, 3, 'ap-south-1');
    expect(v.status, v.err).toBe(0);
  }, 120_000);

  it('counts the logs a new chain leaves behind, and its --backfill command signs them', async () => {
    const { root, keysDir } = await archive(6);
    expect((await runInProcess(signArgs(root, keysDir, ['--until', formatDisplay(T0 + 2 * H)]))).status).toBe(0);
    const r = runCli(signArgs(root, keysDir, ['--new-chain', '--start-time', formatDisplay(T0 + 4 * H), '--until', formatDisplay(T0 + 6 * H)]));
    expect(r.status, r.err).toBe(0);
    expect(r.err).toMatch(
      /^warning: 4 log file\(s\) of 111122223333 us-east-1 delivered before the new chain's start \(2024-05-01T04:00:00Z\) stay unsigned \(the oldest delivered 2024-05-01T02:\d\d:00Z\): sign them with: trailproof sign .* --account-id 111122223333 --regions us-east-1 --backfill --start-time 2024-05-01T02:00:00Z\n$/,
    );
    const fix = runCli(suggested(r.err, /new chain/));
    expect(fix.status, fix.err).toBe(0);
    expect(fix.out).toContain('signed 2 backfill digests (4 log files)');
    const v = await validate(root, keysDir, 6);
    expect(v.status).toBe(0);
    expect(v.out).toContain('12/12 log files valid');
  }, 120_000);

  it('counts late logs beyond the look-back, and its --backfill command signs them', async () => {
    const { root, keysDir } = await archive(8);
    expect((await runInProcess(signArgs(root, keysDir, ['--until', formatDisplay(T0 + 6 * H), '--lookback-hours', '2']))).status).toBe(0);
    const store = new LocalStore(root);
    await store.put(BUCKET, logKey({ account: ACCOUNT }, 'us-east-1', T0 + H + 10 * 60e6, 'LateArrivalAAAAA'), gzipSync('{"Records":[]}'));
    const r = runCli(signArgs(root, keysDir, ['--until', formatDisplay(T0 + 8 * H), '--lookback-hours', '2']));
    expect(r.status).toBe(0);
    expect(r.err).toMatch(
      /^warning: 1 log file\(s\) of 111122223333 us-east-1 arrived after the look-back \(--lookback-hours 2\) and stay unsigned \(the oldest delivered 2024-05-01T01:10:00Z\): sign them with: trailproof sign .* --backfill --start-time 2024-05-01T01:00:00Z\n$/,
    );
    const fix = runCli(suggested(r.err, /look-back/));
    expect(fix.status, fix.err).toBe(0);
    expect(fix.out).toContain('signed 1 backfill digest (1 log file)');
    expect((await validate(root, keysDir, 8)).out).toContain('17/17 log files valid');
  }, 120_000);
});

describe('the 7-day rule', () => {
  it('refuses more than 168 empty hours without --until (255, nothing written); --yes signs them', async () => {
    const { root, keysDir } = await archive(5);
    const args = signArgs(root, keysDir, ['--now', formatDisplay(T0 + 200 * H)]);
    const r = runCli(args);
    expect(r.status).toBe(255);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      `\nRefusing to sign 195 hours without any log file for ${ACCOUNT} us-east-1 (2024-05-01T00:00:00Z to 2024-05-09T08:00:00Z): more than 168 (7 days). ` +
        `Give --until T to sign up to T, or confirm with: trailproof sign ${args.slice(1).join(' ')} --yes\n`,
    );
    expect(digests(root)).toEqual([]);
    const yes = runCli([...args, '--yes']);
    expect(yes.status, yes.err).toBe(0);
    expect(yes.out).toContain('signed 200 digests (10 log files)');
  }, 120_000);
});

describe('key notices', () => {
  it('name the key a backfill makes and the command that publishes it', async () => {
    const { root } = await archive(3);
    const keysDir = join(dir.path, `short-keys-${n++}`);
    await new KeyStore(keysDir).create('us-east-1', T0, 2, 1);
    // A backfill signs with the key active at --now: past the first key's rotation point.
    const r = runCli(signArgs(root, keysDir, ['--backfill', '--now', formatDisplay(T0 + 30 * H)]));
    expect(r.status, r.err).toBe(0);
    const m =
      /^created key ([0-9a-f]{32}) for us-east-1, valid from 2024-05-02T00:00:00Z to 2024-06-01T00:00:00Z \(successor of [0-9a-f]{32}\): publish it with (trailproof list-public-keys .*)\n$/.exec(
        r.err,
      );
    expect(m, r.err).not.toBeNull();
    const publish = runCli(m![2]!.split(' ').slice(1));
    expect(publish.status).toBe(0);
    expect(publish.out).toContain(m![1]!);
  }, 120_000);
});

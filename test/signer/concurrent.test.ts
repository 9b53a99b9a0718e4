import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { signRegion, type SignOptions } from '../../src/signer/sign.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import type { ObjectStore } from '../../src/store/types.js';
import { BIN, ROOT, tempDir, type CliResult } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * Issue 14: signers that no lock serializes (other machines, other key stores) on one archive end
 * with one intact chain: digests are written once (an exclusive create here; S3: test/s3), and the
 * signer that loses says so and writes nothing more of that chain.
 */
const BUCKET = 'race-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/race`;
const T0 = parseDate('2024-05-01T00:00:00Z').clock;
const H = MICROS_PER_HOUR;

let dir: { path: string; cleanup: () => void };
let root: string;

beforeEach(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  await simulateDelivery(new LocalStore(root), {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: T0,
    hours: 24,
    filesPerHour: 2,
    recordsPerFile: 3,
    seed: 'race',
  });
});
afterEach(() => dir.cleanup());

const scope = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'race' };
const digestFolder = () => join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');

async function validate(keysDir: string, end = '2024-05-02T00:00:00Z'): Promise<CliResult> {
  return runInProcess([
    'validate-logs',
    '--trail-arn',
    ARN,
    '--start-time',
    '2024-05-01T00:00:00Z',
    '--end-time',
    end,
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--keys-dir',
    keysDir,
  ]);
}

describe('a signer that read the chain before another one extended it', () => {
  it('stops that chain at the first digest the other wrote, overwriting nothing', async () => {
    const keysA = join(dir.path, 'a');
    await copyKeyStore(TEST_KEYS, keysA);
    const keysB = join(dir.path, 'b');
    await new KeyStore(keysB).create('us-east-1', T0); // another key: B's digests differ from A's
    const store = new LocalStore(root);
    // B continues A's chain: it is told to trust A's keys (--trust-public-keys), as it must be.
    const trustA = await new KeyStore(keysA).publicEntries();
    const options = (keys: KeyStore, s: ObjectStore, until: number): SignOptions => ({
      store: s,
      keys,
      trusted: trustA,
      bucket: BUCKET,
      scope,
      until,
      lookback: 24 * H,
      concurrency: 4,
      now: () => T0 + 30 * H,
      warn: () => undefined,
    });
    await signRegion(options(new KeyStore(keysA), store, T0 + 2 * H));
    const before = readdirSync(digestFolder()).sort();
    await signRegion(options(new KeyStore(keysA), store, T0 + 4 * H));
    const written = readdirSync(digestFolder()).filter((n) => !before.includes(n));
    // B's view of the bucket is from before A's last run: A's two new digests are not listed yet.
    const stale: ObjectStore = {
      ...store,
      kind: 'local',
      get: store.get.bind(store),
      getBytes: store.getBytes.bind(store),
      put: store.put.bind(store),
      delete: store.delete.bind(store),
      list: (bucket, o) => filtered(store.list(bucket, o), (k) => !written.some((w) => k.endsWith(w))),
    };
    const snapshot = written.map((n) => readFileSync(join(digestFolder(), n)).toString('hex'));
    const r = await signRegion(options(new KeyStore(keysB), stale, T0 + 6 * H));
    expect(r.takenAt).toMatch(/_20240501T030000Z\.json\.gz$/);
    expect(r.digests).toBe(0);
    expect(written.map((n) => readFileSync(join(digestFolder(), n)).toString('hex'))).toEqual(snapshot);
    // And A's chain goes on from there, intact.
    await signRegion(options(new KeyStore(keysA), store, T0 + 6 * H));
    const v = await validate(keysA, '2024-05-01T06:00:00Z');
    expect(v.out).toContain('6/6 digest files valid');
    expect(v.status).toBe(0);
  });
});

async function* filtered(keys: AsyncIterable<string>, keep: (k: string) => boolean): AsyncGenerator<string> {
  for await (const k of keys) if (keep(k)) yield k;
}

function spawnCli(args: readonly string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (status) => {
      const stdout = Buffer.concat(out);
      const stderr = Buffer.concat(err);
      resolve({ stdout, stderr, status, out: stdout.toString('utf8'), err: stderr.toString('utf8') });
    });
  });
}

describe('signer processes with key stores of their own, at once, on one local root', () => {
  it('end with one intact chain: every hour signed once, all valid', async () => {
    const stores = await Promise.all(
      [1, 2, 3].map(async (i) => {
        const k = join(dir.path, `keys-${i}`);
        await copyKeyStore(TEST_KEYS, k); // the same keys, but each its own lock folder
        return k;
      }),
    );
    const runs = await Promise.all(
      stores.map((k) =>
        spawnCli(['sign', '--keys-dir', k, '--trail-arn', ARN, '--s3-bucket', BUCKET, '--local-root', root, '--until', '2024-05-02T00:00:00Z']),
      ),
    );
    for (const r of runs) {
      expect(r.status, r.err).toBe(0);
      expect(r.err.replace(/^rotated .*\n/gm, '')).toMatch(
        /^(?:notice: another signer wrote s3:\/\/race-bucket\/\S+ first: this run left the chain of 111122223333 us-east-1 to it from there \(nothing was overwritten; re-running sign continues after its digests\)\n)?$/,
      );
    }
    // The last digest ends at 2024-05-02T00:00:00Z: its day folder is the next one.
    const paths = [digestFolder(), digestFolder().replace(/01$/, '02')].flatMap((f) =>
      readdirSync(f)
        .filter((n) => n.endsWith('.json.gz'))
        .map((n) => join(f, n)),
    );
    expect(paths).toHaveLength(24);
    const all = paths.map((p) => JSON.parse(gunzipSync(readFileSync(p)).toString('utf8')) as { logFiles: unknown[] });
    expect(all.reduce((n, d) => n + d.logFiles.length, 0)).toBe(48);
    const v = await validate(stores[0]!);
    expect(v.out).toContain('24/24 digest files valid');
    expect(v.out).toContain('48/48 log files valid');
    expect(v.status).toBe(0);
  }, 120_000);
});

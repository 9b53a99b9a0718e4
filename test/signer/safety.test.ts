import { mkdirSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { digestListPrefix, logKey, type DigestScope } from '../../src/format/names.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore, type KeyRecord } from '../../src/keys/keystore.js';
import { entriesSource } from '../../src/keys/source.js';
import { backfillRegion } from '../../src/signer/backfill.js';
import { GuardedStore } from '../../src/signer/guarded-store.js';
import { regionsWithLogs } from '../../src/signer/regions.js';
import { signRegion, type SignOptions } from '../../src/signer/sign.js';
import { removeStaleTempFiles, removeTempFiles, TEMP_MARK } from '../../src/util/temp-files.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import type { ObjectStore } from '../../src/store/types.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { TextReport } from '../../src/verifier/report-text.js';
import { runValidation } from '../../src/verifier/validate.js';
import { tempDir } from '../helpers/cli.js';

/** What the signer tells about logs it leaves unsigned, the empty-hours guard, key notices, temporary files. */
const BUCKET = 'safety-bucket';
const ACCOUNT = '111122223333';
const T0 = parseDate('2024-05-01T00:00:00Z').clock;
const H = MICROS_PER_HOUR;
const SCOPE: DigestScope = { account: ACCOUNT, sourceRegion: 'eu-west-1', homeRegion: 'eu-west-1', trailName: 'safe' };
let dir: { path: string; cleanup: () => void };
let n = 0;

beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

async function archive(hours: number, regions = ['eu-west-1']): Promise<{ root: string; store: LocalStore; keys: KeyStore; keysDir: string }> {
  const root = join(dir.path, `root-${n}`);
  const keysDir = join(dir.path, `keys-${n++}`);
  await copyKeyStore(TEST_KEYS, keysDir);
  const store = new LocalStore(root);
  await simulateDelivery(store, { bucket: BUCKET, account: ACCOUNT, regions, start: T0, hours, filesPerHour: 2, recordsPerFile: 1, seed: 's' });
  return { root, store, keys: new KeyStore(keysDir), keysDir };
}

function options(store: ObjectStore, keys: KeyStore, until: number, extra: Partial<SignOptions> = {}): SignOptions {
  return { store, keys, bucket: BUCKET, scope: SCOPE, until, lookback: 24 * H, concurrency: 4, now: () => T0 + 100 * H, warn: () => undefined, ...extra };
}

async function validate(store: ObjectStore, keys: KeyStore, end: number) {
  const out = memoryOutput();
  return runValidation(
    { store, keys: entriesSource(await keys.publicEntries()), scope: SCOPE, bucket: BUCKET, start: T0, end },
    new TextReport(out, false, 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/safe'),
  );
}

function digestCount(root: string): number {
  const walk = (d: string): number =>
    existsSync(d)
      ? readdirSync(d).reduce((s, name) => s + (statSync(join(d, name)).isDirectory() ? walk(join(d, name)) : name.endsWith('.json.gz') ? 1 : 0), 0)
      : 0;
  return walk(join(root, BUCKET, digestListPrefix(SCOPE)));
}

describe('logs a run leaves unsigned', () => {
  it("counts late logs that arrive after the look-back, and backfill from the oldest one's hour signs them", async () => {
    const { store, keys } = await archive(8);
    expect((await signRegion(options(store, keys, T0 + 6 * H, { lookback: 2 * H }))).beyondLookback).toBeUndefined();
    // Two late files, delivered (named) at 01:10 and 02:20, written after their hours were signed.
    for (const [at, id] of [
      [T0 + H + 10 * 60e6, 'LateArrivalAAAAA'],
      [T0 + 2 * H + 20 * 60e6, 'LateArrivalBBBBB'],
    ] as const) {
      await store.put(BUCKET, logKey({ account: ACCOUNT }, 'eu-west-1', at, id), gzipSync('{"Records":[]}'));
    }
    const r = await signRegion(options(store, keys, T0 + 8 * H, { lookback: 2 * H }));
    expect(r.digests).toBe(2);
    expect(r.beyondLookback).toEqual({ count: 2, oldest: T0 + H + 10 * 60e6 });
    const b = await backfillRegion({ ...options(store, keys, T0 + 8 * H), from: T0 + H });
    expect(b.logFiles).toBe(2);
    const summary = await validate(store, keys, T0 + 8 * H);
    expect(summary.exitCode).toBe(0);
    expect(summary.logs).toEqual({ valid: 18, invalid: 0 });
    // Now referenced: no longer counted.
    expect((await signRegion(options(store, keys, T0 + 8 * H, { lookback: 2 * H }))).beyondLookback).toBeUndefined();
  });

  it("counts the logs before a new chain's start that no digest references", async () => {
    const { store, keys } = await archive(8);
    await signRegion(options(store, keys, T0 + 3 * H));
    const r = await signRegion(options(store, keys, T0 + 8 * H, { newChainAt: T0 + 5 * H }));
    expect(r.digests).toBe(3);
    expect(r.beforeNewChain?.count).toBe(4); // 03:00-05:00, two files an hour
    expect(r.beforeNewChain!.oldest).toBeGreaterThanOrEqual(T0 + 3 * H);
    expect(r.beforeNewChain!.oldest).toBeLessThan(T0 + 4 * H);
  });
});

describe('the empty-hours guard', () => {
  const limit = { max: 168, refuse: (empty: number, from: number, to: number) => new Error(`refused ${empty} ${(to - from) / H}`) };

  it('refuses a run of more than the limit of empty hours and writes nothing', async () => {
    const { root, store, keys } = await archive(5);
    await expect(signRegion(options(store, keys, T0 + 200 * H, { emptyHours: limit }))).rejects.toThrow('refused 195 200');
    expect(digestCount(root)).toBe(0);
    await signRegion(options(store, keys, T0 + 5 * H, { emptyHours: limit }));
    expect(digestCount(root)).toBe(5);
    // From the chain's head: 5 + 169 windows, all empty.
    await expect(signRegion(options(store, keys, T0 + 174 * H, { emptyHours: limit }))).rejects.toThrow('refused 169 169');
    expect(digestCount(root)).toBe(5);
  });

  it('lets a long run through when its hours hold logs, and any run up to the limit', async () => {
    const { root, store, keys } = await archive(180);
    const r = await signRegion(options(store, keys, T0 + 190 * H, { emptyHours: limit }));
    expect(r.digests).toBe(190);
    await signRegion(options(store, keys, T0 + 358 * H, { emptyHours: limit }));
    expect(digestCount(root)).toBe(358);
  });
});

describe('key notices', () => {
  it('tell each key a run makes, with its predecessor', async () => {
    const { store } = await archive(30);
    const keysDir = join(dir.path, `fresh-keys-${n++}`);
    const keys = new KeyStore(keysDir);
    const first = await keys.create('eu-west-1', T0, 2, 1);
    const told: Array<[KeyRecord, KeyRecord]> = [];
    await signRegion(options(store, keys, T0 + 30 * H, { onKeyCreated: (k, p) => told.push([k, p]) }));
    expect(told.map(([k, p]) => [k.validFrom, p.fingerprint])).toEqual([[T0 + 24 * H, first.fingerprint]]);
  });
});

describe('temporary files', () => {
  const tmp = (folder: string, name: string, ageMs: number): string => {
    mkdirSync(folder, { recursive: true });
    const p = join(folder, name);
    writeFileSync(p, 'x');
    const t = (Date.now() - ageMs) / 1000;
    utimesSync(p, t, t);
    return p;
  };

  it('are what the local store hides: never listed as objects', async () => {
    const root = join(dir.path, `tmp-root-${n++}`);
    const store = new LocalStore(root);
    await store.put(BUCKET, 'a/b.json.gz', Buffer.from('x'));
    tmp(join(root, BUCKET, 'a'), `${TEMP_MARK}0123456789ab`, 0);
    const keys: string[] = [];
    for await (const k of store.list(BUCKET, { prefix: '' })) keys.push(k);
    expect(keys).toEqual(['a/b.json.gz']);
  });

  it("older than the limit are removed from a chain's digest folders (and only there), newer ones and objects stay", async () => {
    const root = join(dir.path, `tmp-root-${n++}`);
    const chain = join(root, BUCKET, digestListPrefix(SCOPE));
    const old = tmp(join(chain, '2024', '05', '01'), `${TEMP_MARK}old`, 2 * 3600_000);
    const young = tmp(join(chain, '2024', '05', '01'), `${TEMP_MARK}young`, 60_000);
    const object = tmp(join(chain, '2024', '05', '01'), 'x.json.gz', 2 * 3600_000);
    const elsewhere = tmp(join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail'), `${TEMP_MARK}old`, 2 * 3600_000);
    // A link out of the chain's folder is not followed.
    const outside = tmp(join(dir.path, `outside-${n++}`), `${TEMP_MARK}old`, 2 * 3600_000);
    symlinkSync(join(outside, '..'), join(chain, '2024', 'link'));
    expect(await removeStaleTempFiles(root, BUCKET, digestListPrefix(SCOPE), 3600_000)).toBe(1);
    expect([old, young, object, elsewhere, outside].map((p) => existsSync(p))).toEqual([false, true, true, true, true]);
    expect(await removeStaleTempFiles(root, BUCKET, '../x', 0)).toBe(0);
  });

  it("of given folders are removed whatever their age (an interrupted run's own)", async () => {
    const root = join(dir.path, `tmp-root-${n++}`);
    const a = tmp(join(root, BUCKET, 'k', 'd'), `${TEMP_MARK}1`, 0);
    const b = tmp(join(root, BUCKET, 'k'), `${TEMP_MARK}2`, 0);
    expect(await removeTempFiles(root, BUCKET, ['k/d'])).toBe(1);
    expect([existsSync(a), existsSync(b)]).toEqual([false, true]);
  });
});

describe('GuardedStore', () => {
  it('counts whole writes and their folders; after stop, no write starts and those under way end', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const written: string[] = [];
    const inner: ObjectStore = {
      kind: 'local',
      list: async function* () {},
      get: async () => undefined,
      delete: async () => undefined,
      put: async (_b, key) => {
        await gate;
        written.push(key);
      },
    };
    const seen: string[] = [];
    const g = new GuardedStore(inner, (_b, k) => seen.push(k));
    const first = g.put('b', 'x/y/one', new Uint8Array());
    const stopping = g.stop(60_000);
    await expect(g.put('b', 'x/two', new Uint8Array())).rejects.toThrow('interrupted');
    release();
    await stopping;
    await first;
    expect(written).toEqual(['x/y/one']);
    expect(seen).toEqual(['x/y/one']);
    expect(g.written).toBe(1);
    expect([...g.folders.get('b')!]).toEqual(['x/y']);
  });
});

describe('regionsWithLogs', () => {
  it('finds every region folder with log files, one listing each', async () => {
    const { store } = await archive(2, ['us-east-1', 'eu-west-1', 'ap-south-1']);
    await store.put(BUCKET, `AWSLogs/${ACCOUNT}/CloudTrail/not-a-region/x.json.gz`, Buffer.from('x'));
    await store.put(BUCKET, `AWSLogs/${ACCOUNT}/CloudTrail/stray.json.gz`, Buffer.from('x'));
    let lists = 0;
    const counting: ObjectStore = {
      ...store,
      kind: 'local',
      get: store.get.bind(store),
      put: store.put.bind(store),
      delete: store.delete.bind(store),
      list: (b, o) => (lists++, store.list(b, o)),
    };
    expect(await regionsWithLogs(counting, BUCKET, `AWSLogs/${ACCOUNT}/CloudTrail/`)).toEqual(['ap-south-1', 'eu-west-1', 'us-east-1']);
    expect(lists).toBe(5); // four folders, then the end
    expect(await regionsWithLogs(store, BUCKET, `AWSLogs/999999999999/CloudTrail/`)).toEqual([]);
  });
});

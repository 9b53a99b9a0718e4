import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { digestListPrefix, logListPrefix, type DigestScope } from '../../src/format/names.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { signRegion, type SignOptions } from '../../src/signer/sign.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Red team: the signer took a log's delivery time from its file name alone, whatever day folder it
 * lies in. CloudTrail files a log under its delivery day (`.../CloudTrail/<region>/YYYY/MM/DD/`),
 * and the signer relies on that: it reads the listing in key order as delivery order and stops at
 * the first log whose hour is not over. So
 * - a log planted in an earlier day folder, named as delivered in the future, stopped the listing:
 *   the run wrote EMPTY digests for the hours after it, which held real logs (validate-logs accepts
 *   them: the chain is intact and unreferenced logs are not its concern), exit 0, no warning;
 * - a log planted in another day's folder, named as delivered in the hour being signed, was signed,
 *   so `audit` no longer reports it (a misfiled log is an error unless a valid digest references it).
 */
const BUCKET = 'misfiled-bucket';
const ACCOUNT = '111122223333';
const H = MICROS_PER_HOUR;
const T0 = parseDate('2024-05-01T00:00:00Z').clock;
const SCOPE: DigestScope = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'mis' };

let dir: { path: string; cleanup: () => void };
let n = 0;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

async function setup(): Promise<{ root: string; store: LocalStore; keys: KeyStore }> {
  const root = join(dir.path, `root-${n}`);
  const keysDir = join(dir.path, `keys-${n++}`);
  await copyKeyStore(TEST_KEYS, keysDir);
  const store = new LocalStore(root);
  await simulateDelivery(store, {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: T0,
    hours: 4,
    filesPerHour: 2,
    recordsPerFile: 1,
    seed: 'm',
  });
  return { root, store, keys: new KeyStore(keysDir) };
}

const options = (store: LocalStore, keys: KeyStore, until: number): SignOptions => ({
  store,
  keys,
  bucket: BUCKET,
  scope: SCOPE,
  until,
  lookback: 24 * H,
  concurrency: 4,
  now: () => T0 + 100 * H,
  warn: () => undefined,
});

function plant(root: string, day: string, minute: string): string {
  const key = `${logListPrefix(SCOPE, 'us-east-1')}${day}/${ACCOUNT}_CloudTrail_us-east-1_${minute}Z_PLANTEDplanted01.json.gz`;
  mkdirSync(join(root, BUCKET, key, '..'), { recursive: true });
  writeFileSync(join(root, BUCKET, key), gzipSync(JSON.stringify({ Records: [{ eventTime: '2024-05-01T01:00:00Z', eventName: 'Planted' }] })));
  return key;
}

function files(root: string, prefix: string): string[] {
  const base = join(root, BUCKET);
  return (readdirSync(join(base, prefix), { recursive: true }) as string[])
    .map((p) => `${prefix}${p.split('\\').join('/')}`)
    .filter((k) => k.endsWith('.json.gz'));
}

/** Every log key the chain's digests reference. */
function referenced(root: string): Set<string> {
  const out = new Set<string>();
  for (const key of files(root, `${digestListPrefix(SCOPE)}/`)) {
    const d = JSON.parse(gunzipSync(readFileSync(join(root, BUCKET, key))).toString('utf8')) as { logFiles: Array<{ s3Object: string }> };
    for (const l of d.logFiles) out.add(l.s3Object);
  }
  return out;
}

describe('sign: a log lying outside its delivery day folder', () => {
  it('does not stop the listing: the real logs of the hours after it are signed', async () => {
    const { root, store, keys } = await setup();
    expect((await signRegion(options(store, keys, T0 + H))).digests).toBe(1);
    // In the day folder before the chain, named as delivered the next day.
    plant(root, '2024/04/30', '20240502T0000');
    const r = await signRegion(options(store, keys, T0 + 4 * H));
    expect(r.digests).toBe(3);
    const real = files(root, logListPrefix(SCOPE, 'us-east-1')).filter((k) => !k.includes('PLANTED'));
    expect(real).toHaveLength(8);
    const refs = referenced(root);
    expect(real.filter((k) => !refs.has(k))).toEqual([]);
  });

  it('is not signed (CloudTrail never files a log there)', async () => {
    const { root, store, keys } = await setup();
    const planted = plant(root, '2024/05/03', '20240501T0130');
    await signRegion(options(store, keys, T0 + 4 * H));
    expect(referenced(root).has(planted)).toBe(false);
  });
});

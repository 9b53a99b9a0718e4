#!/usr/bin/env node
// Regenerates fixtures/: small trails made by trailproof's own simulate + sign with the TEST-ONLY keys
// in keys/, clean and tampered, each with its expected report (the same layout as test/vectors).
// Usage (after `npm run build`): node scripts/make-fixtures.mjs
// The expected outputs are trailproof's own: they were read and checked by hand against
// ../shared/reference/validate-logs-behaviour.md when generated; the tests keep them from drifting.
import { mkdirSync, rmSync, writeFileSync, readFileSync, readdirSync, mkdtempSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => join(ROOT, 'dist', p);
const { LocalStore } = await import(dist('store/local.js'));
const { KeyStore } = await import(dist('keys/keystore.js'));
const { simulateDelivery } = await import(dist('simulate/deliver.js'));
const { signRegion } = await import(dist('signer/sign.js'));
const { backfillRegion } = await import(dist('signer/backfill.js'));
const { copyKeyStore, TEST_KEYS } = await import(dist('cli/demo.js'));
const { parseDate, MICROS_PER_HOUR: H } = await import(dist('format/time.js'));
const { digestKey, logKey } = await import(dist('format/names.js'));
const { formatPublicKeysJson, selectOverlapping } = await import(dist('keys/public-keys.js'));

const BUCKET = 'fixture-trail-bucket';
const ACCOUNT = '210987654321';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/fixture-trail`;
const START = parseDate('2024-05-01T00:00:00Z').clock;
const scope = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'fixture-trail' };
const OUT = join(ROOT, 'fixtures');

const work = mkdtempSync(join(tmpdir(), 'trailproof-fixtures-'));
const keysDir = join(work, 'keys');
await copyKeyStore(TEST_KEYS, keysDir);
const keys = new KeyStore(keysDir);

async function baseTrail(dir, { gap = false } = {}) {
  const store = new LocalStore(join(dir, 'root'));
  await simulateDelivery(store, {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: START,
    hours: 6,
    filesPerHour: 2,
    recordsPerFile: 5,
    seed: 'fixtures',
  });
  const sign = (until, extra = {}) =>
    signRegion({
      store,
      keys,
      bucket: BUCKET,
      scope,
      until,
      lookback: 24 * H,
      concurrency: 2,
      now: () => START + 12 * H,
      warn: (m) => console.error(m),
      ...extra,
    });
  if (!gap) {
    await sign(START + 6 * H);
  } else {
    await sign(START + 3 * H);
    await sign(START + 6 * H, { newChainAt: START + 4 * H });
    await backfillRegion({
      store,
      keys,
      bucket: BUCKET,
      scope,
      until: START + 6 * H,
      lookback: 24 * H,
      concurrency: 2,
      now: () => START + 12 * H,
      warn: (m) => console.error(m),
      from: START,
    });
  }
  const entries = selectOverlapping(await keys.publicEntries(), START - 24 * H, START + 24 * H);
  writeFileSync(join(dir, 'keys.json'), formatPublicKeysJson(entries));
  return store;
}

const obj = (dir, key) => join(dir, 'root', BUCKET, key);
const firstLog = (hour) => logKey({ account: ACCOUNT }, 'us-east-1', START + hour * H, 'x').replace(/_\d{8}T\d{4}Z_x\.json\.gz$/, '');

function findLog(dir, hour) {
  const folder = dirname(obj(dir, firstLog(hour) + '_'));
  const stamp = new Date((START + hour * H) / 1000).toISOString().replace(/[-:]/g, '').slice(0, 11);
  return readdirSync(folder).find((f) => f.includes(`_${stamp}`) && f.endsWith('.json.gz'));
}

const CASES = {
  clean: async () => {},
  'modify-log': async (dir) => {
    const name = findLog(dir, 2);
    const path = join(dirname(obj(dir, firstLog(2) + '_')), name);
    const text = gunzipSync(readFileSync(path))
      .toString('utf8')
      .replace(/"eventName":"[A-Za-z]+"/, '"eventName":"DeleteTrail"');
    writeFileSync(path, gzipSync(text));
  },
  'delete-log': async (dir) => {
    rmSync(join(dirname(obj(dir, firstLog(4) + '_')), findLog(dir, 4)));
  },
  'delete-digest': async (dir) => {
    rmSync(obj(dir, digestKey(scope, START + 3 * H)));
    rmSync(obj(dir, digestKey(scope, START + 3 * H)) + '.metadata.json');
  },
  'corrupt-signature': async (dir) => {
    const meta = obj(dir, digestKey(scope, START + 2 * H)) + '.metadata.json';
    const m = JSON.parse(readFileSync(meta, 'utf8'));
    m.signature = m.signature.slice(0, 10) + (m.signature[10] === '0' ? '1' : '0') + m.signature.slice(11);
    writeFileSync(meta, JSON.stringify(m, null, 2) + '\n');
  },
  'missing-metadata': async (dir) => {
    rmSync(obj(dir, digestKey(scope, START + 5 * H)) + '.metadata.json');
  },
  'moved-digest': async (dir) => {
    // The 02:00 digest's bytes stored under the 03:00 digest's key.
    const from = obj(dir, digestKey(scope, START + 2 * H));
    const to = obj(dir, digestKey(scope, START + 3 * H));
    writeFileSync(to, readFileSync(from));
    writeFileSync(to + '.metadata.json', readFileSync(from + '.metadata.json'));
  },
  'gap-backfill': async () => {},
};

rmSync(OUT, { recursive: true, force: true });
for (const [name, tamper] of Object.entries(CASES)) {
  const dir = join(OUT, name);
  mkdirSync(dir, { recursive: true });
  await baseTrail(dir, { gap: name === 'gap-backfill' });
  await tamper(dir);
  mkdirSync(join(dir, 'expected'), { recursive: true });
  for (const mode of ['default', 'verbose']) {
    const args = ['--trail-arn', ARN, '--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-01T06:00:00Z', '--s3-bucket', BUCKET];
    if (mode === 'verbose') args.push('--verbose');
    writeFileSync(join(dir, 'expected', `${mode}.args.json`), JSON.stringify({ args, local_root: 'root', public_keys: 'keys.json' }, null, 2) + '\n');
    const r = spawnSync(process.execPath, [
      dist('cli/main.js'),
      'validate-logs',
      ...args,
      '--local-root',
      join(dir, 'root'),
      '--public-keys',
      join(dir, 'keys.json'),
    ]);
    writeFileSync(join(dir, 'expected', `${mode}.stdout`), r.stdout);
    writeFileSync(join(dir, 'expected', `${mode}.stderr`), r.stderr);
    writeFileSync(join(dir, 'expected', `${mode}.rc`), `${r.status}\n`);
  }
  console.log(`fixtures/${name}`);
}
rmSync(work, { recursive: true, force: true });

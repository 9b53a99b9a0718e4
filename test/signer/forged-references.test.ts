import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { digestKey, digestListPrefix, logListPrefix, type DigestScope } from '../../src/format/names.js';
import { formatDisplay, MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { signRegion } from '../../src/signer/sign.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/**
 * The signer builds only on digests a key it trusts signed (src/signer/trust.ts; review): a digest
 * planted in the chain's folder, well formed and listing the hour's real logs, made the signer take
 * those logs as signed (never signing them) and chain its next digests onto the forgery. Now the
 * forged head stops the run, and a forged digest further back is not believed (its logs are signed).
 * A planted head whose end lies years past its key's stamp stops the run too (it moved the chain's
 * head there: every later run signed nothing, exit 0).
 */
const BUCKET = 'forged-refs';
const ACCOUNT = '111122223333';
const H = MICROS_PER_HOUR;
const T0 = parseDate('2024-05-01T00:00:00Z').clock;
const SCOPE: DigestScope = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'refs' };

let dir: { path: string; cleanup: () => void };
let root: string;
let options: Parameters<typeof signRegion>[0];
const warnings: string[] = [];

beforeEach(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  const keysDir = join(dir.path, 'keys');
  await copyKeyStore(TEST_KEYS, keysDir);
  const store = new LocalStore(root);
  await simulateDelivery(store, {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: T0,
    hours: 3,
    filesPerHour: 2,
    recordsPerFile: 1,
    seed: 'r',
  });
  warnings.length = 0;
  options = {
    store,
    keys: new KeyStore(keysDir),
    bucket: BUCKET,
    scope: SCOPE,
    lookback: 24 * H,
    concurrency: 4,
    now: () => T0 + 100 * H,
    warn: (m) => void warnings.push(m),
    until: T0 + H,
  };
  await signRegion(options);
});
afterEach(() => dir.cleanup());

const list = (prefix: string) =>
  (readdirSync(join(root, BUCKET, prefix), { recursive: true }) as string[]).map((p) => `${prefix}${p}`).filter((k) => k.endsWith('.json.gz'));
const hourOne = () => list(logListPrefix(SCOPE, 'us-east-1')).filter((k) => /T01\d\dZ_/.test(k));

/** A well-formed digest of the scope at `key`, ending `end`, listing `logs`, with a made-up signature. */
function plant(key: string, end: number, logs: string[], backfill = false): void {
  const forged = {
    awsAccountId: ACCOUNT,
    digestStartTime: formatDisplay(end - H),
    digestEndTime: formatDisplay(end),
    digestS3Bucket: BUCKET,
    digestS3Object: key,
    digestPublicKeyFingerprint: '00000000000000000000000000000000',
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: null,
    oldestEventTime: null,
    previousDigestS3Bucket: null,
    previousDigestS3Object: null,
    previousDigestHashValue: null,
    previousDigestHashAlgorithm: null,
    previousDigestSignature: null,
    logFiles: logs.map((k) => ({
      s3Bucket: BUCKET,
      s3Object: k,
      hashValue: '0'.repeat(64),
      hashAlgorithm: 'SHA-256',
      newestEventTime: null,
      oldestEventTime: null,
    })),
  };
  mkdirSync(join(root, BUCKET, key, '..'), { recursive: true });
  writeFileSync(join(root, BUCKET, key), gzipSync(JSON.stringify(forged)));
  const metadata: Record<string, string> = { signature: '00'.repeat(256), 'signature-algorithm': 'SHA256withRSA' };
  if (backfill) metadata['backfill-generation-timestamp'] = formatDisplay(end + H);
  writeFileSync(join(root, BUCKET, `${key}.metadata.json`), JSON.stringify(metadata));
}

/** Every log key listed by the digests the signer wrote (all but `except`). */
function signedLogs(except: string): Set<string> {
  const out = new Set<string>();
  for (const d of list(`${digestListPrefix(SCOPE)}/`)) {
    if (d === except) continue;
    const json = JSON.parse(gunzipSync(readFileSync(join(root, BUCKET, d))).toString('utf8')) as { logFiles: Array<{ s3Object: string }> };
    for (const l of json.logFiles) out.add(l.s3Object);
  }
  return out;
}

describe('sign: a digest planted in the chain`s folder', () => {
  it('as the newest, listing the next hour`s logs: the run stops, nothing is chained onto it', async () => {
    const key = digestKey(SCOPE, T0 + 2 * H);
    plant(key, T0 + 2 * H, hourOne());
    await expect(signRegion({ ...options, until: T0 + 3 * H })).rejects.toThrow(/does not verify with a key this signer trusts/);
    expect(list(`${digestListPrefix(SCOPE)}/`).filter((k) => k !== key)).toHaveLength(1);
  });

  it('as the newest, its end years past its key`s stamp: the run stops (it moved the chain`s head there, and every later run signed nothing)', async () => {
    const key = digestKey(SCOPE, T0 + 2 * H);
    plant(key, parseDate('2100-01-01T00:00:00Z').clock, []);
    await expect(signRegion({ ...options, until: T0 + 3 * H })).rejects.toThrow(
      /^Cannot continue the chain: its newest digest s3:\/\/forged-refs\/\S+_20240501T020000Z\.json\.gz is unreadable, unsigned, or not the digest its key names/,
    );
  });

  it('further back (a backfill digest), listing the next hour`s logs: not believed, those logs are signed, with a warning', async () => {
    const key = digestKey(SCOPE, T0 + H, true);
    plant(key, T0 + H, hourOne(), true);
    await signRegion({ ...options, until: T0 + 3 * H });
    const signed = signedLogs(key);
    expect(hourOne().filter((k) => !signed.has(k))).toEqual([]);
    expect(warnings.join('\n')).toContain(`s3://${BUCKET}/${key} does not verify with a key this signer trusts`);
  });
});

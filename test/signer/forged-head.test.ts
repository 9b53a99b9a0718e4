import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { digestKey, type DigestScope } from '../../src/format/names.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { signRegion, type SignOptions } from '../../src/signer/sign.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Red team: the signer resumes at its chain's newest digest (the bucket is its only state) and took
 * that digest's `digestEndTime` as it found it. A digest planted as the newest (its key stamped at
 * the next hour, any hex in its sidecar) whose `digestEndTime` lies years ahead moved the chain's
 * head there: every later run signed nothing, exit 0, no warning, while the logs went unsigned.
 */
const BUCKET = 'forged-bucket';
const ACCOUNT = '111122223333';
const H = MICROS_PER_HOUR;
const T0 = parseDate('2024-05-01T00:00:00Z').clock;
const SCOPE: DigestScope = { account: ACCOUNT, sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'forged' };

let dir: { path: string; cleanup: () => void };
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

describe('sign: a planted newest digest', () => {
  it('whose end time is not its key stamp (years ahead) stops the run instead of silently signing nothing', async () => {
    const root = join(dir.path, 'root');
    const keysDir = join(dir.path, 'keys');
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
      seed: 'f',
    });
    const keys = new KeyStore(keysDir);
    const options = (until: number): SignOptions => ({
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
    expect((await signRegion(options(T0 + H))).digests).toBe(1);

    const key = digestKey(SCOPE, T0 + 2 * H);
    const forged = {
      awsAccountId: ACCOUNT,
      digestStartTime: '2099-12-31T23:00:00Z',
      digestEndTime: '2100-01-01T00:00:00Z',
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
      logFiles: [],
    };
    mkdirSync(join(root, BUCKET, key, '..'), { recursive: true });
    writeFileSync(join(root, BUCKET, key), gzipSync(JSON.stringify(forged)));
    writeFileSync(join(root, BUCKET, `${key}.metadata.json`), JSON.stringify({ signature: '00', 'signature-algorithm': 'SHA256withRSA' }));

    const outcome = await signRegion(options(T0 + 4 * H)).then(
      (r) => `signed ${r.digests} digest(s)`,
      (err: unknown) => `stopped: ${err instanceof Error ? err.message : String(err)}`,
    );
    expect(outcome).toMatch(/^stopped: Cannot continue the chain: its newest digest s3:\/\/forged-bucket\/\S+_20240501T020000Z\.json\.gz /);
  });
});

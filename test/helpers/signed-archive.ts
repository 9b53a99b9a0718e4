import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { MICROS_PER_HOUR } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { entriesSource } from '../../src/keys/source.js';
import type { PublicKeySource } from '../../src/keys/types.js';
import { signRegion } from '../../src/signer/sign.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from './cli.js';

/**
 * A small signed archive under `dir` (root/ and keys/), in-process: simulated delivery for each
 * account and region, one trail (home region us-east-1) signed with the repository's test keys.
 * For suites that need plain hourly chains fast (test/helpers/org-archive.ts has organizations,
 * several trails and tampering helpers).
 */
export async function signedArchive(
  dir: string,
  o: { bucket: string; accounts: readonly string[]; regions: readonly string[]; start: number; hours: number; trailName: string; recordsPerFile?: number },
): Promise<{ root: string; keys: PublicKeySource }> {
  const H = MICROS_PER_HOUR;
  const end = o.start + o.hours * H;
  await copyKeyStore(TEST_KEYS, join(dir, 'keys'));
  const keyStore = new KeyStore(join(dir, 'keys'));
  const store = new LocalStore(join(dir, 'root'));
  for (const account of o.accounts) {
    await simulateDelivery(store, {
      bucket: o.bucket,
      account,
      regions: [...o.regions],
      start: o.start,
      hours: o.hours,
      filesPerHour: 2,
      recordsPerFile: o.recordsPerFile ?? 5,
      seed: account,
    });
    for (const region of o.regions) {
      const scope = { account, sourceRegion: region, homeRegion: 'us-east-1', trailName: o.trailName };
      await signRegion({
        store,
        keys: keyStore,
        bucket: o.bucket,
        scope,
        until: end,
        lookback: 24 * H,
        concurrency: 8,
        now: () => end + H,
        warn: () => undefined,
      });
    }
  }
  return { root: join(dir, 'root'), keys: entriesSource(await keyStore.publicEntries()) };
}

/**
 * A suite's signed archive, made once (beforeAll), and a fresh copy of its root for every test
 * (beforeEach), so that each test may tamper with its own. `root()` and `keys()` read them.
 */
export function archivePerTest(o: Parameters<typeof signedArchive>[1]): { root: () => string; keys: () => PublicKeySource } {
  let clean: { path: string; cleanup: () => void } | undefined;
  let copy: { path: string; cleanup: () => void } | undefined;
  let keys: PublicKeySource | undefined;
  beforeAll(async () => {
    clean = tempDir();
    ({ keys } = await signedArchive(clean.path, o));
  }, 120_000);
  afterAll(() => {
    clean?.cleanup();
    copy?.cleanup();
  });
  beforeEach(() => {
    copy?.cleanup();
    copy = tempDir();
    cpSync(join(clean!.path, 'root'), join(copy.path, 'root'), { recursive: true });
  });
  return { root: () => join(copy!.path, 'root'), keys: () => keys! };
}

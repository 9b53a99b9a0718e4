import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MICROS_PER_HOUR, parseDate, formatDisplay } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { entriesSource } from '../../src/keys/source.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { TextReport } from '../../src/verifier/report-text.js';
import { runValidation } from '../../src/verifier/validate.js';
import { startCli } from '../helpers/cli-async.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Two signer PROCESSES started at the same moment on one archive and one key store, with a key
 * rotation inside the range, round after round. Without cross-process locks both made a key for
 * the same rotation point, and digests were signed twice or left with another run's signature.
 * Each process signs two chains (two accounts), so the chain locks and the key store's region
 * lock are both contended.
 */
const ROUNDS = 12;
const HOURS = 36;
const BUCKET = 'race-bucket';
const ACCOUNTS = ['111122223333', '444455556666'];
const REGION = 'us-east-1';
const ARN = `arn:aws:cloudtrail:${REGION}:${ACCOUNTS[0]}:trail/race`;
const T0 = parseDate('2024-05-01T00:00:00Z').clock;
const H = MICROS_PER_HOUR;
let dir: { path: string; cleanup: () => void };

beforeAll(async () => {
  dir = tempDir();
  const store = new LocalStore(join(dir.path, 'root'));
  for (const account of ACCOUNTS) {
    await simulateDelivery(store, { bucket: BUCKET, account, regions: [REGION], start: T0, hours: HOURS, filesPerHour: 2, recordsPerFile: 1, seed: account });
  }
  // One key, rotating after a day: the signers must make exactly one successor, at T0 + 24 h.
  await new KeyStore(join(dir.path, 'keys')).create(REGION, T0, 2, 1);
}, 120_000);
afterAll(() => dir.cleanup());

async function validate(root: string, keysDir: string, account: string) {
  const keys = new KeyStore(keysDir);
  const out = memoryOutput();
  const summary = await runValidation(
    {
      store: new LocalStore(root),
      keys: entriesSource(await keys.publicEntries()),
      scope: { account, sourceRegion: REGION, homeRegion: REGION, trailName: 'race' },
      bucket: BUCKET,
      start: T0,
      end: T0 + HOURS * H,
    },
    new TextReport(out, false, ARN),
  );
  return { summary, out };
}

function signedPerAccount(stdout: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of stdout.split('\n')) {
    const hit = /^(\d{12}) us-east-1: signed (\d+) digests/.exec(line);
    if (hit) m.set(hit[1]!, (m.get(hit[1]!) ?? 0) + Number(hit[2]));
  }
  return m;
}

describe('two signers at once', () => {
  it(`make one key per rotation point, sign every hour once, and leave a valid chain (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const root = join(dir.path, `root-${round}`);
      const keysDir = join(dir.path, `keys-${round}`);
      cpSync(join(dir.path, 'root'), root, { recursive: true });
      cpSync(join(dir.path, 'keys'), keysDir, { recursive: true });
      const args = [
        'sign',
        '--keys-dir',
        keysDir,
        '--trail-arn',
        ARN,
        '--s3-bucket',
        BUCKET,
        '--local-root',
        root,
        '--account-id',
        ACCOUNTS.join(','),
        '--regions',
        REGION,
        '--until',
        formatDisplay(T0 + HOURS * H),
      ];
      const [a, b] = await Promise.all([startCli(args).done, startCli(args).done]);
      const context = `round ${round}\n--- a:\n${a.out}${a.err}\n--- b:\n${b.out}${b.err}`;
      expect(a.status, context).toBe(0);
      expect(b.status, context).toBe(0);

      const keys = await new KeyStore(keysDir).list(REGION);
      expect(
        keys.map((k) => formatDisplay(k.validFrom)),
        context,
      ).toEqual(['2024-05-01T00:00:00Z', '2024-05-02T00:00:00Z']);
      expect(readdirSync(join(keysDir, REGION)).filter((n) => n.endsWith('.key.pem'))).toHaveLength(2);
      expect(`${a.err}${b.err}`.match(/created key [0-9a-f]{32} for us-east-1, valid from 2024-05-02T00:00:00Z/g), context).toHaveLength(1);

      // No hour signed twice: the digests both processes say they wrote are the hours of the range.
      const signed = signedPerAccount(a.out + b.out);
      for (const account of ACCOUNTS) {
        expect(signed.get(account), context).toBe(HOURS);
        const { summary, out } = await validate(root, keysDir, account);
        expect(summary.exitCode, `${context}\n${out.stdout}`).toBe(0);
        expect(summary.digests).toEqual({ valid: HOURS, invalid: 0 });
        expect(summary.logs).toEqual({ valid: 2 * HOURS, invalid: 0 });
      }
    }
  }, 600_000);
});

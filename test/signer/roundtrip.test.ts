import { readFileSync, readdirSync, statSync, writeFileSync, unlinkSync, renameSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { logKey } from '../../src/format/names.js';
import { MICROS_PER_HOUR, parseDate } from '../../src/format/time.js';
import { KeyStore } from '../../src/keys/keystore.js';
import { entriesSource } from '../../src/keys/source.js';
import { backfillRegion } from '../../src/signer/backfill.js';
import { signRegion, type SignOptions } from '../../src/signer/sign.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { TextReport } from '../../src/verifier/report-text.js';
import { runValidation } from '../../src/verifier/validate.js';
import { tempDir } from '../helpers/cli.js';

/**
 * Round trip: simulate + sign + validate over several hours, two regions, a key rotation inside the
 * range (the test keys rotate us-east-1 at 03:00), a late file, a restart gap and a backfill digest.
 */
const BUCKET = 'roundtrip-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/rt`;
const REGIONS = ['us-east-1', 'eu-west-1'];
const START = parseDate('2024-05-01T00:00:00Z').clock;
const H = MICROS_PER_HOUR;

let dir: { path: string; cleanup: () => void };
let root: string;
let store: LocalStore;
let keys: KeyStore;

function scope(region: string) {
  return { account: ACCOUNT, sourceRegion: region, homeRegion: 'us-east-1', trailName: 'rt' };
}

function options(region: string, until: number, extra: Partial<SignOptions> = {}): SignOptions {
  return {
    store,
    keys,
    bucket: BUCKET,
    scope: scope(region),
    until,
    lookback: 24 * H,
    concurrency: 4,
    now: () => START + 12 * H,
    warn: () => undefined,
    ...extra,
  };
}

async function validate(region: string, end = START + 9 * H) {
  const out = memoryOutput();
  const summary = await runValidation(
    { store, keys: entriesSource(await keys.publicEntries()), scope: scope(region), bucket: BUCKET, start: START, end },
    new TextReport(out, true, ARN),
  );
  return { summary, out };
}

function files(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder)) {
    const p = join(folder, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out;
}

const digestFiles = () => files(join(root, BUCKET)).filter((f) => f.includes('CloudTrail-Digest') && f.endsWith('.json.gz'));
const logFiles = () => files(join(root, BUCKET)).filter((f) => f.includes('/CloudTrail/') && f.endsWith('.json.gz'));

beforeAll(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  await copyKeyStore(TEST_KEYS, join(dir.path, 'keys'));
  keys = new KeyStore(join(dir.path, 'keys'));
  store = new LocalStore(root);
  await simulateDelivery(store, {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: REGIONS,
    start: START,
    hours: 9,
    filesPerHour: 3,
    recordsPerFile: 10,
    seed: 'rt',
  });
  for (const region of REGIONS) await signRegion(options(region, START + 5 * H));
  // A late file: delivered (named) at 01:10 but written after 01:00-02:00 was signed.
  await store.put(BUCKET, logKey({ account: ACCOUNT }, 'us-east-1', START + H + 10 * 60e6, 'LateArrivalXXXXX'), gzipSync('{"Records":[]}'));
  for (const region of REGIONS) await signRegion(options(region, START + 6 * H));
  // Signing stops for 06:00-07:00, and restarts with a new chain at 07:00.
  for (const region of REGIONS) await signRegion(options(region, START + 9 * H, { newChainAt: START + 7 * H }));
  for (const region of REGIONS) await backfillRegion({ ...options(region, START + 9 * H), from: START });
}, 60_000);

afterAll(() => dir.cleanup());

describe('sign then validate-logs', () => {
  it('is all valid in both regions, with the gap reported and the backfill digest counted', async () => {
    for (const region of REGIONS) {
      const { summary, out } = await validate(region);
      expect(summary.exitCode).toBe(0);
      expect(summary.digests).toEqual({ valid: 8, invalid: 0 });
      expect(summary.backfillDigests).toEqual({ valid: 1, invalid: 0 });
      expect(out.stderr).toBe('\nNo log files were delivered by CloudTrail between 2024-05-01T06:00:00Z and 2024-05-01T07:00:00Z\n\n');
      expect(out.stdout).toContain('(backfill) Digest file\ts3://roundtrip-bucket/');
    }
  });

  it('references every delivered log file exactly once', () => {
    const referenced = new Map<string, number>();
    for (const f of digestFiles()) {
      const d = JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as { logFiles: Array<{ s3Object: string }> };
      for (const l of d.logFiles) referenced.set(l.s3Object, (referenced.get(l.s3Object) ?? 0) + 1);
    }
    const delivered = logFiles().map((f) => f.slice(join(root, BUCKET).length + 1));
    expect(delivered.length).toBe(2 * 9 * 3 + 1);
    for (const key of delivered) expect(referenced.get(key), key).toBe(1);
    expect(referenced.size).toBe(delivered.length);
  });

  it('puts the late file in the next digest and uses both keys of the rotation', () => {
    const digests = digestFiles().map((f) => JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as Record<string, unknown>);
    const late = digests.find((d) => JSON.stringify(d.logFiles).includes('LateArrivalXXXXX'));
    expect(late?.digestStartTime).toBe('2024-05-01T05:00:00Z');
    const east = digests.filter((d) => String(d.digestS3Object).includes('us-east-1_rt_us-east-1_') && !String(d.digestS3Object).includes('backfill'));
    expect(new Set(east.map((d) => d.digestPublicKeyFingerprint)).size).toBe(2);
    const first = east.find((d) => d.digestStartTime === '2024-05-01T00:00:00Z');
    expect(first?.previousDigestSignature).toBeNull();
  });

  it('is idempotent: signing again writes nothing', async () => {
    const before = digestFiles().map((f) => [f, readFileSync(f).toString('hex')]);
    for (const region of REGIONS) {
      const r = await signRegion(options(region, START + 9 * H));
      expect(r.digests).toBe(0);
    }
    expect(digestFiles().map((f) => [f, readFileSync(f).toString('hex')])).toEqual(before);
  });

  it('ignores a partial object left by a crash', async () => {
    const folder = join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
    const partial = join(folder, '.trailproof-tmp-deadbeef0000');
    writeFileSync(partial, 'partial');
    try {
      expect((await validate('us-east-1')).summary.exitCode).toBe(0);
      expect((await signRegion(options('us-east-1', START + 9 * H))).digests).toBe(0);
    } finally {
      unlinkSync(partial);
    }
  });
});

describe('any single change is reported INVALID', () => {
  type Op =
    | { kind: 'log' | 'digest'; index: number; position: number; value: number }
    | { kind: 'signature'; index: number; position: number }
    | { kind: 'delete' | 'move'; target: 'log' | 'linked-digest'; index: number };

  // A chain-based check cannot see the removal of a digest that no later digest points to (the
  // newest one, the last one before a restart, a lone backfill digest): the AWS CLI reads that as
  // the end of the chain. Deletions and moves are therefore drawn among log files and linked digests.
  const linked = (f: string) => !/T0[69]0000Z|_backfill/.test(f);

  async function withChange(op: Op, check: () => Promise<void>): Promise<void> {
    const logs = logFiles().filter((f) => f.includes('/CloudTrail/us-east-1/'));
    const digests = digestFiles().filter((f) => f.includes('/CloudTrail-Digest/us-east-1/'));
    const all = op.kind === 'log' || ('target' in op && op.target === 'log') ? logs : 'target' in op ? digests.filter(linked) : digests;
    const target = all[op.index % all.length]!;
    const sidecar = `${target}.metadata.json`;
    const saved = readFileSync(target);
    const savedMeta = existsSync(sidecar) ? readFileSync(sidecar) : undefined;
    try {
      if (op.kind === 'log' || op.kind === 'digest') {
        const plain = gunzipSync(saved);
        const at = op.position % plain.length;
        plain[at] = plain[at] === op.value ? (op.value + 1) % 256 : op.value;
        writeFileSync(target, gzipSync(plain));
      } else if (op.kind === 'signature') {
        const meta = JSON.parse(savedMeta!.toString('utf8')) as { signature: string };
        const at = op.position % meta.signature.length;
        const digit = meta.signature[at]!.toLowerCase();
        const replacement = digit === '0' ? '1' : '0';
        meta.signature = meta.signature.slice(0, at) + replacement + meta.signature.slice(at + 1);
        writeFileSync(sidecar, JSON.stringify(meta));
      } else if (op.kind === 'delete') {
        unlinkSync(target);
      } else {
        renameSync(target, target.replace(/\.json\.gz$/, '.moved.json.gz'));
        if (savedMeta) renameSync(sidecar, sidecar.replace(/\.json\.gz\.metadata\.json$/, '.moved.json.gz.metadata.json'));
      }
      await check();
    } finally {
      for (const f of files(join(root, BUCKET))) if (f.includes('.moved.json.gz')) unlinkSync(f);
      writeFileSync(target, saved);
      if (savedMeta) writeFileSync(sidecar, savedMeta);
    }
  }

  it('for a byte of any log or digest (uncompressed content), a signature digit, a deleted or moved object', async () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constantFrom('log' as const, 'digest' as const), index: fc.nat(), position: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('signature' as const), index: fc.nat(), position: fc.nat() }),
      fc.record({
        kind: fc.constantFrom('delete' as const, 'move' as const),
        target: fc.constantFrom('log' as const, 'linked-digest' as const),
        index: fc.nat(),
      }),
    );
    await fc.assert(
      fc.asyncProperty(op, async (o) => {
        await withChange(o, async () => {
          const { summary } = await validate('us-east-1');
          expect(summary.exitCode).toBe(1);
        });
      }),
      { numRuns: 60 },
    );
    // And the trail is intact again afterwards.
    expect((await validate('us-east-1')).summary.exitCode).toBe(0);
  });
});

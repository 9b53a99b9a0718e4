import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { simulateCommand } from '../../src/cli/simulate.js';
import { TrailproofError } from '../../src/errors.js';
import { parseDate } from '../../src/format/time.js';
import { generateAccounts } from '../../src/simulate/accounts.js';
import { simulateDelivery, type SimulatedFile } from '../../src/simulate/deliver.js';
import type { SimulateOptions } from '../../src/simulate/options.js';
import { LocalStore } from '../../src/store/local.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { nullStore } from './support.js';
import { hashTree, treeFiles } from './tree-hash.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function dir(): string {
  const d = tempDir('trailproof-simacc-');
  cleanups.push(d.cleanup);
  return d.path;
}

const BASE = {
  bucket: 'golden-bucket',
  regions: ['us-east-1', 'eu-west-1'],
  start: parseDate('2024-05-01T00:00:00Z').clock,
  hours: 3,
  filesPerHour: 2,
  recordsPerFile: 5,
  seed: 'golden',
} as const;

async function run(o: SimulateOptions): Promise<{ root: string; files: SimulatedFile[] }> {
  const root = dir();
  const files: SimulatedFile[] = [];
  await simulateDelivery(new LocalStore(root), o, { onFile: (f) => files.push(f) });
  return { root, files };
}

describe('--account: the bytes of earlier releases', () => {
  // Hashes of the uncompressed files and their keys, taken with the simulator before --accounts
  // existed (commit 3900bb3): a single account's streams must not change.
  it.each<[string, Partial<SimulateOptions>, string]>([
    ['plain', {}, '13a834817d796b5a4d93676532b8e76a4e01ca72cb2889d5319e4dad9afa167e'],
    [
      'prefix, organization, data events',
      { prefix: 'audit/x', organizationId: 'o-a1b2c3d4e5', dataEvents: true, gzipLevel: 1 },
      '02647510a882ee08f374ec7244b0b4cab7874f839cee38b9714ad902b362acc8',
    ],
  ])('%s', async (_name, extra, hash) => {
    const { root } = await run({ ...BASE, account: '111122223333', ...extra });
    expect(treeFiles(root)).toHaveLength(12);
    expect(hashTree(root, { gunzip: true })).toBe(hash);
  });
});

describe('accounts', () => {
  const THREE = ['111122223333', '444455556666', '777788889999'];

  it('is byte-identical for a seed (gzip bytes included), and different for another seed', async () => {
    const a = await run({ ...BASE, accounts: THREE, organizationId: 'o-a1b2c3d4e5' });
    const b = await run({ ...BASE, accounts: THREE, organizationId: 'o-a1b2c3d4e5', concurrency: 7 });
    const c = await run({ ...BASE, accounts: THREE, organizationId: 'o-a1b2c3d4e5', seed: 'other' });
    expect(hashTree(a.root)).toBe(hashTree(b.root));
    expect(hashTree(a.root)).not.toBe(hashTree(c.root));
  });

  it('writes the organization layout for every account, each with its own records', async () => {
    const { root, files } = await run({ ...BASE, accounts: THREE, organizationId: 'o-a1b2c3d4e5' });
    const paths = treeFiles(join(root, BASE.bucket));
    expect(paths).toHaveLength(3 * 2 * 3 * 2);
    for (const account of THREE) {
      for (const region of BASE.regions) {
        const folder = `AWSLogs/o-a1b2c3d4e5/${account}/CloudTrail/${region}/2024/05/01/`;
        expect(paths.filter((p) => p.startsWith(folder) && p.slice(folder.length).startsWith(`${account}_CloudTrail_${region}_`))).toHaveLength(6);
      }
    }
    expect(new Set(files.map((f) => f.account))).toEqual(new Set(THREE));
    // The unique parts of the names differ between accounts (each account has its own streams).
    const uniques = paths.map((p) => p.slice(-24, -8));
    expect(new Set(uniques).size).toBe(uniques.length);
  });

  it("gives an account the same files whichever other accounts the run has; a single --account's differ", async () => {
    const all = await run({ ...BASE, accounts: THREE });
    const one = await run({ ...BASE, accounts: [THREE[1]!] });
    const legacy = await run({ ...BASE, account: THREE[1]! });
    const sub = (root: string): string => hashTree(join(root, BASE.bucket, 'AWSLogs', THREE[1]!));
    expect(sub(one.root)).toBe(sub(all.root));
    expect(sub(legacy.root)).not.toBe(sub(one.root));
  });
});

describe('many accounts, flat memory', () => {
  it('holds no file: the heap stays flat over 200 accounts', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const used = (): number => {
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    gc();
    const baseline = used();
    let peak = 0;
    let n = 0;
    const manifest = await simulateDelivery(
      nullStore(),
      { ...BASE, accounts: generateAccounts(200), regions: ['us-east-1', 'eu-west-1'], hours: 2, filesPerHour: 1, recordsPerFile: 60 },
      {
        onFile: () => {
          if (++n % 100 === 0) {
            gc();
            peak = Math.max(peak, used() - baseline);
          }
        },
      },
    );
    expect(manifest.files).toBe(800);
    // ~60 MB of JSON went through, for 200 accounts: holding the files (or their gzip) would show.
    expect(manifest.uncompressedBytes).toBeGreaterThan(50 * (1 << 20));
    expect(peak).toBeLessThan(16 * (1 << 20));
  });
});

describe('generateAccounts', () => {
  it('is distinct, sorted, 12 digits, the same for a seed, and grows by adding accounts', () => {
    const ten = generateAccounts(10, 'x');
    expect(ten).toEqual(generateAccounts(10, 'x'));
    expect(ten).toEqual([...ten].sort());
    expect(new Set(ten).size).toBe(10);
    for (const a of ten) expect(a).toMatch(/^\d{12}$/);
    expect(generateAccounts(10, 'y')).not.toEqual(ten);
    const more = generateAccounts(25, 'x');
    for (const a of ten) expect(more).toContain(a);
    expect(generateAccounts(1000)).toHaveLength(1000);
  });

  it.each([0, 1001, 2.5, Number.NaN])('refuses %s accounts', (n) => {
    expect(() => generateAccounts(n)).toThrow(/^Invalid number of accounts .*: expected a whole number from 1 to 1000$/);
  });
});

describe('trailproof simulate --accounts', () => {
  const ARGS = [
    '--bucket',
    'org-bucket',
    '--regions',
    'us-east-1',
    '--start-time',
    '2024-05-01T00:00Z',
    '--hours',
    '1',
    '--files-per-hour',
    '1',
    '--records-per-file',
    '1',
  ];

  it('takes a number: that many generated accounts, the same as the library gives for the seed', async () => {
    const root = dir();
    let out = '';
    const rc = await simulateCommand(['--local-root', root, ...ARGS, '--accounts', '4', '--seed', 's', '--organization-id', 'o-a1b2c3d4e5'], {
      out: (t) => (out += t),
    });
    expect(rc).toBe(0);
    expect(out).toMatch(/^Wrote 4 log files \(4 records\) for 4 accounts to /);
    expect(readdirSync(join(root, 'org-bucket', 'AWSLogs', 'o-a1b2c3d4e5')).sort()).toEqual(generateAccounts(4, 's'));
  });

  it('takes a list (spaces after commas allowed)', async () => {
    const root = dir();
    let out = '';
    await simulateCommand(['--local-root', root, ...ARGS, '--accounts', '111122223333, 444455556666'], { out: (t) => (out += t) });
    expect(out).toMatch(/ for 2 accounts to /);
    expect(readdirSync(join(root, 'org-bucket', 'AWSLogs')).sort()).toEqual(['111122223333', '444455556666']);
    // A list of one is a list: "for 1 account".
    await simulateCommand(['--local-root', dir(), ...ARGS, '--accounts', '111122223333'], { out: (t) => (out = t) });
    expect(out).toMatch(/ for 1 account to /);
  });

  it.each<[string, string[], 'usage' | 'argument', string]>([
    ['neither', [], 'usage', 'one of the arguments --account --accounts is required'],
    ['both', ['--account', '111122223333', '--accounts', '2'], 'usage', 'argument --accounts: not allowed with argument --account'],
    ['zero', ['--accounts', '0'], 'usage', 'argument --accounts: expected a number of accounts from 1 to 1000'],
    ['too many', ['--accounts', '1001'], 'usage', 'argument --accounts: expected a number of accounts from 1 to 1000'],
    [
      'short ID',
      ['--accounts', '111122223333,4444'],
      'usage',
      'argument --accounts: expected a number of accounts, or 12-digit account IDs separated by commas (not "4444")',
    ],
    ['empty item', ['--accounts', '111122223333,,444455556666'], 'usage', '(not "")'],
    ['word', ['--accounts', 'many'], 'usage', '(not "many")'],
    ['duplicate', ['--accounts', '111122223333,111122223333'], 'argument', 'Duplicate account "111122223333"'],
  ])('rejects %s', async (_name, extra, code, message) => {
    const root = dir();
    const err = await simulateCommand(['--local-root', root, ...ARGS, ...extra], { out: () => undefined }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrailproofError);
    expect((err as TrailproofError).code).toBe(code);
    expect((err as TrailproofError).message).toContain(message);
    expect((err as TrailproofError).message).not.toContain('\n');
    expect(readdirSync(root)).toEqual([]);
  });

  it('exits 2 with one line naming the conflict (the built CLI)', () => {
    const r = runCli(['simulate', '--local-root', dir(), ...ARGS, '--account', '111122223333', '--accounts', '2']);
    expect(r.status).toBe(2);
    expect(r.err).toContain('\ntrailproof: error: argument --accounts: not allowed with argument --account\n');
    expect(r.out).toBe('');
  });
});

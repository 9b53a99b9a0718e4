import { cpSync, readdirSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * `sign` runs two (account, region) jobs at once: what it writes and prints must be what signing
 * the jobs one by one gives, in job order, warnings and failures included.
 */
const ACCOUNTS = ['111122223333', '444455556666'];
const REGIONS = ['us-east-1', 'eu-west-1'];
const ARN = 'arn:aws:cloudtrail:us-east-1:111122223333:trail/jobs';
let dir: { path: string; cleanup: () => void };

function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.includes('CloudTrail-Digest')) out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

const sign = (root: string, keys: string, extra: string[]) =>
  runCli(['sign', '--keys-dir', keys, '--trail-arn', ARN, '--s3-bucket', 'jobs', '--local-root', root, '--until', '2024-05-01T04:00:00Z', ...extra]);

beforeAll(async () => {
  dir = tempDir();
  const root = join(dir.path, 'root');
  for (const account of ACCOUNTS) {
    const sim = runCli([
      'simulate',
      '--local-root',
      root,
      '--bucket',
      'jobs',
      '--account',
      account,
      '--regions',
      [...REGIONS, 'ap-south-1'].join(','),
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--hours',
      '4',
      '--files-per-hour',
      '2',
      '--records-per-file',
      '3',
    ]);
    expect(sim.status).toBe(0);
  }
  // One log of the second job cannot be signed: a warning in the middle of the run.
  const logs = join(root, 'jobs', 'AWSLogs', ACCOUNTS[0]!, 'CloudTrail', 'eu-west-1', '2024', '05', '01');
  const victim = readdirSync(logs)
    .filter((n) => n.endsWith('.json.gz'))
    .sort()[2]!;
  truncateSync(join(logs, victim), 30);
  for (const copy of ['together', 'one-by-one', 'failing']) {
    cpSync(root, join(dir.path, copy), { recursive: true });
    await copyKeyStore(TEST_KEYS, join(dir.path, `keys-${copy}`));
  }
}, 120_000);
afterAll(() => dir.cleanup());

describe('sign with several jobs', () => {
  it('writes the same digests and prints the same lines, in job order, as signing job by job', () => {
    const together = sign(join(dir.path, 'together'), join(dir.path, 'keys-together'), ['--account-id', ACCOUNTS.join(','), '--regions', REGIONS.join(',')]);
    let out = '';
    let err = '';
    for (const account of ACCOUNTS) {
      for (const region of REGIONS) {
        const one = sign(join(dir.path, 'one-by-one'), join(dir.path, 'keys-one-by-one'), ['--account-id', account, '--regions', region]);
        out += one.out;
        err += one.err;
      }
    }
    expect(together.out.split('\n').filter(Boolean)).toHaveLength(4);
    expect(together.out).toBe(out);
    // The warning about regions left out is one per run and account folder, not per job: compared apart.
    const otherRegions = /^warning: log files of \d+ other region\(s\) .*\n/gm;
    expect(together.err.replace(otherRegions, '')).toBe(err.replace(otherRegions, ''));
    expect(together.err.match(otherRegions)).toHaveLength(ACCOUNTS.length);
    expect(together.err).toMatch(/\(ap-south-1\): they are not in --regions us-east-1,eu-west-1\. /);
    expect(together.err).toMatch(/warning: .*eu-west-1.* is not a complete gzip file/);
    expect(together.status).toBe(1);
    const a = files(join(dir.path, 'together'));
    const b = files(join(dir.path, 'one-by-one'));
    expect(a.size).toBeGreaterThan(16);
    expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
    for (const [name, bytes] of a) expect(bytes.equals(b.get(name)!), name).toBe(true);
  });

  it('stops at the first job that fails, after the ones before it, and says why', () => {
    const r = sign(join(dir.path, 'failing'), join(dir.path, 'keys-failing'), ['--account-id', ACCOUNTS[1]!, '--regions', 'us-east-1,ap-south-1,eu-west-1']);
    expect(r.status).toBe(255);
    expect(r.out.split('\n')[0]).toBe(`${ACCOUNTS[1]} us-east-1: signed 4 digests (8 log files) from 2024-05-01T00:00:00Z to 2024-05-01T04:00:00Z`);
    expect(r.err).toMatch(/No key in .* for region ap-south-1/);
    expect(r.err).not.toMatch(/at .*\.js:\d+/);
  });
});

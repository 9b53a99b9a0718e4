import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { parseDate } from '../../src/format/time.js';
import { parseWitnessRecord } from '../../src/format/witness.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * Issue 14: a witness for the chain's head. `sign --witness` records each chain's newest digest;
 * deleting the newest digests (invisible to the chain and to the AWS CLI) or changing them is then
 * `chain-stops`: one stderr line and exit 1 from validate-logs (its report unchanged), an error
 * finding from audit.
 */
const BUCKET = 'witness-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/wit`;

let dir: { path: string; cleanup: () => void };
let root: string;
let keys: string;
let witness: string;
const digestDir = () => join(root, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
const newest = () => join(digestDir(), `${ACCOUNT}_CloudTrail-Digest_us-east-1_wit_us-east-1_20240501T060000Z.json.gz`);

const sign = (until: string) =>
  runInProcess(['sign', '--keys-dir', keys, '--trail-arn', ARN, '--s3-bucket', BUCKET, '--local-root', root, '--until', until, '--witness', witness]);
const validate = (extra: string[] = []) =>
  runInProcess([
    'validate-logs',
    '--trail-arn',
    ARN,
    '--start-time',
    '2024-05-01T00:00:00Z',
    '--end-time',
    '2024-05-01T06:00:00Z',
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--keys-dir',
    keys,
    ...extra,
  ]);
const audit = (extra: string[] = []) =>
  runInProcess([
    'audit',
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--keys-dir',
    keys,
    '--start-time',
    '2024-05-01T00:00:00Z',
    '--end-time',
    '2024-05-01T06:00:00Z',
    ...extra,
  ]);

beforeAll(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  keys = join(dir.path, 'keys');
  witness = join(dir.path, 'witness');
  await copyKeyStore(TEST_KEYS, keys);
  await simulateDelivery(new LocalStore(root), {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: parseDate('2024-05-01T00:00:00Z').clock,
    hours: 6,
    filesPerHour: 2,
    recordsPerFile: 3,
    seed: 'wit',
  });
  for (const until of ['2024-05-01T04:00:00Z', '2024-05-01T06:00:00Z', '2024-05-01T06:00:00Z']) {
    const r = await sign(until);
    expect(r.status, r.err).toBe(0);
  }
}, 120_000);

afterAll(() => dir?.cleanup());

describe('sign --witness', () => {
  it("records each run's chain head once, write-once (a run that signs nothing adds nothing)", () => {
    const folder = join(witness, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
    const names = readdirSync(folder).sort();
    expect(names).toEqual([
      `${ACCOUNT}_CloudTrail-Digest_us-east-1_wit_us-east-1_20240501T040000Z.json.gz.witness.json`,
      `${ACCOUNT}_CloudTrail-Digest_us-east-1_wit_us-east-1_20240501T060000Z.json.gz.witness.json`,
    ]);
    const record = parseWitnessRecord(readFileSync(join(folder, names[1]!)));
    if (typeof record === 'string') throw new Error(record);
    expect(record.key).toBe(newest().slice(join(root, BUCKET).length + 1));
    expect(record.signature).toBe(JSON.parse(readFileSync(`${newest()}.metadata.json`, 'utf8')).signature);
  });
});

describe('validate-logs and audit --witness', () => {
  it('say the newest digest is there as recorded (one more stderr line, same report, exit 0)', async () => {
    const plain = await validate();
    const withWitness = await validate(['--witness', witness]);
    expect(withWitness.out).toBe(plain.out);
    expect(withWitness.err).toBe(
      `${plain.err}witness: the archive holds s3://${BUCKET}/${newest().slice(join(root, BUCKET).length + 1)} (ending 2024-05-01T06:00:00Z) as the witness recorded it\n`,
    );
    expect(withWitness.status).toBe(0);
    expect((await audit(['--witness', witness])).status).toBe(0);
  });

  it('report a deleted newest digest as chain-stops, which neither the chain nor the AWS CLI sees', async () => {
    const saved = readFileSync(newest());
    const savedMeta = readFileSync(`${newest()}.metadata.json`);
    rmSync(newest());
    rmSync(`${newest()}.metadata.json`);
    try {
      const plain = await validate();
      expect(plain.status).toBe(0); // the chain reads as ending an hour earlier
      const r = await validate(['--witness', witness]);
      expect(r.out).toBe(plain.out);
      expect(r.err).toBe(
        `${plain.err}witness: chain-stops: the witness recorded s3://${BUCKET}/${newest().slice(join(root, BUCKET).length + 1)} ` +
          `(on ${r.err.match(/on (\S+), ending/)?.[1]}, ending 2024-05-01T06:00:00Z) but the archive does not have it: the chain's newest digests were deleted\n`,
      );
      expect(r.status).toBe(1);
      const json = await validate(['--witness', witness, '--output', 'json']);
      expect(json.status).toBe(1);
      expect(json.err).toMatch(/^witness: chain-stops: /m);
      // The JSON summary says the exit code the process gives.
      const jsonSummary = JSON.parse(json.out.trim().split('\n').pop()!) as { exitCode: number };
      expect(jsonSummary.exitCode).toBe(json.status);

      expect((await audit()).out).not.toContain('chain-stops');
      const a = await audit(['--witness', witness, '--output', 'json']);
      const findings = a.out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((o) => o.kind === 'finding' && o.severity !== 'info'); // the newest logs read as pending (info)
      expect(findings).toEqual([expect.objectContaining({ code: 'chain-stops', severity: 'error', account: ACCOUNT, region: 'us-east-1', trail: 'wit' })]);
      expect(a.status).toBe(1);
    } finally {
      writeFileSync(newest(), saved);
      writeFileSync(`${newest()}.metadata.json`, savedMeta);
    }
  });

  it('report a rewritten newest digest (another signature) as chain-stops', async () => {
    const meta = `${newest()}.metadata.json`;
    const saved = readFileSync(meta, 'utf8');
    const parsed = JSON.parse(saved) as { signature: string };
    writeFileSync(meta, JSON.stringify({ ...parsed, signature: `${parsed.signature[0] === '0' ? '1' : '0'}${parsed.signature.slice(1)}` }));
    try {
      const r = await validate(['--witness', witness]);
      expect(r.err).toMatch(/witness: chain-stops: s3:\/\/\S+ differs from what the witness recorded \(on [^)]+\): its signature changed\n$/);
      expect(r.status).toBe(1);
    } finally {
      writeFileSync(meta, saved);
    }
  });

  it('stop (exit 255) on a witness folder that is not there or a record that is not one', async () => {
    const missing = await validate(['--witness', join(dir.path, 'nope')]);
    expect(missing.status).toBe(255);
    expect(missing.err).toMatch(/The witness folder .*nope/);
    // An S3 location that is not one (a bucket name S3 refuses) is said as such, never read.
    const bad = await validate(['--witness', 's3://Not_A_Bucket/heads']);
    expect(bad.err).toBe('\nBad value for --witness: s3://Not_A_Bucket/heads (expected a folder, or s3://BUCKET[/PREFIX])\n');
    expect(bad.status).toBe(255);
    const folder = join(witness, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
    const record = join(folder, `${ACCOUNT}_CloudTrail-Digest_us-east-1_wit_us-east-1_20240501T060000Z.json.gz.witness.json`);
    const saved = readFileSync(record);
    writeFileSync(record, '{"schema":1}');
    try {
      const r = await validate(['--witness', witness]);
      expect(r.err).toMatch(/is not valid: not the fields of a schema 1 witness record\n$/);
      expect(r.status).toBe(255);
    } finally {
      writeFileSync(record, saved);
    }
  });

  it('report a chain whose every digest and log is gone (discovery no longer finds it) as chain-stops from the witness', async () => {
    const account = join(root, BUCKET, 'AWSLogs', ACCOUNT);
    const saved = join(dir.path, 'saved-account');
    cpSync(account, saved, { recursive: true });
    rmSync(account, { recursive: true });
    try {
      // Without the witness, only that the run checked nothing (no chain, no log folder is left).
      const plain = await audit(['--output', 'json']);
      expect(plain.status).toBe(1);
      expect(plain.out).toMatch(/"code":"no-digests".*nothing was checked/);
      expect(plain.out).not.toContain('chain-stops');
      const a = await audit(['--witness', witness, '--output', 'json']);
      const records = a.out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const findings = records.filter((o) => o.kind === 'finding' && o.code !== 'no-digests');
      expect(findings).toEqual([expect.objectContaining({ code: 'chain-stops', severity: 'error', account: ACCOUNT, region: 'us-east-1', trail: 'wit' })]);
      expect(String(findings[0]!.message)).toMatch(/but the archive does not have it/);
      // Its own chain record, with the error counted, and the summary's exit code 1.
      expect(records.filter((o) => o.kind === 'chain')).toEqual([expect.objectContaining({ account: ACCOUNT, findings: { error: 1, warning: 0, info: 0 } })]);
      expect(a.status).toBe(1);
      // Another account's audit (--accounts) does not speak of it.
      const other = await audit(['--witness', witness, '--accounts', '999988887777']);
      expect(other.out).not.toContain('chain-stops');
    } finally {
      cpSync(saved, account, { recursive: true });
    }
  });
});

import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeInventoryReport } from '../../src/simulate/inventory.js';
import { LocalStore } from '../../src/store/local.js';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { adminClient, createBucket, NO_S3, removeBucket, runCliAsync, S3_ENDPOINT, uniqueBucket, uploadTree } from './helpers.js';

/**
 * `trailproof audit` against a real S3 server: the archive uploaded as S3 holds it gives, byte for
 * byte, the report of its local copy; a change made through the S3 API is found.
 */
const ACCOUNTS = ['111122223333', '444455556666'];
const REGIONS = 'us-east-1,eu-west-1';
const WINDOW = ['--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-01T04:00:00Z'];

describe.skipIf(NO_S3)('audit on S3', () => {
  let admin: S3Client;
  let bucket: string;
  let dir: { path: string; cleanup: () => void };
  const keysDir = () => join(dir.path, 'keys');
  const root = () => join(dir.path, 'root');
  const audit = (where: string[], extra: string[] = [], window = WINDOW) => [
    'audit',
    '--s3-bucket',
    bucket,
    ...window,
    '--keys-dir',
    keysDir(),
    '--output',
    'json',
    ...where,
    ...extra,
  ];

  beforeAll(async () => {
    admin = adminClient();
    bucket = uniqueBucket('audit');
    await createBucket(admin, bucket);
    dir = tempDir();
    await copyKeyStore(TEST_KEYS, keysDir());
    for (const account of ACCOUNTS) {
      const sim = runCli([
        'simulate',
        '--local-root',
        root(),
        '--bucket',
        bucket,
        '--account',
        account,
        '--regions',
        REGIONS,
        '--start-time',
        '2024-05-01T00:00:00Z',
        '--hours',
        '4',
        '--files-per-hour',
        '2',
        '--records-per-file',
        '5',
        '--seed',
        account,
      ]);
      expect(sim.status, sim.err).toBe(0);
    }
    const sign = runCli([
      'sign',
      '--keys-dir',
      keysDir(),
      '--trail-arn',
      `arn:aws:cloudtrail:us-east-1:${ACCOUNTS[0]}:trail/org`,
      '--s3-bucket',
      bucket,
      '--local-root',
      root(),
      '--account-id',
      ACCOUNTS.join(','),
      '--regions',
      REGIONS,
      '--until',
      '2024-05-01T04:00:00Z',
      '--now',
      '2024-05-01T05:00:00Z',
    ]);
    expect(sign.status, sign.err).toBe(0);
    await uploadTree(admin, join(root(), bucket), bucket);
  }, 180_000);

  afterAll(async () => {
    if (admin && bucket) await removeBucket(admin, bucket);
    dir?.cleanup();
    admin?.destroy();
  });

  it('gives the report of the local copy, byte for byte (clean: exit 0)', async () => {
    const local = runCli(audit(['--local-root', root()]));
    const s3 = await runCliAsync(audit(['--endpoint-url', S3_ENDPOINT!]), { timeout: 120_000 });
    expect(local.status, local.err).toBe(0);
    expect(s3.err).toBe('');
    expect(s3.out).toBe(local.out);
    expect(s3.status).toBe(0);
    const summary = JSON.parse(s3.out.trim().split('\n').pop()!) as { chains: number; findings: { error: number } };
    expect(summary.chains).toBe(ACCOUNTS.length * 2);
  }, 120_000);

  it('a later window (only its days and the lookback are listed: the S3 listing jumps) gives the local report too', async () => {
    // Three days after the archive: its chains ended in the lookback (chain-stops). Three weeks after:
    // they are history, and nothing is checked (no-digests). Each window's first key jumps past the history.
    const later = (day: string) => ['--start-time', `2024-05-${day}T00:00:00Z`, '--end-time', `2024-05-${day}T06:00:00Z`];
    for (const [day, code] of [
      ['04', 'chain-stops'],
      ['22', 'no-digests'],
    ] as const) {
      const args = (where: string[]) => audit(where, [], later(day));
      const local = runCli(args(['--local-root', root()]));
      const s3 = await runCliAsync(args(['--endpoint-url', S3_ENDPOINT!]), { timeout: 120_000 });
      expect(s3.err).toBe(local.err);
      expect(s3.out).toBe(local.out);
      expect(s3.status).toBe(local.status);
      expect(s3.out).toContain(`"code":"${code}"`);
    }
  }, 120_000);

  it("--inventory s3://...: the report read from its destination bucket on S3 gives the listing run's bytes", async () => {
    const dest = uniqueBucket('inventory');
    await createBucket(admin, dest);
    try {
      const staging = join(dir.path, 'inventory');
      mkdirSync(staging, { recursive: true });
      const folder = `inventory/${bucket}/trailproof`;
      const written = await writeInventoryReport(
        new LocalStore(root()),
        { bucket, destinationBucket: dest, creationTimestamp: Date.now(), rowsPerFile: 20 },
        async (name, bytes) => writeFileSync(join(staging, name), bytes),
      );
      expect(written.files).toBeGreaterThan(1);
      for (const name of readdirSync(staging)) {
        const key = name === 'manifest.json' ? `${folder}/2024-05-02T00-00Z/manifest.json` : `${folder}/data/${name}`;
        await admin.send(new PutObjectCommand({ Bucket: dest, Key: key, Body: readFileSync(join(staging, name)) }));
      }
      const listed = await runCliAsync(audit(['--endpoint-url', S3_ENDPOINT!]), { timeout: 120_000 });
      const inv = await runCliAsync(audit(['--endpoint-url', S3_ENDPOINT!], ['--inventory', `s3://${dest}/${folder}/2024-05-02T00-00Z/manifest.json`]), {
        timeout: 120_000,
      });
      expect(inv.err).toBe('');
      expect(inv.status).toBe(listed.status);
      expect(inv.out).toBe(listed.out);
    } finally {
      await removeBucket(admin, dest);
    }
  }, 120_000);

  it('keeps its state in an S3 object (--state s3://...): a first run starts it, a deleted newest digest is history-rewritten', async () => {
    const stateKey = 'trailproof/audit-state.json';
    const withState = audit(['--endpoint-url', S3_ENDPOINT!], ['--state', `s3://${bucket}/${stateKey}`]);
    const first = await runCliAsync(withState, { timeout: 120_000 });
    expect(first.status, first.err).toBe(0);
    expect(first.err).toContain(`no state at s3://${bucket}/${stateKey} yet`);
    const got = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: stateKey }));
    const state = JSON.parse(await got.Body!.transformToString()) as { schema: number; bucket: string; chains: Record<string, { key: string }> };
    expect(state.schema).toBe(1);
    expect(state.bucket).toBe(bucket);
    const marks = Object.values(state.chains);
    expect(marks).toHaveLength(ACCOUNTS.length * 2);

    // The recorded digest of the last chain, deleted (and put back after): only the state can tell.
    const newest = marks[marks.length - 1]!.key;
    const saved = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: newest }));
    const body = Buffer.from(await saved.Body!.transformToByteArray());
    await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: newest }));
    try {
      const second = await runCliAsync(withState, { timeout: 120_000 });
      expect(second.status).toBe(1);
      expect(second.err).not.toContain('no state at');
      const codes = second.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; code?: string; s3?: string | null })
        .filter((x) => x.kind === 'finding');
      expect(codes.find((f) => f.code === 'history-rewritten')?.s3).toBe(`s3://${bucket}/${newest}`);
      // A run with errors does not move the state past them: the object is unchanged.
      const after = await admin.send(new GetObjectCommand({ Bucket: bucket, Key: stateKey }));
      expect(JSON.parse(await after.Body!.transformToString())).toEqual(state);
    } finally {
      await admin.send(new PutObjectCommand({ Bucket: bucket, Key: newest, Body: body, Metadata: saved.Metadata }));
    }
  }, 180_000);

  it('finds a log planted and a digest deleted through the S3 API', async () => {
    const planted = `AWSLogs/${ACCOUNTS[1]}/CloudTrail/eu-west-1/2024/05/01/${ACCOUNTS[1]}_CloudTrail_eu-west-1_20240501T0130Z_PlantedLogObject.json.gz`;
    const digest = `AWSLogs/${ACCOUNTS[0]}/CloudTrail-Digest/us-east-1/2024/05/01/${ACCOUNTS[0]}_CloudTrail-Digest_us-east-1_org_us-east-1_20240501T020000Z.json.gz`;
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: planted, Body: gzipSync('{"Records":[]}') }));
    await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: digest }));
    const r = await runCliAsync(audit(['--endpoint-url', S3_ENDPOINT!]), { timeout: 120_000 });
    expect(r.status).toBe(1);
    const findings = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; code?: string; s3?: string | null })
      .filter((x) => x.kind === 'finding');
    expect(findings.find((f) => f.code === 'unreferenced-log')?.s3).toBe(`s3://${bucket}/${planted}`);
    expect(findings.find((f) => f.code === 'missing-digest')?.s3).toBe(`s3://${bucket}/${digest}`);
  }, 120_000);

  it('names a log planted under a key S3 allows and a folder cannot hold (a leading "/"), never passing it as the archive\'s', async () => {
    // As prefix '' it passed for the bucket's own AWSLogs/ (same chain and log folder), and was listed by neither.
    const planted = `/AWSLogs/${ACCOUNTS[1]}/CloudTrail/eu-west-1/2024/05/01/${ACCOUNTS[1]}_CloudTrail_eu-west-1_20240501T0140Z_LeadingSlashLogX.json.gz`;
    await admin.send(new PutObjectCommand({ Bucket: bucket, Key: planted, Body: gzipSync('{"Records":[]}') }));
    try {
      const r = await runCliAsync(audit(['--endpoint-url', S3_ENDPOINT!]), { timeout: 120_000 });
      const findings = r.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; code?: string; s3?: string | null })
        .filter((x) => x.kind === 'finding');
      expect(findings.map((f) => [f.code, f.s3])).toContainEqual(['unexpected-object', `s3://${bucket}/${planted}`]);
    } finally {
      await admin.send(new DeleteObjectCommand({ Bucket: bucket, Key: planted }));
    }
  }, 120_000);
});

import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { runCli, tempDir } from '../helpers/cli.js';

/**
 * An organization trail through the real CLI: simulate + sign under `AWSLogs/<org>/<account>/`,
 * then validate with the trail from --trails (IsOrganizationTrail), --account-id and --organization-id.
 */
const ORG = 'o-abcdef1234';
const ACCOUNT = '444455556666';
const MGMT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${MGMT}:trail/org-trail`;
let dir: { path: string; cleanup: () => void };

beforeAll(async () => {
  dir = tempDir();
  await copyKeyStore(TEST_KEYS, join(dir.path, 'keys'));
  const sim = runCli([
    'simulate',
    '--local-root',
    join(dir.path, 'root'),
    '--bucket',
    'org-bucket',
    '--account',
    ACCOUNT,
    '--regions',
    'us-east-1',
    '--start-time',
    '2024-05-01T00:00:00Z',
    '--hours',
    '3',
    '--files-per-hour',
    '2',
    '--records-per-file',
    '5',
    '--organization-id',
    ORG,
    '--prefix',
    'trails/org',
  ]);
  expect(sim.status).toBe(0);
  const sign = runCli([
    'sign',
    '--keys-dir',
    join(dir.path, 'keys'),
    '--trail-arn',
    ARN,
    '--s3-bucket',
    'org-bucket',
    '--s3-prefix',
    'trails/org',
    '--account-id',
    ACCOUNT,
    '--organization-id',
    ORG,
    '--local-root',
    join(dir.path, 'root'),
    '--until',
    '2024-05-01T03:00:00Z',
  ]);
  // The test keys rotate us-east-1 at 03:00: the 02:00-03:00 digest is signed with the second key.
  expect(sign.err).toMatch(/^(?:rotated us-east-1 from key 7709b8c6cb2b405be24aa7bd0ef0f402 to eaa30b58a1a1b30b4bbc8ef13106ab69: [^\n]*\n)*$/);
  expect(sign.out).toContain('signed 3 digests (6 log files)');
  writeFileSync(
    join(dir.path, 'trails.json'),
    JSON.stringify({
      trailList: [
        { Name: 'org-trail', S3BucketName: 'org-bucket', S3KeyPrefix: 'trails/org', TrailARN: ARN, IsOrganizationTrail: true, HomeRegion: 'us-east-1' },
      ],
    }),
  );
}, 60_000);
afterAll(() => dir.cleanup());

describe('organization trails', () => {
  it('are signed under AWSLogs/<org>/<account>/', () => {
    expect(
      existsSync(join(dir.path, 'root', 'org-bucket', 'trails', 'org', 'AWSLogs', ORG, ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01')),
    ).toBe(true);
  });

  it('validate from the trail description, with the member account and the organization id', () => {
    const r = runCli([
      'validate-logs',
      '--trail-arn',
      ARN,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-05-01T03:00:00Z',
      '--trails',
      join(dir.path, 'trails.json'),
      '--account-id',
      ACCOUNT,
      '--organization-id',
      ORG,
      '--local-root',
      join(dir.path, 'root'),
      '--keys-dir',
      join(dir.path, 'keys'),
      '--verbose',
    ]);
    expect(r.err).toBe('');
    expect(r.status).toBe(0);
    expect(r.out).toContain(
      `Digest file\ts3://org-bucket/trails/org/AWSLogs/${ORG}/${ACCOUNT}/CloudTrail-Digest/us-east-1/2024/05/01/${ACCOUNT}_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20240501T030000Z.json.gz\tvalid`,
    );
    expect(r.out).toContain('3/3 digest files valid\n6/6 log files valid\n');
  });

  it('find nothing without the organization id (the digests are not where a plain trail keeps them)', () => {
    const r = runCli([
      'validate-logs',
      '--trail-arn',
      ARN,
      '--start-time',
      '2024-05-01T00:00:00Z',
      '--end-time',
      '2024-05-01T03:00:00Z',
      '--s3-bucket',
      'org-bucket',
      '--s3-prefix',
      'trails/org',
      '--account-id',
      ACCOUNT,
      '--local-root',
      join(dir.path, 'root'),
      '--keys-dir',
      join(dir.path, 'keys'),
    ]);
    expect(r.out).toContain('No digests found');
  });
});

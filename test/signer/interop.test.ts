import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash as hash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * Every signer output read with the AWS CLI's algorithm, independently of trailproof's verifier:
 * the digest key matches the AWS CLI's digest-key regex for the trail, the JSON has exactly the
 * guide's fields in its order, and OpenSSL verifies the signature over the data-signing string
 * rebuilt here from the guide's formula.
 */
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:trail/interop-trail`;
const FIELDS = [
  'awsAccountId',
  'digestStartTime',
  'digestEndTime',
  'digestS3Bucket',
  'digestS3Object',
  'digestPublicKeyFingerprint',
  'digestSignatureAlgorithm',
  'newestEventTime',
  'oldestEventTime',
  'previousDigestS3Bucket',
  'previousDigestS3Object',
  'previousDigestHashValue',
  'previousDigestHashAlgorithm',
  'previousDigestSignature',
  'logFiles',
];
// aws-cli's DigestProvider._create_digest_key_regex for this trail, prefix "p/x", source region us-east-1.
const AWS_CLI_KEY = new RegExp(
  `^p/x/AWSLogs/${ACCOUNT}/CloudTrail\\-Digest/us\\-east\\-1/\\d+/\\d+/\\d+/${ACCOUNT}_CloudTrail\\-Digest_us\\-east\\-1_interop\\-trail_eu\\-west\\-1_.+(?:_backfill)?\\.json\\.gz$`,
);
let dir: { path: string; cleanup: () => void };
const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));

beforeAll(async () => {
  dir = tempDir();
  await copyKeyStore(TEST_KEYS, join(dir.path, 'keys'));
  const root = join(dir.path, 'root');
  expect(
    (
      await runInProcess([
        'simulate',
        '--local-root',
        root,
        '--bucket',
        'interop',
        '--account',
        ACCOUNT,
        '--regions',
        'us-east-1',
        '--start-time',
        '2024-05-01T01:00:00Z',
        '--hours',
        '4',
        '--files-per-hour',
        '2',
        '--records-per-file',
        '4',
        '--prefix',
        'p/x',
      ])
    ).status,
  ).toBe(0);
  const sign = [
    'sign',
    '--keys-dir',
    join(dir.path, 'keys'),
    '--trail-arn',
    ARN,
    '--s3-bucket',
    'interop',
    '--s3-prefix',
    'p/x',
    '--regions',
    'us-east-1',
    '--local-root',
    root,
  ];
  expect((await runInProcess([...sign, '--until', '2024-05-01T03:00:00Z'])).status).toBe(0);
  expect((await runInProcess([...sign, '--until', '2024-05-01T05:00:00Z', '--new-chain', '--start-time', '2024-05-01T04:00:00Z'])).status).toBe(0);
  expect((await runInProcess([...sign, '--backfill', '--now', '2024-05-02T00:00:00Z'])).status).toBe(0);
}, 60_000);
afterAll(() => dir.cleanup());

describe('signer output, read the AWS CLI way', () => {
  it("verifies with OpenSSL over the guide's data-signing string, keys and fields as the AWS CLI expects", async () => {
    const bucketDir = join(dir.path, 'root', 'interop');
    const digests = files(bucketDir).filter((f) => f.includes('CloudTrail-Digest') && f.endsWith('.json.gz'));
    expect(digests.length).toBe(4); // 01-02, 02-03; a new chain 04-05; a backfill digest for 03-04
    const keys = JSON.parse(
      (
        await runInProcess([
          'list-public-keys',
          '--keys-dir',
          join(dir.path, 'keys'),
          '--start-time',
          '2024-05-01T00:00:00Z',
          '--end-time',
          '2024-05-03T00:00:00Z',
        ])
      ).out,
    ) as { PublicKeyList: Array<{ Value: string; Fingerprint: string }> };
    for (const file of digests) {
      const key = file.slice(bucketDir.length + 1);
      expect(key).toMatch(AWS_CLI_KEY);
      const raw = gunzipSync(readFileSync(file));
      const d = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      expect(Object.keys(d)).toEqual(FIELDS);
      expect(d.digestS3Object).toBe(key);
      const meta = JSON.parse(readFileSync(`${file}.metadata.json`, 'utf8')) as Record<string, string>;
      expect(meta['signature-algorithm']).toBe('SHA256withRSA');
      expect(key.endsWith('_backfill.json.gz')).toBe('backfill-generation-timestamp' in meta);
      const signed = `${d.digestEndTime}\n${d.digestS3Bucket}/${d.digestS3Object}\n${hash('sha256').update(raw).digest('hex')}\n${d.previousDigestSignature ?? 'null'}`;
      const pub = keys.PublicKeyList.find((k) => k.Fingerprint === d.digestPublicKeyFingerprint)!;
      const pem = createPublicKey({ key: Buffer.from(pub.Value, 'base64'), format: 'der', type: 'pkcs1' }).export({ type: 'spki', format: 'pem' });
      writeFileSync(join(dir.path, 'pub.pem'), pem);
      writeFileSync(join(dir.path, 'data.txt'), signed);
      writeFileSync(join(dir.path, 'sig.bin'), Buffer.from(meta.signature!, 'hex'));
      const ok = execFileSync('openssl', [
        'dgst',
        '-sha256',
        '-verify',
        join(dir.path, 'pub.pem'),
        '-signature',
        join(dir.path, 'sig.bin'),
        join(dir.path, 'data.txt'),
      ]).toString();
      expect(ok.trim()).toBe('Verified OK');
    }
  });

  it('chains each digest to the previous one by key, signature and hash', () => {
    const bucketDir = join(dir.path, 'root', 'interop');
    const digests = files(bucketDir)
      .filter((f) => f.includes('CloudTrail-Digest') && f.endsWith('Z.json.gz'))
      .sort();
    const [first, second] = digests.map((f) => ({ f, d: JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')) as Record<string, unknown> }));
    expect(first!.d.previousDigestS3Object).toBeNull();
    expect(second!.d.previousDigestS3Object).toBe(first!.d.digestS3Object);
    expect(second!.d.previousDigestHashValue).toBe(
      hash('sha256')
        .update(gunzipSync(readFileSync(first!.f)))
        .digest('hex'),
    );
    expect(second!.d.previousDigestSignature).toBe(JSON.parse(readFileSync(`${first!.f}.metadata.json`, 'utf8')).signature);
  });
});

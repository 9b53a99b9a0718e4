import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dataSigningString } from '../../src/format/signing.js';
import { ROOT } from '../helpers/cli.js';

/**
 * Known answer: a digest from test/vectors/clean (signed by an independent Python implementation)
 * verifies over the string dataSigningString builds, with the vector's public key.
 */
const CASE = join(ROOT, 'test', 'vectors', 'clean');
const BUCKET = 'oracle-trail-bucket';
const PREFIX = 'AWSLogs/123456789012/CloudTrail-Digest/us-east-1';

function vectorDigest(key: string): { raw: Buffer; json: Record<string, string | null>; signature: string } {
  const path = join(CASE, 'root', BUCKET, ...key.split('/'));
  const raw = gunzipSync(readFileSync(path));
  const sidecar = JSON.parse(readFileSync(`${path}.metadata.json`, 'utf8')) as { signature: string };
  return { raw, json: JSON.parse(raw.toString('utf8')) as Record<string, string | null>, signature: sidecar.signature };
}

const publicKey = (() => {
  const keys = JSON.parse(readFileSync(join(CASE, 'keys.json'), 'utf8')) as { PublicKeyList: Array<{ Value: string }> };
  return createPublicKey({ key: Buffer.from(keys.PublicKeyList[0]!.Value, 'base64'), format: 'der', type: 'pkcs1' });
})();

describe('dataSigningString', () => {
  it.each([
    [
      'first of a chain (null previous signature)',
      `${PREFIX}/2024/02/28/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_20240228T220519Z.json.gz`,
    ],
    ['chained', `${PREFIX}/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_20240229T020519Z.json.gz`],
  ])('verifies a vector digest: %s', (_label, key) => {
    const d = vectorDigest(key);
    const text = dataSigningString({
      digestEndTime: d.json.digestEndTime!,
      digestS3Bucket: BUCKET,
      digestS3Object: key,
      digestSha256Hex: createHash('sha256').update(d.raw).digest('hex'),
      previousDigestSignature: d.json.previousDigestSignature ?? null,
    });
    expect(verify('sha256', Buffer.from(text, 'utf8'), publicKey, Buffer.from(d.signature, 'hex'))).toBe(true);
    // and a one-character change to any part breaks it
    expect(verify('sha256', Buffer.from(`${text} `, 'utf8'), publicKey, Buffer.from(d.signature, 'hex'))).toBe(false);
  });

  it('exact layout, `null` for a missing previous signature', () => {
    const f = { digestEndTime: 'E', digestS3Bucket: 'b', digestS3Object: 'k/o', digestSha256Hex: 'h' };
    expect(dataSigningString({ ...f, previousDigestSignature: null })).toBe('E\nb/k/o\nh\nnull');
    expect(dataSigningString({ ...f, previousDigestSignature: 'ab' })).toBe('E\nb/k/o\nh\nab');
    expect(dataSigningString({ ...f, previousDigestSignature: '' })).toBe('E\nb/k/o\nh\n');
  });
});

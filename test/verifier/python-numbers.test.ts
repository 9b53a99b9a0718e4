import { describe, expect, it } from 'vitest';
import { beforeKey, withKey } from '../../src/chain/digest-verdict.js';

/**
 * The reference's Python json keeps ints and floats apart (`1.0` is a float, printed
 * `1.0`; `123456789012345678901234567890` an exact int). JSON.parse gives one double for both, so
 * the messages that format a digest's values (`'X' object does not support item assignment`,
 * `public key not found ... for fingerprint V`) differ from the AWS CLI's, byte for byte, on
 * digests the reference reads.
 */
const place = { bucket: 'b', key: 'AWSLogs/1/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz', backfill: false, homeRegion: 'us-east-1' };
const metadata = { signature: 'ab', 'signature-algorithm': 'SHA256withRSA' };

function fingerprintMessage(fingerprint: string): string {
  const text = `{"awsAccountId":"1","digestStartTime":"2024-05-01T00:00:00Z","digestEndTime":"2024-05-01T01:00:00Z","digestS3Bucket":"b","digestS3Object":"${place.key}","digestPublicKeyFingerprint":${fingerprint},"digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}`;
  const first = beforeKey(Buffer.from(text), metadata, place);
  if (first.kind !== 'need-key') return `${first.kind}: ${'reason' in first ? first.reason : ''}`;
  const verdict = withKey(first, undefined, metadata, place);
  return verdict.kind === 'invalid' ? verdict.reason : verdict.kind;
}

describe("Python's ints and floats in digest values", () => {
  it('a digest that is the float 1.0 is a float', () => {
    expect(beforeKey(Buffer.from('1.0'), metadata, place)).toEqual({ kind: 'invalid', reason: "'float' object does not support item assignment" });
  });

  it('a float fingerprint prints as Python prints it', () => {
    expect(fingerprintMessage('2.0')).toBe('public key not found in region us-east-1 for fingerprint 2.0');
  });

  it('a big int fingerprint prints exactly', () => {
    expect(fingerprintMessage('123456789012345678901234567890')).toBe(
      'public key not found in region us-east-1 for fingerprint 123456789012345678901234567890',
    );
  });
});

import { gzipSync } from 'node:zlib';
import { sha256Hex } from '../crypto/hash.js';
import { dataSigningString } from '../format/signing.js';

/**
 * A digest file exactly as CloudTrail writes one: the guide's field names in the guide's order,
 * compact JSON, gzip, signature in the object metadata (guide: "CloudTrail Digest File Structure").
 */
export interface DigestLogFile {
  readonly s3Bucket: string;
  readonly s3Object: string;
  readonly hashValue: string;
  readonly hashAlgorithm: 'SHA-256';
  readonly newestEventTime: string | null;
  readonly oldestEventTime: string | null;
}

export interface PreviousDigest {
  readonly bucket: string;
  readonly key: string;
  /** Lowercase hex SHA-256 of the previous digest's uncompressed bytes. */
  readonly hashValue: string;
  /** Hex signature of the previous digest (from its metadata). */
  readonly signature: string;
}

export interface DigestContent {
  readonly awsAccountId: string;
  readonly digestStartTime: string;
  readonly digestEndTime: string;
  readonly digestS3Bucket: string;
  readonly digestS3Object: string;
  readonly digestPublicKeyFingerprint: string;
  readonly previous: PreviousDigest | null;
  readonly logFiles: readonly DigestLogFile[];
}

function newest(values: (string | null)[]): string | null {
  return values.reduce<string | null>((a, v) => (v !== null && (a === null || v > a) ? v : a), null);
}

function oldest(values: (string | null)[]): string | null {
  return values.reduce<string | null>((a, v) => (v !== null && (a === null || v < a) ? v : a), null);
}

/** The uncompressed digest bytes, fields in CloudTrail's order. */
export function serializeDigest(d: DigestContent): Buffer {
  const p = d.previous;
  const json = {
    awsAccountId: d.awsAccountId,
    digestStartTime: d.digestStartTime,
    digestEndTime: d.digestEndTime,
    digestS3Bucket: d.digestS3Bucket,
    digestS3Object: d.digestS3Object,
    digestPublicKeyFingerprint: d.digestPublicKeyFingerprint,
    digestSignatureAlgorithm: 'SHA256withRSA',
    newestEventTime: newest(d.logFiles.map((l) => l.newestEventTime)),
    oldestEventTime: oldest(d.logFiles.map((l) => l.oldestEventTime)),
    previousDigestS3Bucket: p ? p.bucket : null,
    previousDigestS3Object: p ? p.key : null,
    previousDigestHashValue: p ? p.hashValue : null,
    previousDigestHashAlgorithm: p ? 'SHA-256' : null,
    previousDigestSignature: p ? p.signature : null,
    logFiles: d.logFiles.map((l) => ({
      s3Bucket: l.s3Bucket,
      s3Object: l.s3Object,
      hashValue: l.hashValue,
      hashAlgorithm: l.hashAlgorithm,
      newestEventTime: l.newestEventTime,
      oldestEventTime: l.oldestEventTime,
    })),
  };
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/** The bytes to sign for a digest (guide: "Contents of the Data Signing String"). */
export function signingInput(d: DigestContent, uncompressed: Uint8Array): Buffer {
  return Buffer.from(
    dataSigningString({
      digestEndTime: d.digestEndTime,
      digestS3Bucket: d.digestS3Bucket,
      digestS3Object: d.digestS3Object,
      digestSha256Hex: sha256Hex(uncompressed),
      previousDigestSignature: d.previous ? d.previous.signature : null,
    }),
    'utf8',
  );
}

export function compress(uncompressed: Uint8Array): Buffer {
  return gzipSync(uncompressed);
}

import { formatDisplay, parseStrictUtc } from './time.js';

/**
 * A witness record: what `sign --witness` writes, after each run, about each chain's newest digest,
 * to a place the archive's writers cannot rewrite (another account, write-only, Object Lock). The
 * chain cannot show the deletion of its newest digests; a record of them elsewhere can.
 *
 *   <witness>/<archive bucket>/<digest key>.witness.json
 *   {"schema":1,"bucket":...,"key":...,"sha256":...,"signature":...,"digestEndTime":...,"recordedAt":...}
 *
 * One object per recorded head, never replaced: the newest record of a chain is the one to check.
 * Read back it is untrusted input: parsed strictly, bounded.
 */
export const WITNESS_SUFFIX = '.witness.json';
export const MAX_WITNESS_RECORD = 16 * 1024;

export interface WitnessRecord {
  readonly bucket: string;
  readonly key: string;
  /** Lowercase hex SHA-256 of the digest's uncompressed bytes (what the next digest's previousDigestHashValue holds). */
  readonly sha256: string;
  /** Lowercase hex signature (the digest's `signature` metadata). */
  readonly signature: string;
  /** The digest's end time and when it was recorded, UTC micros. */
  readonly digestEndTime: number;
  readonly recordedAt: number;
}

export function serializeWitnessRecord(r: WitnessRecord): Buffer {
  const body = {
    schema: 1,
    bucket: r.bucket,
    key: r.key,
    sha256: r.sha256,
    signature: r.signature,
    digestEndTime: formatDisplay(r.digestEndTime),
    recordedAt: formatDisplay(r.recordedAt),
  };
  return Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
}

/** The record, or why it is not one (a message naming no content: the bytes are untrusted). */
export function parseWitnessRecord(bytes: Uint8Array): WitnessRecord | string {
  if (bytes.length > MAX_WITNESS_RECORD) return 'larger than 16 KiB';
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return 'not JSON';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a JSON object';
  const o = doc as Record<string, unknown>;
  const fields = ['schema', 'bucket', 'key', 'sha256', 'signature', 'digestEndTime', 'recordedAt'];
  if (Object.keys(o).length !== fields.length || !fields.every((f) => f in o)) return 'not the fields of a schema 1 witness record';
  if (o.schema !== 1) return 'schema is not 1';
  if (typeof o.bucket !== 'string' || typeof o.key !== 'string' || o.bucket === '' || o.key === '') return 'bucket or key is not a string';
  if (typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) return 'sha256 is not 64 lowercase hex digits';
  if (typeof o.signature !== 'string' || !/^[0-9a-f]{2,2048}$/.test(o.signature)) return 'signature is not lowercase hex';
  const end = typeof o.digestEndTime === 'string' ? parseStrictUtc(o.digestEndTime) : null;
  const at = typeof o.recordedAt === 'string' ? parseStrictUtc(o.recordedAt) : null;
  if (end === null || at === null) return 'digestEndTime or recordedAt is not a UTC time';
  return { bucket: o.bucket, key: o.key, sha256: o.sha256, signature: o.signature, digestEndTime: end, recordedAt: at };
}

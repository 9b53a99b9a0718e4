import { TrailproofError } from '../errors.js';
import { get, has, isObject, parseJsonBytes, pyStr, pyTypeName, PyNumber, type Json, type JsonObject } from './json.js';
import { dataSigningString } from './signing.js';
import { parseDate, type ParsedTime } from './time.js';

/**
 * A digest file as one typed value, parsed once from the exact inflated bytes (kept for hashing:
 * the signature covers SHA-256 of these bytes, never a re-encoding). Every field is
 * attacker-controlled: values are read through json.ts helpers, and the Python exception texts
 * the reference prints for wrong types are reproduced (behaviour §3.9).
 */

/** A failure the reference reports with the text of a Python exception (behaviour §3.9). */
export class DigestFieldError extends TrailproofError {
  constructor(message: string) {
    super('format', message);
  }
}

/** The fields the reference requires before checking anything else (behaviour §3.4). */
export const REQUIRED_DIGEST_FIELDS = [
  'digestPublicKeyFingerprint',
  'digestS3Bucket',
  'digestS3Object',
  'previousDigestSignature',
  'digestEndTime',
  'digestStartTime',
] as const;

/** dateutil's parse of a JSON value, with its error texts. */
export function parseJsonTime(v: Json | undefined): ParsedTime {
  if (typeof v !== 'string') {
    throw new DigestFieldError(`Parser must be a string or character stream, not ${pyTypeName(v ?? null)}`);
  }
  try {
    return parseDate(v);
  } catch (err) {
    throw new DigestFieldError((err as Error).message);
  }
}

/** One `logFiles` entry: where the log is and the hash it must have (any JSON type: hostile). */
export interface LogEntry {
  readonly s3Bucket: Json;
  readonly s3Object: Json;
  readonly hashValue: Json | undefined;
  readonly hasHashValue: boolean;
}

export class Digest {
  private start: ParsedTime | undefined;
  private end: ParsedTime | undefined;

  private constructor(
    /** The inflated bytes exactly as stored. */
    readonly raw: Buffer,
    readonly json: JsonObject,
  ) {}

  /**
   * The digest in `raw`: 'unparseable' when it is not UTF-8 JSON (or nests too deep), else the
   * decoded value, which may be any JSON value (the reference only fails on a non-object later).
   */
  static parse(raw: Buffer): { kind: 'digest'; digest: Digest } | { kind: 'not-an-object'; value: Json } | { kind: 'unparseable' } {
    const parsed = parseJsonBytes(raw);
    if (!parsed.ok) return { kind: 'unparseable' };
    if (!isObject(parsed.value)) return { kind: 'not-an-object', value: parsed.value };
    return { kind: 'digest', digest: new Digest(raw, parsed.value) };
  }

  field(name: string): Json | undefined {
    return get(this.json, name);
  }

  has(name: string): boolean {
    return has(this.json, name);
  }

  /** The first required field that is absent (behaviour §3.4), if any. */
  missingRequired(): string | undefined {
    return REQUIRED_DIGEST_FIELDS.find((f) => !this.has(f));
  }

  /** Parsed once; throws DigestFieldError with dateutil's text. */
  startTime(): ParsedTime {
    return (this.start ??= parseJsonTime(this.field('digestStartTime')));
  }

  endTime(): ParsedTime {
    return (this.end ??= parseJsonTime(this.field('digestEndTime')));
  }

  /** A time field as text for reports (null when it is not a string). */
  text(name: 'digestStartTime' | 'digestEndTime'): string | null {
    const v = this.field(name);
    return typeof v === 'string' ? v : null;
  }

  /**
   * The data-signing string this digest must be signed over, as the reference builds it from the
   * decoded values (Python's str() of each; a null previous signature is `null`).
   */
  signingString(bucket: string, key: string, sha256Hex: string): string {
    const previous = this.field('previousDigestSignature');
    return dataSigningString({
      digestEndTime: pyStr(this.field('digestEndTime') ?? null),
      digestS3Bucket: bucket,
      digestS3Object: key,
      digestSha256Hex: sha256Hex,
      previousDigestSignature: previous === null || previous === undefined ? null : pyStr(previous),
    });
  }

  /**
   * The previous digest's location, or null when the chain ends here (either field null or absent,
   * behaviour §3.10). A non-string location cannot be followed: the run stops.
   */
  previous(where: string): { bucket: string; key: string } | null {
    const bucket = this.field('previousDigestS3Bucket');
    const key = this.field('previousDigestS3Object');
    if (bucket === undefined || bucket === null || key === undefined || key === null) return null;
    if (typeof bucket !== 'string') throw new TrailproofError('input', `${where}: previousDigestS3Bucket is not a string`);
    if (typeof key !== 'string') throw new TrailproofError('input', `${where}: previousDigestS3Object is not a string`);
    return { bucket, key };
  }

  /** The entries of `logFiles`, as the reference iterates them; malformed shapes stop the run. */
  logEntries(where: string): LogEntry[] {
    if (!this.has('logFiles')) throw new TrailproofError('input', `${where}: the digest has no logFiles field`);
    const list = this.field('logFiles')!;
    // Python: `if not digest['logFiles']: continue` (any falsy value means no logs).
    if (list === null || list === false || list === 0 || list === '' || (Array.isArray(list) && list.length === 0)) return [];
    if (list instanceof PyNumber && list.value === 0) return []; // 0.0, -0.0
    if (isObject(list) && Object.keys(list).length === 0) return [];
    if (!Array.isArray(list)) throw new TrailproofError('input', `${where}: logFiles is not a list`);
    return list.map((entry) => {
      if (!isObject(entry) || !has(entry, 's3Bucket') || !has(entry, 's3Object')) {
        throw new TrailproofError('input', `${where}: a logFiles entry has no s3Bucket or s3Object`);
      }
      return {
        s3Bucket: get(entry, 's3Bucket')!,
        s3Object: get(entry, 's3Object')!,
        hashValue: get(entry, 'hashValue'),
        hasHashValue: has(entry, 'hashValue'),
      };
    });
  }
}

import { noSuchBucket, StoreError } from './errors.js';

/** The bucket names botocore accepts before sending anything (one rule for every store). */
const BUCKET_NAME = /^[A-Za-z0-9._-]{1,255}$/;

/** Would botocore send a request for this bucket name (validate_bucket_name)? */
export function isSendableBucketName(bucket: string): boolean {
  return BUCKET_NAME.test(bucket);
}

/** Throws what the AWS CLI says for a bucket name it would not send; `.` and `..` are no bucket. */
export function checkBucketName(bucket: string): void {
  if (!BUCKET_NAME.test(bucket)) {
    throw new StoreError(
      'Other',
      `Parameter validation failed: Invalid bucket name "${bucket.slice(0, 300)}": Bucket name must match the regex "^[a-zA-Z0-9.\\-_]{1,255}$"`,
    );
  }
  if (bucket === '.' || bucket === '..') throw noSuchBucket();
}

const ASTRAL_OR_HIGH = /[\uD800-\uFFFF]/;

/**
 * S3's key order: UTF-8 bytes. For text without surrogates or U+E000..U+FFFF, UTF-16 code unit
 * order is the same, so only such keys pay for an encoding.
 */
/** Sorts in S3's key order (byteCompare), comparing plain code units when no text needs more. */
export function sortByteOrder<T>(items: T[], text: (item: T) => string): T[] {
  if (items.some((item) => ASTRAL_OR_HIGH.test(text(item)))) return items.sort((a, b) => byteCompare(text(a), text(b)));
  return items.sort((a, b) => {
    const x = text(a);
    const y = text(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

export function byteCompare(a: string, b: string): number {
  // Where the two first differ: below U+D800 on both sides, after an equal prefix that does not end
  // in a high surrogate (whose encoding would depend on what follows it), code units and UTF-8
  // bytes order alike. Anything else is encoded, as Buffer.from encodes it (lone surrogates as U+FFFD).
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const plain = i === 0 || !isHighSurrogate(a.charCodeAt(i - 1));
  if (i === n && plain) return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  if (i < n && plain && a.charCodeAt(i) < 0xd800 && b.charCodeAt(i) < 0xd800) return a.charCodeAt(i) < b.charCodeAt(i) ? -1 : 1;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

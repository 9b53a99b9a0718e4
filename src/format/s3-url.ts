/**
 * `s3://bucket/key` locations given on the command line (`audit --state`, `--inventory`), and
 * `s3://bucket[/prefix]` folders (`--witness`, `--results`). Strict: a bucket name
 * S3 accepts (3-63 of lowercase letters, digits, dots and hyphens) and a non-empty key with no
 * control characters; anything else is not an S3 URL and the caller says so.
 */
export interface S3Url {
  readonly bucket: string;
  readonly key: string;
}

const BUCKET = '([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])';
const S3_URL = new RegExp(`^s3://${BUCKET}/([^\\u0000-\\u001f\\u007f]{1,1024})$`);
const S3_FOLDER = new RegExp(`^s3://${BUCKET}(?:/([^\\u0000-\\u001f\\u007f]{0,1024}))?$`);

export function isS3Url(text: string): boolean {
  return text.startsWith('s3://');
}

/** The bucket and key, or undefined when `text` is not a well-formed `s3://bucket/key`. */
export function parseS3Url(text: string): S3Url | undefined {
  const m = S3_URL.exec(text);
  if (!m) return undefined;
  const [, bucket, key] = m;
  if (key!.endsWith('/') || bucket!.includes('..')) return undefined;
  return { bucket: bucket!, key: key! };
}

/** A bucket and a key prefix: '' (the whole bucket) or ending in '/'. */
export interface S3Folder {
  readonly bucket: string;
  readonly prefix: string;
}

/** `s3://bucket`, `s3://bucket/` or `s3://bucket/prefix[/]`, or undefined when not well formed. */
export function parseS3Folder(text: string): S3Folder | undefined {
  const m = S3_FOLDER.exec(text);
  if (!m) return undefined;
  const bucket = m[1]!;
  // One trailing slash may end the prefix; any other empty segment is refused (S3 would keep it).
  const given = m[2] ?? '';
  const path = given.endsWith('/') ? given.slice(0, -1) : given;
  if (bucket.includes('..') || given.startsWith('/') || path.endsWith('/') || path.includes('//')) return undefined;
  return { bucket, prefix: path === '' ? '' : `${path}/` };
}

import { formatStamp, formatYmdPath, MICROS_PER_MINUTE } from './time.js';

/**
 * S3 key names of digests and logs (guide: "Digest File Location", "CloudTrail Log File Name
 * Format"; behaviour §2). Everything here is pure string work.
 */
export interface DigestScope {
  /** The optional key prefix, without trailing slash. Empty or undefined: none. */
  readonly prefix?: string | undefined;
  readonly organizationId?: string | undefined;
  readonly account: string;
  /** The region whose `CloudTrail-Digest/<region>/` folder is read. */
  readonly sourceRegion: string;
  /** The trail's home region (from its ARN). */
  readonly homeRegion: string;
  readonly trailName: string;
}

function withPrefix(prefix: string | undefined, key: string): string {
  return prefix ? `${prefix}/${key}` : key;
}

function accountPath(scope: { organizationId?: string | undefined; account: string }): string {
  return scope.organizationId ? `AWSLogs/${scope.organizationId}/${scope.account}` : `AWSLogs/${scope.account}`;
}

/** `[<prefix>/]AWSLogs/[<org>/]<account>/CloudTrail-Digest/<source-region>` (behaviour §2). */
export function digestListPrefix(scope: DigestScope): string {
  return withPrefix(scope.prefix, `${accountPath(scope)}/CloudTrail-Digest/${scope.sourceRegion}`);
}

/** The key of a standard (or backfill) digest whose end time is `end` (micros). */
export function digestKey(scope: DigestScope, end: number, backfill = false): string {
  const name =
    `${scope.account}_CloudTrail-Digest_${scope.sourceRegion}_${scope.trailName}_${scope.homeRegion}_` +
    `${formatStamp(end)}${backfill ? '_backfill' : ''}.json.gz`;
  return `${digestListPrefix(scope)}/${formatYmdPath(end)}/${name}`;
}

/** The listing marker: the key the trail would have produced one minute before `start` (§2). */
export function digestMarker(scope: DigestScope, start: number): string {
  return digestKey(scope, start - MICROS_PER_MINUTE);
}

const BACKFILL_SUFFIX = '_backfill.json.gz';
const SURROGATE = /[\uD800-\uDFFF]/;

export function isBackfillKey(key: string): boolean {
  return key.endsWith(BACKFILL_SUFFIX);
}

/**
 * The 16 characters the reference reads as a digest key's stamp: fixed positions from the end
 * (code points, as Python slices), before `.json.gz` or before `_backfill.json.gz`.
 */
export function digestKeyStamp(key: string): string {
  // The common case: no surrogate among the last code units read, so they are as many code points.
  const tail = isBackfillKey(key) ? 17 : 8;
  const from = key.length - tail - 16;
  if (from >= 0 && !SURROGATE.test(key.slice(from))) return key.slice(from, from + 16);
  const cps = Array.from(key);
  const end = isBackfillKey(key) ? cps.length - 17 : cps.length - 8;
  return cps.slice(Math.max(0, end - 16), Math.max(0, end)).join('');
}

/**
 * Does `key` belong to this trail? Behaviour §2:
 * `[<prefix>/]AWSLogs/[<org>/]<account>/CloudTrail-Digest/<src>/<digits>/<digits>/<digits>/`
 * `<account>_CloudTrail-Digest_<src>_<name>_<home>_<anything>.json.gz`, names matched literally.
 * (Never a RegExp built from input: the literal parts are compared as strings.)
 */
export function createDigestKeyMatcher(scope: DigestScope): (key: string) => boolean {
  const head = `${digestListPrefix(scope)}/`;
  const fileHead = `${scope.account}_CloudTrail-Digest_${scope.sourceRegion}_${scope.trailName}_${scope.homeRegion}_`;
  const tail = '.json.gz';
  // Python's \d matches any Unicode decimal digit; `.` anything but a newline.
  const digits = /^\p{Nd}+$/u;
  return (key: string): boolean => {
    if (!key.startsWith(head)) return false;
    const rest = key.slice(head.length);
    const parts = rest.split('/');
    if (parts.length < 4) return false;
    const [y, m, d] = parts;
    if (!digits.test(y ?? '') || !digits.test(m ?? '') || !digits.test(d ?? '')) return false;
    const file = parts.slice(3).join('/');
    if (!file.startsWith(fileHead) || !file.endsWith(tail)) return false;
    const anything = file.slice(fileHead.length, file.length - tail.length);
    return anything.length > 0 && !anything.includes('\n');
  };
}

/** CloudTrail log file key (guide: "CloudTrail Log File Name Format"). */
export function logKey(
  scope: { prefix?: string | undefined; organizationId?: string | undefined; account: string },
  region: string,
  delivered: number,
  unique: string,
): string {
  const stamp = formatStamp(delivered); // YYYYMMDDTHHMMSSZ
  const minuteStamp = `${stamp.slice(0, 13)}Z`; // YYYYMMDDTHHmmZ
  const file = `${scope.account}_CloudTrail_${region}_${minuteStamp}_${unique}.json.gz`;
  return withPrefix(scope.prefix, `${accountPath(scope)}/CloudTrail/${region}/${formatYmdPath(delivered)}/${file}`);
}

/** The prefix under which a region's log files lie. */
export function logListPrefix(scope: { prefix?: string | undefined; organizationId?: string | undefined; account: string }, region: string): string {
  return withPrefix(scope.prefix, `${accountPath(scope)}/CloudTrail/${region}/`);
}

import { TrailproofError } from '../errors.js';
import { MICROS_PER_HOUR, MICROS_PER_MINUTE } from '../format/time.js';
import type { SeedPart } from './prng.js';
import { isRegionName } from '../format/region.js';

/** What a simulated run writes, and how. Times are integer microseconds (format/time.ts). */
export interface SimulateOptions {
  readonly bucket: string;
  /**
   * One account. Give this or `accounts`, not both. Its files' random streams are keyed as they
   * always were: the same options and seed give the same bytes as earlier releases.
   */
  readonly account?: string | undefined;
  /**
   * Several accounts (an organization, or many trails delivering to one bucket), each with the
   * layout `account` gives. Each file's random stream also depends on its account, so an account's
   * files are the same whichever other accounts the run has (and differ from `account`'s).
   */
  readonly accounts?: readonly string[] | undefined;
  readonly regions: readonly string[];
  /** The first hour's start: a whole minute. Files are delivered in [start, start + hours). */
  readonly start: number;
  readonly hours: number;
  /** Default 12 (CloudTrail delivers about every 5 minutes). */
  readonly filesPerHour?: number;
  /** Default 100. */
  readonly recordsPerFile?: number;
  /** Same seed, same options: byte-identical files. Default 1. */
  readonly seed?: SeedPart;
  /** The trail's S3 key prefix, without slashes at either end. */
  readonly prefix?: string | undefined;
  /** Write the layout of an organization trail: `AWSLogs/<org>/<account>/...`. */
  readonly organizationId?: string | undefined;
  /** Also write S3 object and Lambda Invoke data events. */
  readonly dataEvents?: boolean;
  /** gzip level 0-9; default zlib's (6). */
  readonly gzipLevel?: number;
  /** Puts in flight at once (each with its compression). Default 4. */
  readonly concurrency?: number;
}

export const SIMULATE_DEFAULTS = { filesPerHour: 12, recordsPerFile: 100, seed: 1, concurrency: 4 } as const;

export const SIMULATE_LIMITS = {
  accounts: 1000,
  regions: 32,
  hours: 24 * 366 * 10,
  filesPerHour: 600,
  recordsPerFile: 10_000,
  concurrency: 64,
  seedLength: 256,
  prefixLength: 200,
} as const;

export type CheckedOptions = Required<Omit<SimulateOptions, 'prefix' | 'organizationId' | 'account' | 'accounts'>> &
  Pick<SimulateOptions, 'prefix' | 'organizationId'> & {
    /** Every account of the run, in the order given (one for `account`). */
    readonly accounts: readonly string[];
    /** True for `accounts`: each file's random stream also depends on its account (plan.ts). */
    readonly streamPerAccount: boolean;
  };

const ACCOUNT = /^\d{12}$/;
// us-east-1, ap-southeast-2, us-gov-west-1, cn-north-1, eu-central-2, us-isob-east-1
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/;
// S3's "safe characters" for key names, and the separator.
const PREFIX_CHARS = /^[A-Za-z0-9!_.*'()/-]+$/;
// Microsecond times stay exact integers until 2255 (Number.MAX_SAFE_INTEGER): keep well inside.
const YEAR_2200 = Date.UTC(2200, 0, 1) * 1000;

function invalid(message: string): TrailproofError {
  return new TrailproofError('argument', message);
}

/** A value quoted for a message (it may come from anyone: bounded, control characters escaped). */
export function shown(value: unknown): string {
  const s = String(value);
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);
}

/**
 * Why `name` is not a valid S3 general purpose bucket name, or undefined when it is (S3 User
 * Guide, "General purpose bucket naming rules").
 */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 63) return 'it must be 3 to 63 characters long';
  if (!/^[a-z0-9.-]+$/.test(name)) return 'it may contain only lowercase letters, digits, dots and hyphens';
  if (!/^[a-z0-9].*[a-z0-9]$/.test(name)) return 'it must begin and end with a letter or digit';
  if (name.includes('..')) return 'it must not contain two adjacent dots';
  if (/^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)) return 'it must not be formatted as an IP address';
  for (const p of ['xn--', 'sthree-', 'amzn-s3-demo-']) if (name.startsWith(p)) return `it must not start with '${p}'`;
  for (const s of ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3']) if (name.endsWith(s)) return `it must not end with '${s}'`;
  return undefined;
}

/** Why `prefix` cannot be a trail's key prefix, or undefined. */
export function prefixProblem(prefix: string): string | undefined {
  if (prefix.length === 0 || prefix.length > SIMULATE_LIMITS.prefixLength) return `it must be 1 to ${SIMULATE_LIMITS.prefixLength} characters long`;
  if (!PREFIX_CHARS.test(prefix)) return "it may contain only letters, digits, '/' and !_.*'()-";
  if (prefix.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return "its '/'-separated parts must not be empty, '.' or '..' (no leading, trailing or double slash)";
  }
  return undefined;
}

function wholeNumber(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`Invalid ${name} ${shown(value)}: expected a whole number from ${min} to ${max}`);
  }
  return value;
}

/** `account` or `accounts` (exactly one), each 12 digits, no account twice. */
function checkAccounts(o: SimulateOptions): string[] {
  if ((o.account === undefined) === (o.accounts === undefined)) throw invalid('Give one account, or a list of accounts (not both)');
  const accounts = o.accounts ?? [o.account];
  if (!Array.isArray(accounts) || accounts.length === 0 || accounts.length > SIMULATE_LIMITS.accounts) {
    throw invalid(`Give 1 to ${SIMULATE_LIMITS.accounts} accounts`);
  }
  for (const a of accounts) {
    if (typeof a !== 'string' || !ACCOUNT.test(a)) throw invalid(`Invalid account ID ${shown(a)}: expected 12 digits`);
  }
  if (new Set(accounts).size !== accounts.length) {
    const twice = accounts.find((a, i) => accounts.indexOf(a) !== i);
    throw invalid(`Duplicate account ${shown(twice)}: each account is simulated once`);
  }
  return [...(accounts as string[])];
}

/** Checks every option (library callers get the same checks as the CLI) and fills in defaults. */
export function checkSimulateOptions(o: SimulateOptions): CheckedOptions {
  const bucketProblem = typeof o.bucket === 'string' ? bucketNameProblem(o.bucket) : 'it must be a string';
  if (bucketProblem) throw invalid(`Invalid bucket name ${shown(o.bucket)}: ${bucketProblem}`);
  const accounts = checkAccounts(o);
  if (!Array.isArray(o.regions) || o.regions.length === 0 || o.regions.length > SIMULATE_LIMITS.regions) {
    throw invalid(`Give 1 to ${SIMULATE_LIMITS.regions} regions`);
  }
  for (const r of o.regions) {
    if (typeof r !== 'string' || !isRegionName(r)) throw invalid(`Invalid region ${shown(r)}: expected a region name like us-east-1`);
  }
  if (new Set(o.regions).size !== o.regions.length) throw invalid(`Duplicate region in ${shown(o.regions.join(','))}`);
  const hours = wholeNumber('number of hours', o.hours, 1, SIMULATE_LIMITS.hours);
  if (typeof o.start !== 'number' || !Number.isSafeInteger(o.start) || o.start < 0 || o.start % MICROS_PER_MINUTE !== 0) {
    throw invalid('Invalid start time: expected a whole minute (no seconds) from 1970 on');
  }
  if (o.start + hours * MICROS_PER_HOUR > YEAR_2200) throw invalid('Invalid start time: the simulated hours must end by the year 2200');
  const seed = o.seed ?? SIMULATE_DEFAULTS.seed;
  if (typeof seed === 'number' ? !Number.isSafeInteger(seed) : typeof seed !== 'string' || seed.length === 0 || seed.length > SIMULATE_LIMITS.seedLength) {
    throw invalid(`Invalid seed ${shown(seed)}: expected a whole number or 1 to ${SIMULATE_LIMITS.seedLength} characters`);
  }
  if (o.prefix !== undefined && o.prefix !== '') {
    const problem = prefixProblem(o.prefix);
    if (problem) throw invalid(`Invalid key prefix ${shown(o.prefix)}: ${problem}`);
  }
  if (o.organizationId !== undefined && o.organizationId !== '' && !ORGANIZATION.test(o.organizationId)) {
    throw invalid(`Invalid organization ID ${shown(o.organizationId)}: expected o- and 10 to 32 lowercase letters or digits`);
  }
  return {
    bucket: o.bucket,
    accounts,
    streamPerAccount: o.accounts !== undefined,
    regions: [...o.regions],
    start: o.start,
    hours,
    filesPerHour: wholeNumber('files per hour', o.filesPerHour ?? SIMULATE_DEFAULTS.filesPerHour, 1, SIMULATE_LIMITS.filesPerHour),
    recordsPerFile: wholeNumber('records per file', o.recordsPerFile ?? SIMULATE_DEFAULTS.recordsPerFile, 1, SIMULATE_LIMITS.recordsPerFile),
    seed,
    prefix: o.prefix || undefined,
    organizationId: o.organizationId || undefined,
    dataEvents: o.dataEvents === true,
    gzipLevel: wholeNumber('gzip level', o.gzipLevel ?? 6, 0, 9),
    concurrency: wholeNumber('concurrency', o.concurrency ?? SIMULATE_DEFAULTS.concurrency, 1, SIMULATE_LIMITS.concurrency),
  };
}

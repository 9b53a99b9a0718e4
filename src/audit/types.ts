import type { DigestScope } from '../format/names.js';
import type { ReportEvent } from '../verifier/types.js';

/**
 * What `trailproof audit` reports: findings with stable codes (README "Findings"), per-chain
 * summaries and totals. Codes and severities are part of the JSON schema: never renamed.
 */
export type Severity = 'error' | 'warning' | 'info';

export const FINDING_SEVERITY = {
  /** A digest validate-logs reports INVALID (any reason but "not found"). */
  'digest-invalid': 'error',
  /** A log file validate-logs reports INVALID. */
  'log-invalid': 'error',
  /** A log validate-logs reports valid whose gzip member ends before its trailer (CRC-32 and size). */
  'log-truncated': 'error',
  /** An hour of a chain with no digest: a digest a link points to is gone, or hours between linked digests have none. */
  'missing-digest': 'error',
  /** A log object in a chain's log folder, delivered in the audited range, that no valid digest references. */
  'unreferenced-log': 'error',
  /** A log too recent to have been digested yet. */
  pending: 'info',
  /** previousDigestHashValue is not the SHA-256 of the previous digest's bytes. */
  'previous-hash-mismatch': 'error',
  /** The signing key's validity window does not contain the digest's end time. */
  'key-not-valid-at-signing': 'error',
  'window-overlap': 'error',
  'window-discontinuity': 'error',
  /** The newest digest ends more than 2 hours before the audited end. */
  'chain-stops': 'warning',
  /** The chain restarted (a digest with no previous digest after a gap). */
  'chain-restart': 'warning',
  /** A requested account/region/trail, or a log folder with logs in range, has no digest. */
  'no-digests': 'error',
  /** An object under AWSLogs/ that is neither a CloudTrail log file nor a digest (a local copy's sidecars aside). */
  'unexpected-object': 'info',
  /** A symbolic link under AWSLogs/ in a local copy: S3 has none, and what it points to is not audited. */
  'symlinked-object': 'error',
  /** A metadata sidecar under AWSLogs/ in a local copy whose object is not there or is not a digest: nothing of the download left it. */
  'stray-sidecar': 'error',
  /** A valid digest whose object has bytes after its gzip member (validate-logs ignores them; gunzip shows them). */
  'digest-trailing-data': 'error',
  /** A digest of the chain in the range that the walk never read (no link leads to it, or a key before it ended the listing). */
  'digest-not-walked': 'error',
  /** Log files that could not be checked: their digest is missing or invalid. */
  'unchecked-logs': 'error',
  /**
   * Log files no valid digest references, in a missing or invalid digest's window of a chain of their
   * folder the filters leave out: that chain's, or planted; nothing can tell (an error, as unchecked-logs).
   */
  'unattributed-logs': 'error',
  /** The digest a previous run verified (--state) changed or vanished, or the new digests do not link back to it. */
  'history-rewritten': 'error',
} as const satisfies Record<string, Severity>;

export type FindingCode = keyof typeof FINDING_SEVERITY;

export interface ChainRef {
  readonly account: string;
  readonly region: string;
  readonly trail: string;
  readonly homeRegion: string;
  readonly organizationId: string | null;
  readonly prefix: string | null;
}

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  /** The chain it concerns (null for an object outside any chain). */
  readonly chain: ChainRef | null;
  /** `s3://bucket/key` when it concerns one object. */
  readonly s3: string | null;
  /** The hour window it concerns (UTC clock micros), when it is about time. */
  readonly from: number | null;
  readonly to: number | null;
  readonly message: string;
  /** How many objects it stands for (unchecked-logs, unexpected-object summaries), else 1. */
  readonly count: number;
}

export interface ChainSummary {
  readonly chain: ChainRef;
  readonly digests: { valid: number; invalid: number };
  readonly backfillDigests: { valid: number; invalid: number };
  readonly logs: { valid: number; invalid: number };
  readonly findings: Record<Severity, number>;
  /** Newest digest end seen (UTC clock micros), or null. */
  readonly newestEnd: number | null;
  /** The run stopped inside this chain (the message), else null. */
  readonly fatal: string | null;
}

export interface AuditSummary {
  readonly bucket: string;
  readonly prefix: string | null;
  readonly requestedStart: number;
  readonly requestedEnd: number;
  readonly chains: number;
  readonly digests: { valid: number; invalid: number };
  readonly logs: { valid: number; invalid: number };
  readonly findings: Record<Severity, number>;
  /** What stopped the run (the audit then ends early), else null. */
  readonly fatal: string | null;
  readonly exitCode: number;
}

/**
 * One digest of a chain as the reports (HTML timeline, JUnit) need it: its verdict, window, key and
 * how many of its logs were checked; kept compact so that a year of a chain fits (digest-records.ts).
 */
export interface DigestRecord {
  readonly kind: 'digest';
  readonly backfill: boolean;
  readonly bucket: string;
  readonly key: string;
  readonly valid: boolean;
  readonly reason: string | null;
  /** UTC clock micros: the digest's own window when it is valid, else the hour its key's stamp ends (null when the key has none). */
  readonly from: number | null;
  readonly to: number | null;
  /** digestPublicKeyFingerprint of a valid digest, else null. */
  readonly fingerprint: string | null;
  readonly logs: { valid: number; invalid: number };
  /** The first INVALID logs it references (at most DigestRecorder.INVALID_LOGS_KEPT), with validate-logs' reason. */
  readonly invalidLogs: ReadonlyArray<{ readonly key: string; readonly reason: string }>;
}

/** A gap validate-logs reports (hours with no digest, the chain not linked across them). */
export interface GapRecord {
  readonly kind: 'gap';
  readonly backfill: boolean;
  readonly from: number;
  readonly to: number;
}

/**
 * What an audit report writer receives, in order: per chain chainStart, its events and records, its
 * findings, chainEnd; then totals. A finding names its chain (or null: outside any chain), and comes
 * between that chain's chainStart and chainEnd, but not always before the next chain's chainStart:
 * the chains of a log folder several trails share are ended together, in chain order, after the
 * folder's findings (run.ts, held-chains.ts). So a writer keeps per-chain state by chain
 * (chainName), not as "the current chain"; its chainEnd's counts are those of its findings.
 */
export interface AuditSink {
  header(bucket: string, prefix: string | undefined, start: number, end: number): void;
  chainStart(chain: ChainRef): void;
  /** validate-logs' own events for the chain (verbose reports). */
  event(chain: ChainRef, e: ReportEvent): void;
  /** Each digest and gap of the chain, in walk order (only when runAudit is given `records`). */
  record?(chain: ChainRef, r: DigestRecord | GapRecord): void;
  finding(f: Finding): void;
  chainEnd(s: ChainSummary): void;
  summary(s: AuditSummary): void;
}

export function chainRef(scope: DigestScope): ChainRef {
  return {
    account: scope.account,
    region: scope.sourceRegion,
    trail: scope.trailName,
    homeRegion: scope.homeRegion,
    organizationId: scope.organizationId ?? null,
    prefix: scope.prefix ?? null,
  };
}

/** Trail names, account and organization ids, regions: letters, digits, `.`, `_`, `-`. */
const NAME = /^[A-Za-z0-9._-]+$/;
/** S3's "safe characters" for key names, and `/`, but for the parentheses the label uses. */
const PREFIX = /^[A-Za-z0-9!_.*'/-]+$/;

/**
 * A chain as every report names it for people (text, JUnit, GitHub, HTML, finding messages):
 * `[<org>/]<account> <source region> <trail> (home <home region>)[ (prefix <prefix>)]`, e.g.
 * `111122223333 us-east-1 my-trail (home eu-west-1)`. The home region is always there: a trail's
 * name is unique only per account and home region, and two trails of one name in two home regions
 * can log into one bucket for the same source region. A part made of other characters than
 * CloudTrail's own names use (a hostile key) is shown as a JSON string in ASCII (`"a b\u00e9"`), so
 * that no part can pass for a delimiter or for another part: distinct chains never share a label, and
 * the label is printable ASCII (the writers' own escaping then applies as to any text).
 */
export function chainName(c: ChainRef): string {
  const org = c.organizationId ? `${part(c.organizationId, NAME)}/` : '';
  const prefix = c.prefix ? ` (prefix ${part(c.prefix, PREFIX)})` : '';
  return `${org}${part(c.account, NAME)} ${part(c.region, NAME)} ${part(c.trail, NAME)} (home ${part(c.homeRegion, NAME)})${prefix}`;
}

function part(s: string, plain: RegExp): string {
  return plain.test(s) ? s : JSON.stringify(s).replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The scope a chain reference names (chainRef's inverse). */
export function scopeOfRef(c: ChainRef): DigestScope {
  return {
    prefix: c.prefix ?? undefined,
    organizationId: c.organizationId ?? undefined,
    account: c.account,
    sourceRegion: c.region,
    homeRegion: c.homeRegion,
    trailName: c.trail,
  };
}

export function finding(
  code: FindingCode,
  chain: ChainRef | null,
  message: string,
  at: { s3?: string; from?: number; to?: number; count?: number } = {},
): Finding {
  return { code, severity: FINDING_SEVERITY[code], chain, s3: at.s3 ?? null, from: at.from ?? null, to: at.to ?? null, message, count: at.count ?? 1 };
}

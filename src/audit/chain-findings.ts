import { TagSet } from '../crypto/tag-set.js';
import { digestSha256 } from '../chain/digest-verdict.js';
import type { ChainEvent } from '../chain/events.js';
import { stampTime } from '../chain/machine.js';
import { digestKey } from '../format/names.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import { finding, scopeOfRef, type ChainRef, type Finding } from './types.js';

/**
 * The findings the AWS CLI misses in one chain's walk (pure: fed the walk's events in walk order,
 * newest first). The walk's own verdicts stay validate-logs'; this reads what they imply:
 *
 * - missing-digest: a link to a digest that is gone (its hour), and every hour between linked
 *   digests that no digest covers, including those validate-logs' listing fallback skips in
 *   silence (behaviour §3's quirk) — each hour reported;
 * - window-discontinuity / window-overlap: a digest and the one it links to do not meet;
 * - previous-hash-mismatch: previousDigestHashValue is not SHA-256 of the previous digest's bytes;
 * - key-not-valid-at-signing: the key's validity window does not hold the digest's end time;
 * - chain-restart: a gap (a digest with no previous one), with its hours;
 * - digest-invalid: every other INVALID digest, with validate-logs' message.
 *
 * What it learns for the log findings: the log keys valid digests reference, and the windows of
 * digests that are missing or invalid (their logs could not be checked).
 */
export interface KeyValidity {
  readonly from: number;
  readonly to: number;
}

interface Cursor {
  /** Coverage is accounted down to here (the start of the last digest seen). */
  readonly at: number;
  /** Did that digest link to a previous one (so that something must cover the hours below)? */
  readonly linked: boolean;
  /** The key it links to, and the hash it gives for it, when it is a valid digest. */
  readonly links?: { readonly bucket: string; readonly key: string; readonly hash: unknown; readonly from: string } | undefined;
}

export class ChainFindings {
  readonly findings: Finding[] = [];
  /** `bucket/key` of every log a valid digest references (as tags: 16 bytes each, not ~200). */
  readonly referenced = new TagSet();
  /** `bucket/key` of every digest the walk judged (valid, invalid or missing): digest-coverage.ts. */
  private readonly walked = new TagSet();
  /** Windows [from, to) whose digest is missing or invalid: their logs are unchecked. */
  readonly unchecked: Array<{ from: number; to: number; digest: string }> = [];
  newestEnd: number | null = null;
  /** The newest valid standard digest (the state file's mark), and the oldest one's link back. */
  newest: { bucket: string; key: string; sha256: string; signature: string; start: number; end: number } | null = null;
  oldestLink: { key: string | null; hash: unknown; signature: unknown } | null = null;
  private cursor: Cursor | null = null;

  constructor(
    readonly chainRef: ChainRef,
    private readonly start: number,
    private readonly keyValidity: (fingerprint: string) => KeyValidity | undefined,
    /** Only digests starting from here count for `oldestLink` (the state's mark ends there). */
    private readonly linkFloor = Number.NEGATIVE_INFINITY,
    /** The digests' bucket: a missing hour names the key its digest would have. */
    private readonly bucket?: string,
    /**
     * The audited end: the state's mark is the newest digest ending by it. One ending later covers
     * hours whose logs this run did not check (planted ones included); the next run starts there.
     */
    private readonly markEnd = Number.POSITIVE_INFINITY,
  ) {}

  event(e: ChainEvent): void {
    if (e.kind === 'gap') return; // read from the digests themselves (null previous links)
    this.walked.add(`${e.bucket}/${e.key}`);
    const s3 = `s3://${e.bucket}/${e.key}`;
    if (e.kind === 'invalid') {
      const end = this.safeStamp(e.key);
      const from = end === undefined ? undefined : end - MICROS_PER_HOUR;
      if (e.reason === 'not found')
        this.add('missing-digest', `digest ${s3} is gone${end === undefined ? '' : ` (the hour to ${formatDisplay(end)})`}`, { s3, from, to: end });
      else this.add('digest-invalid', `digest ${s3}: ${e.reason}`, { s3, from, to: end });
      if (e.backfill || end === undefined) return;
      this.unchecked.push({ from: from!, to: end + MICROS_PER_HOUR, digest: s3 });
      this.advance(from!, end, true, undefined);
      return;
    }
    const d = e.digest;
    // validate-logs (and the AWS CLI) only ask that the metadata has a signature-algorithm; CloudTrail
    // writes one value, and a digest that says otherwise was not written by it.
    if (e.algorithm !== 'SHA256withRSA')
      this.add('digest-invalid', `digest ${s3}: signature-algorithm is ${JSON.stringify(e.algorithm)}, not "SHA256withRSA"`, { s3 });
    // validate-logs reads the first gzip member only; a tool that reads every member sees more.
    if (e.trailing)
      this.add('digest-trailing-data', `digest ${s3} has bytes after its gzip member: CloudTrail writes one member, and what follows is not signed`, { s3 });
    for (const entry of safeEntries(() => d.logEntries(s3))) {
      if (typeof entry.s3Bucket === 'string' && typeof entry.s3Object === 'string') this.referenced.add(`${entry.s3Bucket}/${entry.s3Object}`);
    }
    if (e.backfill) return;
    const start = d.startTime().clock;
    const end = d.endTime().clock;
    const fp = d.field('digestPublicKeyFingerprint');
    const validity = typeof fp === 'string' ? this.keyValidity(fp) : undefined;
    if (validity && (end < validity.from || end > validity.to)) {
      this.add(
        'key-not-valid-at-signing',
        `digest ${s3} ends ${formatDisplay(end)}, outside its key's validity (${formatDisplay(validity.from)} to ${formatDisplay(validity.to)})`,
        { s3, from: start, to: end },
      );
    }
    // The digest this one's successor linked to: its bytes must hash to what the successor says.
    const links = this.cursor?.links;
    if (links && links.bucket === e.bucket && links.key === e.key && links.hash !== null && links.hash !== digestSha256(d)) {
      this.add('previous-hash-mismatch', `digest ${links.from} gives previousDigestHashValue ${String(links.hash)} for ${s3}, whose SHA-256 differs`, { s3 });
    }
    const previous = safePrevious(() => d.previous(s3));
    if (this.newestEnd === null) this.newestEnd = end;
    if (this.newest === null && end <= this.markEnd)
      this.newest = { bucket: e.bucket, key: e.key, sha256: digestSha256(d), signature: e.signature, start, end };
    if (start >= this.linkFloor)
      this.oldestLink = { key: previous?.key ?? null, hash: d.field('previousDigestHashValue') ?? null, signature: d.field('previousDigestSignature') ?? null };
    this.advance(start, end, previous !== null, previous ? { ...previous, hash: d.field('previousDigestHashValue') ?? null, from: s3 } : undefined, {
      key: e.key,
      s3,
    });
  }

  /** Did the walk judge this digest? */
  judged(bucket: string, key: string): boolean {
    return this.walked.has(`${bucket}/${key}`);
  }

  /** The walk is over: hours below the oldest digest that a link still claims. */
  finish(): void {
    const c = this.cursor;
    if (c && c.linked && c.at > this.start)
      this.missingHours(this.hourFloor(this.start), c.at, 'before the oldest digest in range, which links to a previous one');
  }

  private advance(start: number, end: number, linked: boolean, links: Cursor['links'], here?: { key: string; s3: string }): void {
    const c = this.cursor;
    if (c) {
      const what = here ? `digest ${here.s3}` : 'a digest';
      if (end > c.at)
        this.add('window-overlap', `${what} ends ${formatDisplay(end)}, after the next digest starts (${formatDisplay(c.at)})`, {
          s3: here?.s3,
          from: c.at,
          to: end,
        });
      else if (end < c.at) {
        if (!c.linked)
          this.add('chain-restart', `the chain restarts: no digest from ${formatDisplay(end)} to ${formatDisplay(c.at)} (${hours(end, c.at)} h)`, {
            from: end,
            to: c.at,
          });
        else if (c.links && here && c.links.key === here.key) {
          this.add(
            'window-discontinuity',
            `digest ${c.links.from} starts ${formatDisplay(c.at)} but the digest it links to, ${here.s3}, ends ${formatDisplay(end)}`,
            { s3: here.s3, from: end, to: c.at },
          );
        } else this.missingHours(end, c.at, 'between linked digests');
      }
    }
    this.cursor = { at: Math.min(start, c?.at ?? start), linked, links };
  }

  private missingHours(from: number, to: number, why: string): void {
    // Newest first, as the walk goes; each hour named by the key its digest would have (CloudTrail
    // names a digest after its end time, and hourly digests end where the next one starts).
    for (let end = to; end > from; end -= MICROS_PER_HOUR) {
      const start = Math.max(end - MICROS_PER_HOUR, from);
      const key = this.bucket === undefined ? undefined : digestKey(scopeOfRef(this.chainRef), end);
      const s3 = key === undefined ? undefined : `s3://${this.bucket}/${key}`;
      this.add('missing-digest', `no digest covers ${formatDisplay(start)} to ${formatDisplay(end)} (${why})${s3 ? `: ${s3} is not there` : ''}`, {
        s3,
        from: start,
        to: end,
      });
      this.unchecked.push({ from: start, to: end + MICROS_PER_HOUR, digest: s3 ?? `the missing digest of ${formatDisplay(start)}` });
    }
  }

  private hourFloor(t: number): number {
    return t - (t % MICROS_PER_HOUR);
  }

  private safeStamp(key: string): number | undefined {
    try {
      return stampTime(key);
    } catch {
      return undefined;
    }
  }

  private add(code: Parameters<typeof finding>[0], message: string, at: { s3?: string | undefined; from?: number | undefined; to?: number | undefined }): void {
    this.findings.push(
      finding(code, this.chainRef, message, {
        ...(at.s3 ? { s3: at.s3 } : {}),
        ...(at.from !== undefined ? { from: at.from } : {}),
        ...(at.to !== undefined ? { to: at.to } : {}),
      }),
    );
  }
}

function hours(from: number, to: number): number {
  return Math.round((to - from) / MICROS_PER_HOUR);
}

/** A valid digest's entries; a malformed list already stopped validate-logs (it never gets here). */
function safeEntries<T>(f: () => T[]): T[] {
  try {
    return f();
  } catch {
    return [];
  }
}

function safePrevious<T>(f: () => T | null): T | null {
  try {
    return f();
  } catch {
    return null;
  }
}

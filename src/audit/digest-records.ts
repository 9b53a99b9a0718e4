import type { ChainEvent } from '../chain/events.js';
import { stampTime } from '../chain/machine.js';
import { MICROS_PER_HOUR } from '../format/time.js';
import type { ReportEvent } from '../verifier/types.js';
import type { DigestRecord, GapRecord } from './types.js';

/**
 * Builds the reports' compact records of one chain from its walk (the typed digests: window and key
 * fingerprint) and its report events (each log's verdict, counted against the digest that lists
 * it). Only counts and the first INVALID logs are kept: a chain-year of logs is millions of events.
 */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type OpenRecord = Mutable<Omit<DigestRecord, 'invalidLogs'>> & { invalidLogs: Array<{ key: string; reason: string }> };

export class DigestRecorder {
  static readonly INVALID_LOGS_KEPT = 20;
  readonly records: Array<DigestRecord | GapRecord> = [];
  private readonly byKey = new Map<string, OpenRecord>();

  chainEvent(e: ChainEvent): void {
    if (e.kind === 'gap') {
      this.records.push({ kind: 'gap', backfill: e.backfill, from: e.from, to: e.to });
      return;
    }
    let from: number | null = null;
    let to: number | null = null;
    let fingerprint: string | null = null;
    if (e.kind === 'valid') {
      // A valid digest's times were parsed by its verdict; a field that is not text is no fingerprint.
      from = safe(() => e.digest.startTime().clock);
      to = safe(() => e.digest.endTime().clock);
      const fp = e.digest.field('digestPublicKeyFingerprint');
      fingerprint = typeof fp === 'string' ? fp : null;
    } else {
      to = safe(() => stampTime(e.key));
      from = to === null ? null : to - MICROS_PER_HOUR;
    }
    const r: OpenRecord = {
      kind: 'digest',
      backfill: e.backfill,
      bucket: e.bucket,
      key: e.key,
      valid: e.kind === 'valid',
      reason: e.kind === 'invalid' ? e.reason : null,
      from,
      to,
      fingerprint,
      logs: { valid: 0, invalid: 0 },
      invalidLogs: [],
    };
    this.records.push(r);
    this.byKey.set(e.key, r);
  }

  reportEvent(e: ReportEvent): void {
    if (e.type !== 'log') return;
    const r = this.byKey.get(e.digestKey);
    if (!r) return;
    r.logs[e.valid ? 'valid' : 'invalid']++;
    if (!e.valid && r.invalidLogs.length < DigestRecorder.INVALID_LOGS_KEPT) r.invalidLogs.push({ key: e.key, reason: e.reason ?? '' });
  }
}

function safe(f: () => number): number | null {
  try {
    const v = f();
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

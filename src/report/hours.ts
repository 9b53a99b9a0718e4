import type { DigestRecord, Finding, FindingCode, GapRecord } from '../audit/types.js';
import { classifyKey } from '../format/archive-keys.js';
import { digestKeyStamp } from '../format/names.js';
import { MICROS_PER_HOUR, parseStrictUtc } from '../format/time.js';

/**
 * The state of one hour of a chain, for the timeline and the JUnit days. A higher number wins
 * when several things are said about one hour (an INVALID digest beats a gap beats a valid one).
 */
export const HOUR_STATES = ['none', 'valid', 'backfill', 'pending', 'gap', 'unreferenced', 'missing', 'invalid'] as const;
export type HourState = (typeof HOUR_STATES)[number];
export const STATE: Record<HourState, number> = Object.fromEntries(HOUR_STATES.map((s, i) => [s, i])) as Record<HourState, number>;

/** The hour state a finding gives the hours it concerns (null: it adds details but no colour). */
export function findingState(code: FindingCode): HourState | null {
  switch (code) {
    case 'digest-invalid':
    case 'digest-not-walked':
    case 'digest-trailing-data':
    case 'log-invalid':
    case 'log-truncated':
    case 'previous-hash-mismatch':
    case 'key-not-valid-at-signing':
    case 'window-overlap':
    case 'window-discontinuity':
    case 'history-rewritten':
      return 'invalid';
    case 'missing-digest':
    case 'no-digests':
      return 'missing';
    case 'unreferenced-log':
      return 'unreferenced';
    case 'pending':
      return 'pending';
    case 'chain-restart':
    case 'chain-stops':
      return 'gap';
    case 'unchecked-logs':
    case 'unattributed-logs':
    case 'unexpected-object':
    case 'symlinked-object':
    case 'stray-sidecar':
      return null;
  }
}

export function recordState(r: DigestRecord | GapRecord): HourState {
  if (r.kind === 'gap') return 'gap';
  if (!r.valid) return r.reason === 'not found' ? 'missing' : 'invalid';
  if (r.logs.invalid > 0) return 'invalid';
  return r.backfill ? 'backfill' : 'valid';
}

/**
 * The time a finding concerns: its window, else the hour its object names (a log's delivery
 * minute, a digest's stamp: the hour it ends). Null when neither says (no-digests: the whole range).
 */
export function findingWindow(f: Finding): { from: number; to: number } | null {
  if (f.from !== null && f.to !== null) return { from: f.from, to: Math.max(f.to, f.from + 1) };
  if (f.s3 === null) return null;
  const key = f.s3.slice(f.s3.indexOf('/', 's3://'.length) + 1);
  const k = classifyKey(key);
  if (k.kind === 'log') return { from: k.delivered, to: k.delivered + 1 };
  if (k.kind === 'digest') {
    const stamp = stampOf(key);
    if (stamp !== null) return { from: stamp - MICROS_PER_HOUR, to: stamp };
  }
  return null;
}

/** A digest key's stamp (UTC micros), when it is a well-formed one. */
export function stampOf(key: string): number | null {
  const s = digestKeyStamp(key);
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  return m ? parseStrictUtc(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : null;
}

/** Hour indexes [first, last) of [from, to) on a grid of `hours` hours from `origin`, clipped to it. */
export function hourSpan(origin: number, hours: number, from: number, to: number): [number, number] {
  const first = Math.max(0, Math.floor((from - origin) / MICROS_PER_HOUR));
  const last = Math.min(hours, Math.ceil((to - origin) / MICROS_PER_HOUR));
  return [first, Math.max(first, last)];
}

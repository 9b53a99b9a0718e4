import { MICROS_PER_HOUR } from '../format/time.js';
import type { LogSource } from './log-source.js';

/**
 * How many of the hourly windows a run would sign hold no log file: the guard against signing
 * years of empty hours by mistake (`sign` without `--until` on an old archive signs up to now).
 *
 * Only the listing is read (no log file), and only when the run spans more hours than the limit:
 * an hourly run never pays for it.
 */
export interface EmptyHoursLimit {
  /** Refuse a run with more empty windows than this. */
  readonly max: number;
  /** The error to throw (the CLI's message names the command that goes on). */
  readonly refuse: (empty: number, from: number, to: number) => Error;
}

/**
 * Throws `limit.refuse(...)` when the windows from `windowStart` (or, when the chain has no start
 * yet, the first log's hour) to `until` hold more than `limit.max` empty ones.
 */
export async function checkEmptyHours(logs: LogSource, windowStart: number | undefined, until: number, limit: EmptyHoursLimit): Promise<void> {
  if (windowStart !== undefined && Math.floor((until - windowStart) / MICROS_PER_HOUR) <= limit.max) return;
  let start = windowStart;
  const hours = new Set<number>();
  for await (const { at } of logs(windowStart ?? Number.NEGATIVE_INFINITY)) {
    if (start !== undefined && at < start) continue;
    start ??= Math.floor(at / MICROS_PER_HOUR) * MICROS_PER_HOUR;
    if (at >= until) break;
    hours.add(Math.floor((at - start) / MICROS_PER_HOUR));
  }
  if (start === undefined) return; // nothing to sign at all
  const windows = Math.max(0, Math.floor((until - start) / MICROS_PER_HOUR));
  const empty = windows - [...hours].filter((h) => h < windows).length;
  if (empty > limit.max) throw limit.refuse(empty, start, start + windows * MICROS_PER_HOUR);
}

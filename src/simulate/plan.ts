import { logKey } from '../format/names.js';
import { MICROS_PER_HOUR, MICROS_PER_MINUTE } from '../format/time.js';
import type { EventGenerator } from './events.js';
import type { CheckedOptions } from './options.js';
import { ALNUM, Prng, type SeedPart } from './prng.js';

/**
 * Which log files a run delivers, when, under which keys (pure). A file's delivery time is a whole
 * minute, so the `YYYYMMDDTHHmmZ` in its name (guide: "CloudTrail Log File Name Format") states
 * it exactly and a signer can recover it from the key alone.
 *
 * Every file has its own random stream, derived from (seed, region, hour, index), and from its
 * account when the run names several (`accounts`): its content does not depend on the order in
 * which files are produced or written, nor on which other accounts the run has. A single `account`
 * keeps the streams it always had, so its bytes do not change.
 */
export interface PlannedFile {
  readonly account: string;
  readonly region: string;
  /** Whole minute, micros. */
  readonly deliveredAt: number;
  readonly key: string;
  /** This file's own random stream (its unique name part has already been drawn from it). */
  readonly rng: Prng;
}

/** The files of one account's hour, in delivery order (minute, then region as given). Bounded by filesPerHour x regions. */
export function planHour(o: CheckedOptions, account: string, hour: number): PlannedFile[] {
  const hourStart = o.start + hour * MICROS_PER_HOUR;
  const slot = 60 / o.filesPerHour;
  const files: PlannedFile[] = [];
  const scope = { prefix: o.prefix, organizationId: o.organizationId, account };
  const stream = (what: string, ...parts: SeedPart[]): Prng =>
    o.streamPerAccount ? Prng.from(o.seed, what, account, ...parts) : Prng.from(o.seed, what, ...parts);
  for (const region of o.regions) {
    const plan = stream('plan', region, hourStart);
    for (let k = 0; k < o.filesPerHour; k++) {
      // About every 60/filesPerHour minutes, jittered inside its slot (CloudTrail delivers about
      // every 5 minutes, not on a fixed clock).
      const minute = Math.min(59, Math.floor(k * slot + plan.float() * slot));
      const deliveredAt = hourStart + minute * MICROS_PER_MINUTE;
      const rng = stream('file', region, hourStart, k);
      const key = logKey(scope, region, deliveredAt, rng.chars(ALNUM, 16));
      files.push({ account, region, deliveredAt, key, rng });
    }
  }
  // Stable: equal minutes keep region order, then index order.
  return files.sort((a, b) => a.deliveredAt - b.deliveredAt);
}

/** Every planned file of one account, hour by hour: only one hour's plan is held at a time. */
export function* planDeliveries(o: CheckedOptions, account: string): Generator<PlannedFile> {
  for (let h = 0; h < o.hours; h++) yield* planHour(o, account, h);
}

/** The uncompressed log file: `{"Records":[...]}`, as CloudTrail writes it (one line, no spaces). */
export function renderLogFile(events: EventGenerator, file: PlannedFile, recordsPerFile: number): string {
  return JSON.stringify({ Records: events.fileRecords(file.rng, file.region, file.deliveredAt, recordsPerFile) });
}

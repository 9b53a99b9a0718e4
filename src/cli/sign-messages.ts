import { TrailproofError } from '../errors.js';
import { logListPrefix } from '../format/names.js';
import { formatDisplay } from '../format/time.js';
import { regionsWithLogs } from '../signer/regions.js';
import type { SignResult } from '../signer/sign.js';
import type { ObjectStore } from '../store/types.js';

/**
 * `sign`'s warnings and refusals: one line each, on stderr, with the counts and the exact command
 * that fixes what they name (stdout's report lines never change).
 */

/** Logs of other regions than the ARN's, when `--regions` was not given (one line per account folder). */
export async function otherRegionsWarnings(
  store: ObjectStore,
  bucket: string,
  accounts: ReadonlyArray<{ prefix: string | undefined; organizationId: string | undefined; account: string }>,
  arnRegion: string,
  command: (regions: string[]) => string,
): Promise<string[]> {
  const found = new Map<string, string[]>();
  for (const account of accounts) {
    const folder = logListPrefix(account, arnRegion).slice(0, -(arnRegion.length + 1)); // `.../CloudTrail/`
    const others = (await regionsWithLogs(store, bucket, folder)).filter((r) => r !== arnRegion);
    if (others.length > 0) found.set(`s3://${bucket}/${folder}`, others);
  }
  const all = [...new Set([arnRegion, ...[...found.values()].flat()])];
  return [...found].map(
    ([folder, others]) =>
      `warning: log files of ${others.length} other region(s) under ${folder} are not signed (${others.join(', ')}): ` +
      `without --regions, sign signs ${arnRegion} only. Sign them too with: ${command(all)}`,
  );
}

/** Logs a job saw and leaves unsigned: late beyond the look-back, or before a new chain's start. */
export function strandedWarnings(
  r: SignResult,
  account: string,
  region: string,
  lookbackHours: number,
  newChainAt: number | undefined,
  backfill: (oldest: number) => string,
): string[] {
  const lines: string[] = [];
  if (r.beyondLookback) {
    lines.push(
      `warning: ${r.beyondLookback.count} log file(s) of ${account} ${region} arrived after the look-back (--lookback-hours ${lookbackHours}) and stay unsigned ` +
        `(the oldest delivered ${formatDisplay(r.beyondLookback.oldest)}): sign them with: ${backfill(r.beyondLookback.oldest)}`,
    );
  }
  if (r.beforeNewChain && newChainAt !== undefined) {
    lines.push(
      `warning: ${r.beforeNewChain.count} log file(s) of ${account} ${region} delivered before the new chain's start (${formatDisplay(newChainAt)}) stay unsigned ` +
        `(the oldest delivered ${formatDisplay(r.beforeNewChain.oldest)}): sign them with: ${backfill(r.beforeNewChain.oldest)}`,
    );
  }
  return lines;
}

/** The 7-day rule's refusal (exit 255, nothing written). */
export function emptyHoursRefusal(empty: number, from: number, to: number, account: string, region: string, max: number, confirm: string): TrailproofError {
  return new TrailproofError(
    'signer',
    `Refusing to sign ${empty} hours without any log file for ${account} ${region} (${formatDisplay(from)} to ${formatDisplay(to)}): ` +
      `more than ${max} (${max / 24} days). Give --until T to sign up to T, or confirm with: ${confirm}`,
  );
}

import { TrailproofError } from '../errors.js';
import { logListPrefix } from '../format/names.js';
import { formatDisplay } from '../format/time.js';
import { regionsWithLogs } from '../signer/regions.js';
import type { SignResult } from '../signer/sign.js';
import type { ObjectStore } from '../store/types.js';
import type { KeyStore } from '../keys/keystore.js';

/**
 * `sign`'s warnings and refusals: one line each, on stderr, with the counts and the exact command
 * that fixes what they name (stdout's report lines never change).
 */

/**
 * Logs of regions this run does not sign (one line per account folder): the ARN's region only when
 * `--regions` was not given (`given` false), else the regions given.
 */
export async function otherRegionsWarnings(
  store: ObjectStore,
  bucket: string,
  accounts: ReadonlyArray<{ prefix: string | undefined; organizationId: string | undefined; account: string }>,
  signed: readonly string[],
  given: boolean,
  command: (regions: string[]) => string,
): Promise<string[]> {
  const found = new Map<string, string[]>();
  const first = signed[0]!;
  for (const account of accounts) {
    const folder = logListPrefix(account, first).slice(0, -(first.length + 1)); // `.../CloudTrail/`
    const others = (await regionsWithLogs(store, bucket, folder)).filter((r) => !signed.includes(r));
    if (others.length > 0) found.set(`s3://${bucket}/${folder}`, others);
  }
  const all = [...new Set([...signed, ...[...found.values()].flat()])];
  const why = given ? `they are not in --regions ${signed.join(',')}` : `without --regions, sign signs ${first} only`;
  return [...found].map(
    ([folder, others]) =>
      `warning: log files of ${others.length} other region(s) under ${folder} are not signed (${others.join(', ')}): ${why}. Sign them too with: ${command(all)}`,
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

/** Registered (HSM, KMS) keys that run out within `within` of `at` with no key after them: the signer cannot rotate them itself. */
export async function expiringKeyWarnings(keys: KeyStore, regions: readonly string[], at: number, within: number): Promise<string[]> {
  const lines: string[] = [];
  for (const region of regions) {
    const all = await keys.list(region);
    const newest = all[all.length - 1];
    if (!newest || newest.backend.type === 'file' || newest.validTo - at > within || newest.validTo < at) continue;
    lines.push(
      `warning: the ${region} key ${newest.fingerprint} (${newest.backend.type === 'pkcs11' ? 'PKCS#11' : 'AWS KMS'}) expires at ${formatDisplay(newest.validTo)} ` +
        `and no key is registered after it: register its successor with trailproof keys register --keys-dir ${keys.dir} --region ${region} --valid-from ${formatDisplay(newest.validTo)} ...`,
    );
  }
  return lines;
}

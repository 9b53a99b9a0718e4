import { logListPrefix, type DigestScope } from '../format/names.js';
import { minuteStampOf } from '../format/minute.js';

/** A log's delivery time is the minute in its name (guide: "CloudTrail Log File Name Format"). */
const LOG_NAME = /_(\d{8}T\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$/;

/** Delivery minute of a log key of this account and region, or undefined when it is not one. */
export function deliveryTime(key: string, scope: DigestScope): number | undefined {
  const prefix = logListPrefix(scope, scope.sourceRegion);
  if (!key.startsWith(prefix)) return undefined;
  const file = key.slice(key.lastIndexOf('/') + 1);
  if (!file.startsWith(`${scope.account}_CloudTrail_${scope.sourceRegion}_`)) return undefined;
  const m = LOG_NAME.exec(file);
  if (!m) return undefined;
  // CloudTrail files a log under its delivery day, `YYYY/MM/DD/` right after the prefix; the listing
  // is read in that order as delivery order. A log anywhere else was not delivered by CloudTrail
  // (audit reports it as a misfiled unreferenced-log): it is not the signer's to sign.
  const day = m[1]!;
  if (key.slice(prefix.length, -file.length) !== `${day.slice(0, 4)}/${day.slice(4, 6)}/${day.slice(6, 8)}/`) return undefined;
  return minuteOf(day);
}

/** `YYYYMMDDTHHMM` as UTC micros (format/minute.ts). */
export const minuteOf = minuteStampOf;

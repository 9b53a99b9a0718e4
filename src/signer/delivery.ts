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
  return minuteOf(m[1]!);
}

/** `YYYYMMDDTHHMM` as UTC micros (format/minute.ts). */
export const minuteOf = minuteStampOf;

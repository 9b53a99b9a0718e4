import { logListPrefix, type DigestScope } from '../format/names.js';
import { parseDate } from '../format/time.js';

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

/** `YYYYMMDDTHHMM` as UTC micros (undefined when it is no such minute); the common case without parseDate. */
export function minuteOf(text: string): number | undefined {
  const y = Number(text.slice(0, 4));
  const mo = Number(text.slice(4, 6));
  const d = Number(text.slice(6, 8));
  const h = Number(text.slice(9, 11));
  const mi = Number(text.slice(11, 13));
  if (y >= 1970 && mo >= 1 && mo <= 12 && d >= 1 && d <= 28 && h <= 23 && mi <= 59) return Date.UTC(y, mo - 1, d, h, mi) * 1000;
  try {
    return parseDate(`${text}00Z`).clock;
  } catch {
    return undefined;
  }
}

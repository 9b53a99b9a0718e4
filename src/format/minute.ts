import { parseDate } from './time.js';

/**
 * `YYYYMMDDTHHMM` (a log file name's delivery minute) as UTC micros, or undefined when it is no
 * such minute. The common case without the general date parser (checked against it in tests).
 */
export function minuteStampOf(text: string): number | undefined {
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

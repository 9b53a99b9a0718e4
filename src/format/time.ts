import { TrailproofError } from '../errors.js';

/**
 * Time as the reference tool sees it. Behaviour §1: timestamps are parsed leniently; a zone offset
 * is ignored by the walk (its clock time is taken as UTC) but kept where the reference keeps it
 * (the summary's found times compare real instants and print the value's own clock).
 *
 * All values are integer microseconds since the Unix epoch (dateutil keeps microseconds).
 */
export interface ParsedTime {
  /** The wall-clock fields read as if they were UTC. */
  readonly clock: number;
  /** The zone offset east of UTC in microseconds, or null when the text had none. */
  readonly offset: number | null;
}

export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60 * MICROS_PER_SECOND;
export const MICROS_PER_HOUR = 60 * MICROS_PER_MINUTE;

/** The real instant a parsed time stands for (a value without zone is UTC). */
export function instantOf(t: ParsedTime): number {
  return t.clock - (t.offset ?? 0);
}

export function nowMicros(): number {
  return Date.now() * 1000;
}

const TZ = String.raw`(?<tz>Z|z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?`;
const TIME = String.raw`(?<h>\d{1,2})(?::(?<mi>\d{2})(?::(?<s>\d{2})(?:[.,](?<f>\d{1,9}))?)?)?`;
const PATTERNS: RegExp[] = [
  // ISO 8601 extended: 2024-02-28, 2024-02-28T21:05, 2024-02-28 21:05:19.5+02:00
  new RegExp(String.raw`^(?<y>\d{4})-(?<mo>\d{1,2})-(?<d>\d{1,2})(?:[T ]${TIME})?\s*${TZ}$`),
  // ISO 8601 basic: 20240228, 20240228T2105Z, 20240228T210519Z, 20240228T210519.123
  new RegExp(String.raw`^(?<y>\d{4})(?<mo>\d{2})(?<d>\d{2})(?:T?(?<h>\d{2})(?<mi>\d{2})?(?<s>\d{2})?(?:[.,](?<f>\d{1,9}))?)?\s*${TZ}$`),
  // 2024/02/28 21:05:19
  new RegExp(String.raw`^(?<y>\d{4})/(?<mo>\d{1,2})/(?<d>\d{1,2})(?:[T ]${TIME})?\s*${TZ}$`),
  // 02/28/2024 21:05:19 (month first, as dateutil by default)
  new RegExp(String.raw`^(?<mo>\d{1,2})/(?<d>\d{1,2})/(?<y>\d{4})(?:[T ]${TIME})?\s*${TZ}$`),
  // a time alone: today at that time
  new RegExp(String.raw`^${TIME}\s*${TZ}$`),
];

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
// "Feb 28 2024 21:05:19 UTC", "Wed, 28 Feb 2024 21:05:19 GMT", "February 28, 2024"
const NAMED = new RegExp(
  String.raw`^(?:[A-Za-z]{3,9},?\s+)?(?:(?<d1>\d{1,2})\s+(?<m1>[A-Za-z]{3,9})|(?<m2>[A-Za-z]{3,9})\s+(?<d2>\d{1,2}),?)\s+(?<y>\d{4})(?:\s+${TIME})?\s*${TZ}$`,
);

function unparseable(text: string): TrailproofError {
  return new TrailproofError('argument', `Unable to parse date value: ${text}`);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses a timestamp as leniently as the reference's dateutil does for the shapes people use.
 * Throws `Unable to parse date value: <text>` (behaviour §1) for anything else.
 * `today` (micros) supplies the date when the text has only a time.
 */
export function parseDate(text: string, today: number = nowMicros()): ParsedTime {
  if (typeof text !== 'string' || text.length > 64) throw unparseable(String(text));
  const s = text.trim();
  let g: Record<string, string | undefined> | undefined;
  let month: number | undefined;
  for (const re of PATTERNS) {
    const m = re.exec(s);
    if (m?.groups) {
      g = m.groups;
      break;
    }
  }
  if (!g) {
    const m = NAMED.exec(s);
    if (m?.groups) {
      g = m.groups;
      const name = (g.m1 ?? g.m2 ?? '').toLowerCase();
      const idx = MONTHS.findIndex((p) => name.startsWith(p) && isMonthName(name, p));
      if (idx < 0) throw unparseable(text);
      month = idx + 1;
      g = { ...g, d: g.d1 ?? g.d2 };
    }
  }
  if (!g) throw unparseable(text);

  const base = new Date(Math.floor(today / 1000));
  const year = g.y !== undefined ? Number(g.y) : base.getUTCFullYear();
  month ??= g.mo !== undefined ? Number(g.mo) : base.getUTCMonth() + 1;
  const day = g.d !== undefined ? Number(g.d) : base.getUTCDate();
  const hour = g.h !== undefined ? Number(g.h) : 0;
  const minute = g.mi !== undefined ? Number(g.mi) : 0;
  const second = g.s !== undefined ? Number(g.s) : 0;
  const micros = g.f !== undefined ? Number(g.f.slice(0, 6).padEnd(6, '0')) : 0;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw unparseable(text);
  }
  if (hour > 23 || minute > 59 || second > 59) throw unparseable(text);

  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const clock = d.getTime() * 1000 + micros;
  return { clock, offset: parseOffset(g.tz) };
}

function isMonthName(name: string, prefix: string): boolean {
  const full = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'].find((f) =>
    f.startsWith(prefix),
  );
  return name.length === 3 || (full !== undefined && full.startsWith(name)) || name === 'sept';
}

function parseOffset(tz: string | undefined): number | null {
  if (tz === undefined) return null;
  if (/^(?:Z|z|UTC|GMT)$/.test(tz)) return 0;
  const sign = tz.startsWith('-') ? -1 : 1;
  const digits = tz.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  return sign * (hours * MICROS_PER_HOUR + minutes * MICROS_PER_MINUTE);
}

function fields(micros: number): Date {
  return new Date(Math.floor(micros / 1000));
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `YYYY-MM-DDTHH:MM:SSZ` (behaviour §1: fractions are dropped in the display). */
export function formatDisplay(micros: number): string {
  const d = fields(micros);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`
  );
}

/** `YYYYMMDDTHHMMSSZ`: the stamp in digest key names. */
export function formatStamp(micros: number): string {
  const d = fields(micros);
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`
  );
}

/** `YYYY/MM/DD`: the date folders of log and digest keys. */
export function formatYmdPath(micros: number): string {
  const d = fields(micros);
  return `${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}`;
}

/** Whole seconds, as strftime would keep them. */
export function floorToSecond(micros: number): number {
  return Math.floor(micros / MICROS_PER_SECOND) * MICROS_PER_SECOND;
}

/** Strict `YYYY-MM-DDTHH:MM:SSZ` (CloudTrail's own format), for values trailproof writes. */
export function parseStrictUtc(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(text);
  if (!m) return null;
  try {
    const t = parseDate(text);
    return t.clock;
  } catch {
    return null;
  }
}

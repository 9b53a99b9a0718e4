import { regionFolderOf } from '../format/archive-keys.js';
import { formatYmdPath, MICROS_PER_HOUR } from '../format/time.js';

/**
 * What of an archive's history discovery reads (discover.ts): in each CloudTrail region folder, the
 * day folders of the audited window (and the keys of their year and month folders, which a copy
 * may hold as symbolic links), and for digests every day from ENDED_LOOKBACK_DAYS before the window
 * on; nothing of the years before. So a run's listing grows with its window, the organization and
 * the digests delivered after the window, never with the archive's age: a daily audit of a
 * three-year archive lists about nine days of digests and one of logs, not three years of objects.
 *
 * - A chain is found by its digests in those days: one that ended in the lookback is reported as
 *   ended before the window (`chain-stops`); one that ended earlier is history, and is not.
 *   `--state` still reports a recorded chain that is gone, however long ago (vanished.ts).
 * - A chain with digests after the window went on past it: it is walked, so window digests that
 *   are gone are reported (even when the lookback's are gone too: begun-before.ts).
 * - Objects of a region folder outside those days (a date, or any name that sorts outside them)
 *   are not read, so not reported as unexpected either; everything else under `AWSLogs/` is.
 *
 * `examined` is the rule, on any key; `jump` is how a store skips the rest (ListOptions.jump), only
 * ever past keys that `examined` refuses: a store that ignores it gives the same discovery.
 */
export const ENDED_LOOKBACK_DAYS = 7;
const DAY = 24 * MICROS_PER_HOUR;
/** Sorts after every key of a folder it is appended to that CloudTrail or any sane writer makes (S3 order, UTF-8 bytes). */
const PAST_FOLDER = '\u{10FFFD}';

export interface DiscoveryWindow {
  /** Is the key one discovery reads (outside region folders: every key)? */
  examined(key: string): boolean;
  /** ListOptions.jump: past a region folder's days before the window, or past the rest of the folder after it. */
  jump(keyOrFolder: string): string | undefined;
  /** Where a listing of a log region folder (`.../CloudTrail/<region>/`) starts (after `after`: the first day's year on) and stops (`before`); `examined` picks among its keys. */
  logRange(folder: string): { readonly after: string; readonly before: string };
  /** The first key of a digest region folder that discovery reads by day (the lookback's first day; keys before it are history). */
  digestsFrom(folder: string): string;
}

export function discoveryWindow(
  start: number,
  end: number,
  /** Answer keys of a day folder found wholly read without the rule (tests compare with the rule alone: false). */
  dayShortcut = true,
): DiscoveryWindow {
  // A region folder's rest (`YYYY/MM/DD/...`) is read from `low` (the first day read, as
  // `YYYY/MM/DD`: the day folder's own key, a symbolic link in a copy, is read too) to before
  // `high` (the first day not read).
  // `high` is a date (ASCII): comparing code units orders as UTF-8 bytes do, as S3 lists. None: to the folder's end.
  const bounds: Record<'digest' | 'log' | 'insight', { readonly low: string; readonly high: string | undefined }> = {
    // Digests: every day from the lookback on. A chain with digests after the window went on past
    // it: its window's digests, if gone, were deleted (a walk says so), and it did not end before it.
    digest: { low: formatYmdPath(start - ENDED_LOOKBACK_DAYS * DAY), high: undefined },
    log: { low: formatYmdPath(start), high: formatYmdPath(end + DAY) },
    // Insights event files (not checked: each one read is an unexpected object), over the window's days, as logs.
    insight: { low: formatYmdPath(start), high: formatYmdPath(end + DAY) },
  };
  /**
   * The last day folder (`.../<region>/YYYY/MM/DD/`) found wholly read: a key directly in it is
   * examined and never jumped from, whatever its name (it sorts with its day, the bounds being days
   * too). The listing's keys come folder by folder, so most keys are answered here.
   */
  let readDay: string | undefined;
  const inReadDay = (path: string): boolean => {
    const cut = path.lastIndexOf('/') + 1;
    if (!dayShortcut || cut === path.length) return false; // a folder
    if (readDay !== undefined && readDay.length === cut && path.startsWith(readDay)) return true;
    const r = regionFolderOf(path);
    if (r === undefined) return false;
    const { low, high } = bounds[r.kind];
    const day = path.slice(r.folder.length, cut - 1);
    if (day.length !== low.length || (high !== undefined && day.length !== high.length)) return false;
    if (!(day >= low && (high === undefined || day < high))) return false;
    readDay = path.slice(0, cut);
    return true;
  };
  return {
    examined(key) {
      if (inReadDay(key)) return true;
      const r = regionFolderOf(key);
      if (r === undefined || r.rest === '') return true;
      const b = bounds[r.kind];
      // A key at a folder of the first day read (`2024`, `2024/05`: a symbolic link or a file in a
      // copy, standing where that folder should be) is read too: the window's days lie behind it.
      return (r.rest >= b.low || b.low.startsWith(`${r.rest}/`)) && (b.high === undefined || r.rest < b.high);
    },
    jump(path) {
      if (inReadDay(path)) return undefined;
      const r = regionFolderOf(path);
      if (r === undefined || r.rest === '') return undefined;
      const b = bounds[r.kind];
      // A folder that holds the bound (`2024/`, `2024/05/`) is entered; one wholly before or after it is not.
      const folder = path.endsWith('/');
      if (r.rest < b.low && !b.low.startsWith(folder ? r.rest : `${r.rest}/`)) return r.folder + justBeforeNext(b.low, r.rest);
      if (b.high !== undefined && r.rest >= b.high && !(folder && b.high.startsWith(r.rest))) return pastFolder(r.folder);
      return undefined;
    },
    // From the first day's year on (its year and month folders' own keys are read), to before `high`.
    digestsFrom: (folder) => folder + bounds.digest.low,
    logRange: (folder) => ({ after: folder + justBefore(bounds.log.low.slice(0, 4)), before: folder + bounds.log.high! }),
  };
}

/** A key after every key of the folder (a folder path ending in `/`) that CloudTrail or any sane writer makes. */
export function pastFolder(folder: string): string {
  return folder + PAST_FOLDER;
}

/**
 * Where a key before the first day read jumps to: just before the first of that day's year, its
 * month or the day itself that sorts after the key (their own keys are read: a link standing for
 * that folder), so that the jump passes over none of them.
 */
function justBeforeNext(low: string, rest: string): string {
  for (const at of [low.slice(0, 4), low.slice(0, 7)]) if (rest < at) return justBefore(at);
  return justBefore(low);
}

/** A marker before `name` (`YYYY`, `YYYY/MM` or `YYYY/MM/DD`) and after nearly every key that sorts before it: its last digit one less, then PAST_FOLDER. */
function justBefore(name: string): string {
  return name.slice(0, -1) + String.fromCharCode(name.charCodeAt(name.length - 1) - 1) + PAST_FOLDER;
}

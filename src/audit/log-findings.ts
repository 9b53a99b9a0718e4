import { classifyKey } from '../format/archive-keys.js';
import { logListPrefix } from '../format/names.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import { byteCompare } from '../store/names.js';
import type { ObjectStore } from '../store/types.js';
import type { ChainFindings } from './chain-findings.js';
import type { DiscoveredChain, ObjectTallies } from './discover.js';
import { discoveryWindow, type DiscoveryWindow } from './discovery-window.js';
import { chainName, finding, type Finding } from './types.js';

/**
 * The findings about a log folder (one account and region under one prefix), once every chain
 * that delivers into it was walked: each log delivered in the range is referenced by a valid
 * digest of one of them, or counted for a missing/invalid digest whose window holds it
 * (unchecked-logs), or pending (too recent to be digested), or unreferenced. And for each chain,
 * whether it stops early (chain-stops), saying if logs go on after its newest digest.
 *
 * Each finding names the chain it is filed under (run.ts reports and counts it there): an
 * unchecked-logs window and a chain-stops under the chain whose digest or end it is; a pending or
 * unreferenced log, which no chain owns (log names do not name their trail), once, under the
 * folder's last chain, its message naming every chain of the folder when there are several.
 * Chains of the folder the filters leave out count for which logs are referenced; the logs in
 * their missing or invalid windows are unattributed-logs (an error: that chain's or planted, nothing
 * can tell), and nothing else of theirs is reported. A forged chain (digests that do not verify)
 * references nothing, so it cannot make a planted log pass.
 */
/** CloudTrail delivers a digest about every hour: a chain silent longer than this has stopped, and a log younger than this may wait for its digest. */
export const DIGEST_DELAY = 2 * MICROS_PER_HOUR;

export async function logFolderFindings(
  store: ObjectStore,
  bucket: string,
  sample: DiscoveredChain,
  group: readonly ChainFindings[],
  start: number,
  end: number,
  /** Chains of the folder the filters leave out, walked for their references only (left-out.ts). */
  leftOut: readonly ChainFindings[] = [],
  /**
   * What of the folder is read (by default, the days of [start, end]), and where its objects that
   * are not logs, its links and its sidecars are tallied: discovery leaves a walked chain's log
   * folder to this one listing (discover.ts).
   */
  read: { readonly window: DiscoveryWindow; readonly tallies?: ObjectTallies } | undefined = undefined,
): Promise<Finding[]> {
  const out: Finding[] = [];
  const all = [...group, ...leftOut];
  // A log in the windows of several chains' missing digests (a shared folder) counts once, for the
  // first: the audited chains' windows come before the left-out ones'.
  const windows = all.flatMap((g) => g.unchecked.map((w) => ({ ...w, chain: g.chainRef, audited: group.includes(g), count: 0 })));
  const chain = group[group.length - 1]!.chainRef;
  const ofFolder = folderChains(all, leftOut.length);
  const newest = all.reduce<number | null>((m, g) => (g.newestEnd !== null && (m === null || g.newestEnd > m) ? g.newestEnd : m), null);
  const folder = logListPrefix(sample.scope, sample.scope.sourceRegion);
  const after = new Map<ChainFindings, number>();
  // The window's days of the folder, as discovery reads a region folder (its rule, its jumps: a
  // link standing for a year or month folder of the window is heard too).
  const days = read?.window ?? discoveryWindow(start, end);
  const range = days.logRange(folder);
  const tallies = read?.tallies;
  const onLink = tallies && ((key: string) => void (days.examined(key) && tallies.onLink(key)));
  const onSidecar = tallies && ((key: string, object: string, here: boolean) => void (days.examined(key) && tallies.onSidecar(key, object, here)));
  for await (const key of store.list(bucket, { prefix: folder, startAfter: range.after, onLink, onSidecar, jump: days.jump })) {
    if (byteCompare(key, range.before) >= 0) break;
    if (!days.examined(key)) continue;
    const k = classifyKey(key);
    if (k.kind === 'other') tallies?.other(key);
    if (k.kind !== 'log') continue;
    const id = `${bucket}/${key}`;
    if (k.misfiled) {
      // Read because its folder is a day of the window, whatever day its name claims: added, unless CloudTrail's own digest says otherwise.
      if (!all.some((g) => g.referenced.has(id))) out.push(misfiledLog(bucket, key, k.delivered, chain, ofFolder));
      continue;
    }
    if (k.delivered < start || k.delivered > end) continue;
    // A log a valid digest references is that chain's: it says nothing of the others' ends.
    const owner = all.find((g) => g.referenced.has(id));
    for (const g of group)
      if ((owner === undefined || owner === g) && (g.newestEnd === null || k.delivered > g.newestEnd)) after.set(g, (after.get(g) ?? 0) + 1);
    if (owner) continue;
    const w = windows.find((x) => k.delivered >= x.from && k.delivered < x.to);
    const s3 = `s3://${bucket}/${key}`;
    if (w) w.count++;
    else if ((newest === null || k.delivered >= newest) && end - k.delivered <= DIGEST_DELAY) {
      out.push(
        finding(
          'pending',
          chain,
          `log ${s3}, delivered ${formatDisplay(k.delivered)}, is not digested yet (delivered within ${DIGEST_DELAY / MICROS_PER_HOUR} h of the end, after the newest digest${ofFolder})`,
          { s3 },
        ),
      );
    } else
      out.push(finding('unreferenced-log', chain, `log ${s3}, delivered ${formatDisplay(k.delivered)}, is referenced by no valid digest${ofFolder}`, { s3 }));
  }
  for (const w of windows) {
    if (w.count > 0 && !w.audited)
      out.push(
        finding(
          'unattributed-logs',
          chain,
          `${w.count} log file(s) delivered from ${formatDisplay(w.from)} to ${formatDisplay(w.to)} are referenced by no valid digest and lie in the window of ${w.digest}, which is missing or invalid, of ${chainName(w.chain)}, a chain of this log folder the filters leave out: audit that chain to check them`,
          { from: w.from, to: w.to, count: w.count },
        ),
      );
    else if (w.count > 0)
      out.push(
        finding(
          'unchecked-logs',
          w.chain,
          `${w.count} log file(s) delivered from ${formatDisplay(w.from)} to ${formatDisplay(w.to)} could not be checked: ${w.digest} is missing or invalid`,
          { from: w.from, to: w.to, count: w.count },
        ),
      );
  }
  for (const g of group) {
    if (g.newestEnd !== null && end - g.newestEnd <= DIGEST_DELAY) continue;
    const later = after.get(g) ?? 0;
    const since = g.newestEnd === null ? 'has no digest in range' : `ends ${formatDisplay(g.newestEnd)}`;
    const why =
      later > 0
        ? `${later} log file(s) were delivered after it: its newest digests were probably deleted`
        : 'no log file was delivered after it: logging was probably stopped';
    if (g.newestEnd !== null)
      out.push(
        finding(
          'chain-stops',
          g.chainRef,
          `the chain's newest digest ${since}, more than ${DIGEST_DELAY / MICROS_PER_HOUR} h before ${formatDisplay(end)}; ${why}`,
          { from: g.newestEnd, to: end },
        ),
      );
  }
  return out;
}

/** An unreferenced-log for a log CloudTrail would not have filed where it lies (another account, region or day than its name's). */
function misfiledLog(bucket: string, key: string, delivered: number, chain: Finding['chain'], ofFolder: string): Finding {
  const s3 = `s3://${bucket}/${key}`;
  return finding(
    'unreferenced-log',
    chain,
    `log ${s3}, named as delivered ${formatDisplay(delivered)}, lies in a folder CloudTrail does not file it in (its name's account, region and delivery day say another), and is referenced by no valid digest${ofFolder}`,
    { s3 },
  );
}

/** Chains a shared folder's message names; past this many, their count only. */
export const FOLDER_CHAINS_NAMED = 4;

/**
 * `` for a folder of one chain; else ` of any of the N chains delivering into its log folder[: <label>; <label>...]`,
 * saying how many of them the filters leave out (their digests were read for this check).
 */
function folderChains(all: readonly ChainFindings[], leftOut: number): string {
  if (all.length === 1) return '';
  const names = all.length <= FOLDER_CHAINS_NAMED ? `: ${all.map((g) => chainName(g.chainRef)).join('; ')}` : '';
  const filtered = leftOut > 0 ? ` (${leftOut} of them left out by the filters; their digests were read for this check)` : '';
  return ` of any of the ${all.length} chains delivering into its log folder${names}${filtered}`;
}

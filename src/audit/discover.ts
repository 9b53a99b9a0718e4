import { chainId, classifyKey, regionFolderOf } from '../format/archive-keys.js';
import { digestKeyStamp, type DigestScope } from '../format/names.js';
import { formatStamp, MICROS_PER_HOUR } from '../format/time.js';
import type { ObjectStore } from '../store/types.js';
import { discoveryWindow, pastFolder } from './discovery-window.js';

/**
 * Discovery: one listing of the bucket (under `[prefix/]AWSLogs/`) read into the chains its digest
 * keys name, the log folders its log keys lie in, and the objects that are neither. Memory grows
 * with the number of chains and folders, not of objects (objects are only counted; the first
 * unexpected ones are kept to be named). Of each CloudTrail region folder, only the days around
 * the window are read (discovery-window.ts).
 */
export interface LogFolder {
  readonly prefix: string | undefined;
  readonly organizationId: string | undefined;
  readonly account: string;
  readonly region: string;
}

export interface DiscoveredChain {
  readonly scope: DigestScope;
  /** Newest digest stamp seen (YYYYMMDDTHHMMSSZ), any time. */
  newestStamp: string;
  oldestStamp: string;
  /**
   * The key of the oldest standard digest read (the first listed of those stamped alike), undefined
   * when only backfill digests were read. Not a backfill digest's: the first of a backfill chain has
   * no previous digest either, and says nothing of where the chain begins (begun-before.ts).
   */
  oldestKey: string | undefined;
}

export interface Discovery {
  readonly chains: Map<string, DiscoveredChain>;
  readonly logFolders: Map<string, LogFolder>;
  /** Logs seen per folder id, delivered in [start, end]. */
  readonly logsInRange: Map<string, number>;
  /** Objects under `AWSLogs/` that are neither logs nor digests. */
  readonly unexpected: Tally<string>;
  /** Symbolic links under `AWSLogs/` in a local copy (S3 has none). */
  readonly links: Tally<string>;
  /** Metadata sidecars under `AWSLogs/` in a local copy whose object is not there, or is not a digest (only a digest's metadata is read). */
  readonly strays: Tally<StraySidecar>;
}

/** The first UNEXPECTED_NAMED of a kind of object (to be named), and how many there were. */
export interface Tally<T> {
  readonly first: T[];
  count: number;
}

function tally<T>(t: Tally<T>, item: T): void {
  t.count++;
  if (t.first.length < UNEXPECTED_NAMED) t.first.push(item);
}

export interface StraySidecar {
  /** The sidecar's key. */
  readonly key: string;
  /** 'absent': no regular file of its object beside it; 'not-digest': its object is no digest. */
  readonly why: 'absent' | 'not-digest';
}

export const UNEXPECTED_NAMED = 100;

/** A log folder's identity: its four parts as JSON, so that no two folders share one (a prefix may hold any character, `|` included). */
export function logFolderId(f: LogFolder): string {
  return JSON.stringify([f.prefix ?? null, f.organizationId ?? null, f.account, f.region]);
}

/** What a listing of the bucket hears besides keys (a local copy's links and sidecars), and its other objects, tallied. */
export interface ObjectTallies {
  readonly onLink: (key: string) => void;
  readonly onSidecar: (key: string, objectKey: string, objectHere: boolean) => void;
  /** A key under `AWSLogs/` that is neither a log nor a digest. */
  readonly other: (key: string) => void;
}

/** Tallies into a discovery's unexpected objects, links and stray sidecars: the keys `counted` takes. */
export function objectTallies(out: Pick<Discovery, 'unexpected' | 'links' | 'strays'>, counted: (key: string) => boolean = () => true): ObjectTallies {
  return {
    // Any link of the copy, under `AWSLogs/` or not: S3 has none, and one standing for a prefix or an
    // `AWSLogs` folder hides whole trails from the listing (a reader of the copy follows it).
    onLink: (key) => {
      if (counted(key)) tally(out.links, key);
    },
    // Only a digest's metadata is read (its signature): a sidecar of anything else is nobody's.
    onSidecar: (key, objectKey, objectHere) => {
      if (!underAwsLogs(key) || !counted(key)) return;
      const why = !objectHere ? 'absent' : classifyKey(objectKey).kind !== 'digest' ? 'not-digest' : undefined;
      if (why !== undefined) tally(out.strays, { key, why });
    },
    other: (key) => tally(out.unexpected, key),
  };
}

/** The log folder a chain delivers into (its id, logFolderId). */
export function folderOf(c: Pick<DiscoveredChain, 'scope'>): string {
  return logFolderId({ prefix: c.scope.prefix, organizationId: c.scope.organizationId, account: c.scope.account, region: c.scope.sourceRegion });
}

/**
 * Every key under `[prefix/]AWSLogs/` (or the whole bucket without prefix, where prefixes are read
 * from the keys), of the window's days (discovery-window.ts). A log folder that a chain the run
 * walks delivers into (`walked`) is not read here: the run's folder check reads it once for all
 * (log-findings.ts: its logs, and its other objects into these tallies). A folder's chains are
 * known when the listing reaches it: `CloudTrail-Digest/` sorts before `CloudTrail/`.
 */
export async function discover(
  store: ObjectStore,
  bucket: string,
  prefix: string | undefined,
  start: number,
  end: number,
  walked: (c: DiscoveredChain) => boolean = () => false,
): Promise<Discovery> {
  const out: Discovery = {
    chains: new Map(),
    logFolders: new Map(),
    logsInRange: new Map(),
    unexpected: { first: [], count: 0 },
    links: { first: [], count: 0 },
    strays: { first: [], count: 0 },
  };
  const listPrefix = prefix ? `${prefix}/AWSLogs/` : '';
  // The window's days of each region folder, not the archive's whole history (discovery-window.ts).
  const window = discoveryWindow(start, end);
  const chainsOf = new Map<string, DiscoveredChain[]>();
  /** The stamp of each chain's oldestKey. */
  const oldestStandard = new Map<string, string>();
  /** Log region folders (their paths) read by the run's folder check, not here. */
  const handed = new Map<string, boolean>();
  const handedOver = (path: string): boolean => {
    const r = regionFolderOf(path);
    if (r?.kind !== 'log') return false;
    let v = handed.get(r.folder);
    if (v === undefined) {
      v = (chainsOf.get(logFolderId(r)) ?? []).some(walked);
      handed.set(r.folder, v);
    }
    return v;
  };
  const read = (key: string): boolean => window.examined(key) && !handedOver(key);
  const jump = (path: string): string | undefined => (handedOver(path) ? pastFolder(regionFolderOf(path)!.folder) : window.jump(path));
  const tallies = objectTallies(out, read);
  for await (const key of store.list(bucket, { prefix: listPrefix, onLink: tallies.onLink, onSidecar: tallies.onSidecar, jump })) {
    if (!read(key)) continue;
    const k = classifyKey(key);
    if (k.kind === 'outside') continue;
    if (k.kind === 'other' || (prefix !== undefined && !matchesPrefix(k, prefix))) {
      if (k.kind === 'other') tallies.other(key);
      continue;
    }
    if (k.kind === 'log') {
      const folder: LogFolder = { prefix: k.prefix, organizationId: k.organizationId, account: k.account, region: k.region };
      const id = logFolderId(folder);
      if (!out.logFolders.has(id)) out.logFolders.set(id, folder);
      // A misfiled log lies in a day folder of the window (read only there), whatever day its name claims.
      if (k.misfiled || (k.delivered >= start && k.delivered <= end)) out.logsInRange.set(id, (out.logsInRange.get(id) ?? 0) + 1);
      continue;
    }
    const id = chainId(k.scope);
    const stamp = digestKeyStamp(key);
    const known = out.chains.get(id);
    const standard = !k.backfill;
    if (!known) {
      const c: DiscoveredChain = { scope: k.scope, newestStamp: stamp, oldestStamp: stamp, oldestKey: standard ? key : undefined };
      out.chains.set(id, c);
      if (standard) oldestStandard.set(id, stamp);
      const folder = folderOf(c);
      chainsOf.set(folder, [...(chainsOf.get(folder) ?? []), c]);
    } else {
      if (stamp > known.newestStamp) known.newestStamp = stamp;
      if (stamp < known.oldestStamp) known.oldestStamp = stamp;
      const oldest = oldestStandard.get(id);
      if (standard && (oldest === undefined || stamp < oldest)) {
        oldestStandard.set(id, stamp);
        known.oldestKey = key;
      }
    }
  }
  return out;
}

/** The scope of what a local copy's listing hears (links, sidecars): keys under an `AWSLogs/` folder. */
function underAwsLogs(key: string): boolean {
  return key.startsWith('AWSLogs/') || key.includes('/AWSLogs/');
}

function matchesPrefix(k: { prefix?: string | undefined; scope?: DigestScope }, prefix: string): boolean {
  const p = 'scope' in k && k.scope ? k.scope.prefix : k.prefix;
  return p === prefix;
}

/** Does the chain have digests from the audited start on (else it ended before the range)? */
export function reachesRange(c: DiscoveredChain, start: number): boolean {
  return c.newestStamp >= formatStamp(start);
}

/**
 * Does the chain begin after the window (its oldest digest stamped more than 2 hours after the end:
 * CloudTrail delivers a digest about an hour after the hour it covers)? Then it has nothing in it.
 */
export function beginsAfter(c: DiscoveredChain, end: number): boolean {
  return c.oldestStamp > formatStamp(end + 2 * MICROS_PER_HOUR);
}
/** A chain with digests in the window [start, end]: one an audit walks. */
export function walksIn(c: DiscoveredChain, start: number, end: number): boolean {
  return reachesRange(c, start) && !beginsAfter(c, end);
}

import { minuteStampOf } from './minute.js';
import { createDigestKeyMatcher, type DigestScope } from './names.js';
import { isRegionName } from './region.js';

/**
 * What a key in a trail bucket is, read from its name alone (guide: "Digest File Location",
 * "CloudTrail Log File Name Format"): the audit's discovery of chains and of log files. Pure.
 *
 *   [<prefix>/]AWSLogs/[<org-id>/]<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
 *       <account>_CloudTrail-Digest_<region>_<trail>_<home-region>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz
 *   [<prefix>/]AWSLogs/[<org-id>/]<account>/CloudTrail/<region>/YYYY/MM/DD/
 *       <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<unique>.json.gz
 *
 * Names are hostile: a digest key counts only if validate-logs' own matcher would take it for the
 * scope read from it (the two can never disagree on which chain a digest belongs to).
 */
export type ArchiveKey =
  | { readonly kind: 'digest'; readonly scope: DigestScope; readonly backfill: boolean }
  | {
      readonly kind: 'log';
      readonly prefix: string | undefined;
      readonly organizationId: string | undefined;
      readonly account: string;
      readonly region: string;
      /** From its name: the delivery time it claims. */
      readonly delivered: number;
      /**
       * Named as CloudTrail names a log, but not for the folder it lies in (another account, region
       * or delivery day): CloudTrail never files one there. Its folder is the one it lies in.
       */
      readonly misfiled?: true;
    }
  /** Under AWSLogs/ but neither a digest nor a log of CloudTrail's naming. */
  | { readonly kind: 'other' }
  /** Not under an AWSLogs/ folder at all. */
  | { readonly kind: 'outside' };

const ORG = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT = /^\d{12}$/;
const DATE_PARTS = [/^\d{4}$/, /^\d{2}$/, /^\d{2}$/];
const DIGEST_STAMP = /^\d{8}T\d{6}Z$/;
const LOG_FILE = /^(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$/;

/** What a key's folder says (the same for every key in it): the last folder read is remembered. */
type FolderHead =
  | { readonly kind: 'outside' }
  | { readonly kind: 'other' }
  | {
      readonly kind: 'log' | 'digest';
      readonly prefix: string | undefined;
      readonly organizationId: string | undefined;
      readonly account: string;
      readonly region: string;
      readonly day: string;
    };

let lastFolder: { readonly folder: string; readonly head: FolderHead } | undefined;

function folderHead(folder: string): FolderHead {
  if (!folder.startsWith('AWSLogs/') && !folder.includes('/AWSLogs/')) return { kind: 'outside' };
  // Its region folder (regionHead's rules), then exactly a day's `YYYY/MM/DD/`.
  const r = regionHead(folder);
  if (r === undefined || r.kind === 'insight') return { kind: 'other' };
  const parts = folder.slice(r.folder.length, -1).split('/');
  if (parts.length !== 3 || !parts.every((p, i) => DATE_PARTS[i]!.test(p))) return { kind: 'other' };
  const { kind, prefix, organizationId, account, region } = r;
  return { kind, prefix, organizationId, account, region, day: parts.join('') };
}

/**
 * The CloudTrail, CloudTrail-Digest or CloudTrail-Insight region folder (`...AWSLogs/[<org-id>/]<account>/<type>/<region>/`)
 * a key, or a folder given as its key prefix ending in `/`, lies in, and the rest of its path after
 * that folder (`YYYY/MM/DD/<file>` for a key as CloudTrail names it); undefined outside one, and
 * for a folder whose names no trail can have (folderHead's rules).
 */
export interface RegionFolder {
  readonly folder: string;
  /** insight: CloudTrail Insights event files (`CloudTrail-Insight/`), which the audit does not check: dated folders like logs'. */
  readonly kind: 'log' | 'digest' | 'insight';
  readonly rest: string;
  readonly prefix: string | undefined;
  readonly organizationId: string | undefined;
  readonly account: string;
  readonly region: string;
}

export function regionFolderOf(path: string): RegionFolder | undefined {
  // Parsed once per folder (the keys of a listing come folder by folder): the folder's own path
  // holds every segment read, and the rest is what follows the region folder.
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  if (lastRegion?.dir !== dir) lastRegion = { dir, head: regionHead(dir) };
  const head = lastRegion.head;
  return head && { ...head, rest: path.slice(head.folder.length) };
}

let lastRegion: { readonly dir: string; readonly head: Omit<RegionFolder, 'rest'> | undefined } | undefined;

function regionHead(path: string): Omit<RegionFolder, 'rest'> | undefined {
  const at = path.startsWith('AWSLogs/') ? 0 : path.indexOf('/AWSLogs/') + 1;
  if (at === 0 && !path.startsWith('AWSLogs/')) return undefined;
  // A prefix with an empty segment (`/AWSLogs/...`, `a//AWSLogs/...`) is no trail's: CloudTrail
  // writes none, and as '' it would pass for the bucket's own `AWSLogs/` and hide among its keys.
  const prefix = at === 0 ? undefined : path.slice(0, at - 1);
  if (prefix?.split('/').includes('')) return undefined;
  let i = at + 'AWSLogs/'.length;
  const segment = (): string | undefined => {
    const j = path.indexOf('/', i);
    if (j < 0) return undefined;
    const s = path.slice(i, j);
    i = j + 1;
    return s;
  };
  let account = segment();
  let organizationId: string | undefined;
  if (account !== undefined && ORG.test(account)) {
    organizationId = account;
    account = segment();
  }
  if (account === undefined || !ACCOUNT.test(account)) return undefined;
  const type = segment();
  const kind = type === 'CloudTrail' ? 'log' : type === 'CloudTrail-Digest' ? 'digest' : type === 'CloudTrail-Insight' ? 'insight' : undefined;
  if (kind === undefined) return undefined;
  const region = segment();
  if (region === undefined || !isRegionName(region)) return undefined;
  return { folder: path.slice(0, i), kind, prefix, organizationId, account, region };
}

export function classifyKey(key: string): ArchiveKey {
  const cut = key.lastIndexOf('/');
  if (cut < 0) return { kind: 'outside' };
  const folder = key.slice(0, cut + 1);
  if (lastFolder?.folder !== folder) lastFolder = { folder, head: folderHead(folder) };
  const head = lastFolder.head;
  if (head.kind === 'outside') return { kind: 'outside' };
  if (head.kind === 'other') return { kind: 'other' };
  const file = key.slice(cut + 1);
  if (head.kind === 'log') return logKind(file, head.prefix, head.organizationId, head.account, head.region, head.day);
  return digestKind(key, file, head.prefix, head.organizationId, head.account, head.region);
}

function logKind(file: string, prefix: string | undefined, organizationId: string | undefined, account: string, region: string, day: string): ArchiveKey {
  const m = LOG_FILE.exec(file);
  if (!m) return { kind: 'other' };
  const delivered = minuteStampOf(m[3]!);
  if (delivered === undefined) return { kind: 'other' };
  // CloudTrail delivers a log into its account's and region's folder, under its delivery day.
  if (m[1] !== account || m[2] !== region || !m[3]!.startsWith(day)) return { kind: 'log', prefix, organizationId, account, region, delivered, misfiled: true };
  return { kind: 'log', prefix, organizationId, account, region, delivered };
}

function digestKind(key: string, file: string, prefix: string | undefined, organizationId: string | undefined, account: string, region: string): ArchiveKey {
  if (!file.endsWith('.json.gz')) return { kind: 'other' };
  let stem = file.slice(0, -'.json.gz'.length);
  const backfill = stem.endsWith('_backfill');
  if (backfill) stem = stem.slice(0, -'_backfill'.length);
  const head = `${account}_CloudTrail-Digest_${region}_`;
  const stamp = stem.slice(-16);
  if (!stem.startsWith(head) || !DIGEST_STAMP.test(stamp) || stem[stem.length - 17] !== '_') return { kind: 'other' };
  const middle = stem.slice(head.length, -17); // <trail>_<home-region>
  const cut = middle.lastIndexOf('_');
  if (cut <= 0) return { kind: 'other' };
  const trailName = middle.slice(0, cut);
  const homeRegion = middle.slice(cut + 1);
  if (!isRegionName(homeRegion)) return { kind: 'other' };
  const scope: DigestScope = { prefix, organizationId, account, sourceRegion: region, homeRegion, trailName };
  if (!createDigestKeyMatcher(scope)(key)) return { kind: 'other' };
  return { kind: 'digest', scope, backfill };
}

/** One chain's identity as text (for maps, ordering and state files). */
export function chainId(scope: DigestScope): string {
  return [scope.prefix ?? '', scope.organizationId ?? '', scope.account, scope.sourceRegion, scope.trailName, scope.homeRegion].join('|');
}

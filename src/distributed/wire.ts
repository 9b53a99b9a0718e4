import { MAX_DIGEST_BYTES } from '../format/limits.js';
import type { Entry, SegmentBounds } from './segments.js';
import { array, int, literal, nullable, object, parseChecked, str, tagged, tuple, type Check } from './schema.js';

/**
 * What goes through the queue, and the checks every reader applies (the coordinator to results,
 * the workers to jobs and run settings): version 1 of each, exact fields, bounded sizes.
 *
 * - RunConfig: a run's settings, written once by the coordinator (Redis key), read by workers;
 * - SegmentJob: one segment (or one whole chain: `seg` null) of one chain;
 * - SegmentResult: what a worker's walk gave, per kind: every chain event (a valid digest as its
 *   exact bytes, so that the coordinator replays the same core on the same input) with its log
 *   results, the newest listed key, and how the walk left the segment.
 */
/**
 * The run settings' version, which every worker checks before anything else: a worker and a
 * coordinator of different versions refuse each other's runs. 2: valid digests with bytes after
 * their gzip member travel as 'w' (a worker of version 1 would drop that, and the finding with it).
 */
export const WIRE_VERSION = 2;
/** Results larger than this are refused unread. */
export const MAX_RESULT_BYTES = 256 << 20;
export const MAX_CONFIG_BYTES = 32 << 20;
export const MAX_JOB_BYTES = 1 << 20;

const KEY = str(MAX_DIGEST_BYTES);
const SHORT = str(1024);
const TEXT = str(MAX_DIGEST_BYTES);
const TIME = int(-(2 ** 52), 2 ** 52);
export const RUN_ID = /^[a-z0-9-]{1,80}$/;

export type StoreRef = readonly ['local', string] | readonly ['s3'];
export type ResultsRef = readonly ['local', string] | readonly ['s3', string, string];

export interface RunConfig {
  readonly v: typeof WIRE_VERSION;
  readonly run: string;
  readonly bucket: string;
  readonly store: StoreRef;
  /**
   * An S3 Inventory manifest (an absolute path every worker shares, or s3://) the workers list the
   * bucket from instead of LIST, with the sha256 of its bytes (a worker refuses another report), or null.
   */
  readonly inventory: readonly [string, string] | null;
  /** The public keys, as the JSON of `aws cloudtrail list-public-keys` (checked again by workers). */
  readonly keys: string;
  readonly end: number;
  /** Where results larger than `inlineMax` go, or null (then such a result fails its job). */
  readonly results: ResultsRef | null;
  readonly inlineMax: number;
}

export const checkRunConfig: Check<RunConfig> = object<RunConfig>({
  v: literal(WIRE_VERSION),
  run: str(80, RUN_ID),
  bucket: SHORT,
  store: tagged<StoreRef>({ local: tuple<['local', string]>(literal('local'), str(4096)), s3: tuple<['s3']>(literal('s3')) }),
  inventory: nullable(tuple<[string, string]>(str(4096), str(64, /^[0-9a-f]{64}$/))),
  keys: str(MAX_CONFIG_BYTES),
  end: TIME,
  results: nullable(
    tagged<ResultsRef>({
      local: tuple<['local', string]>(literal('local'), str(4096)),
      s3: tuple<['s3', string, string]>(literal('s3'), SHORT, SHORT),
    }),
  ),
  inlineMax: int(1, MAX_RESULT_BYTES),
});

export interface ScopeWire {
  readonly prefix: string | null;
  readonly organizationId: string | null;
  readonly account: string;
  readonly sourceRegion: string;
  readonly homeRegion: string;
  readonly trailName: string;
}

export type EntryWire = readonly ['start'] | readonly ['link'] | readonly ['exact', string, number, string | null];

export interface SegmentWire extends Omit<SegmentBounds, never> {
  readonly standard: EntryWire | null;
  readonly backfill: EntryWire | null;
}

export interface SegmentJob {
  readonly v: 1;
  readonly run: string;
  readonly scope: ScopeWire;
  readonly start: number;
  /** null: the whole chain in one walk. */
  readonly seg: SegmentWire | null;
}

const checkEntry: Check<EntryWire> = tagged<EntryWire>({
  start: tuple<['start']>(literal('start')),
  link: tuple<['link']>(literal('link')),
  exact: tuple<['exact', string, number, string | null]>(literal('exact'), KEY, TIME, nullable(KEY)),
});

export const checkJob: Check<SegmentJob> = object<SegmentJob>({
  v: literal(1),
  run: str(80, RUN_ID),
  scope: object<ScopeWire>({
    prefix: nullable(SHORT),
    organizationId: nullable(str(64)),
    account: str(64),
    sourceRegion: str(64),
    homeRegion: str(64),
    trailName: str(256),
  }),
  start: TIME,
  seg: nullable(
    object<SegmentWire>({
      from: nullable(TIME),
      to: nullable(TIME),
      after: str(4096),
      before: nullable(str(4096)),
      standard: nullable(checkEntry),
      backfill: nullable(checkEntry),
    }),
  ),
});

export function entryToWire(e: Entry): EntryWire {
  return e.kind === 'exact' ? ['exact', e.key, e.lastStart, e.bound] : [e.kind];
}

export function entryFromWire(e: EntryWire): Entry {
  return e[0] === 'exact' ? { kind: 'exact', key: e[1], lastStart: e[2], bound: e[3] } : { kind: e[0] };
}

/**
 * A log's result: true (valid), ['t'] (valid, its gzip member cut before the trailer), the INVALID
 * reason, or ['f', message] (what stopped the run).
 */
export type LogWire = true | string | readonly ['t'] | readonly ['f', string];

/** What stopped the run at this log. */
export function isStopWire(l: LogWire): l is readonly ['f', string] {
  return Array.isArray(l) && l[0] === 'f';
}
export type ItemWire =
  | readonly ['g', number, number]
  | readonly ['i', string, string, string]
  /**
   * A valid digest: bucket, key, the digest's bytes (base64), metadata signature, signature-algorithm,
   * its logs' results; 'w' when the object has bytes after its gzip member (ChainEvent `trailing`).
   */
  | ValidItemWire;
export type ValidItemWire = readonly ['v' | 'w', string, string, string, string, string, LogWire[]];

export function isValidItem(item: ItemWire): item is ValidItemWire {
  return item[0] === 'v' || item[0] === 'w';
}

/** How a part ended: an exit (segment-walk.ts), what stopped it, or an irregular chain. */
export type EndWire =
  | readonly ['done']
  | readonly ['link', string, number]
  | readonly ['fell', number, boolean]
  | readonly ['fatal', string, 'walk' | 'logs']
  | readonly ['irregular', string];

export interface PartWire {
  /** The newest listed key of this kind in the segment (null: none). */
  readonly last: string | null;
  readonly items: ItemWire[];
  readonly end: EndWire;
}

export interface SegmentResult {
  readonly v: 1;
  /** The segment's listing failed (the run stops) or is irregular (the chain is walked whole). */
  readonly listing: readonly ['fatal', string] | readonly ['irregular', string] | null;
  readonly standard: PartWire | null;
  readonly backfill: PartWire | null;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const checkLog: Check<LogWire> = (v, path) => {
  if (v === true) return true;
  if (typeof v === 'string') return TEXT(v, path);
  return tagged<readonly ['t'] | readonly ['f', string]>({ t: tuple<['t']>(literal('t')), f: tuple<['f', string]>(literal('f'), TEXT) })(v, path);
};

const checkItem: Check<ItemWire> = tagged<ItemWire>({
  g: tuple<['g', number, number]>(literal('g'), TIME, TIME),
  i: tuple<['i', string, string, string]>(literal('i'), KEY, KEY, TEXT),
  v: validItem('v'),
  w: validItem('w'),
});

function validItem(tag: 'v' | 'w'): Check<ValidItemWire> {
  return tuple<['v' | 'w', string, string, string, string, string, LogWire[]]>(
    literal(tag),
    KEY,
    KEY,
    str(Math.ceil(MAX_DIGEST_BYTES / 3) * 4 + 4, BASE64),
    TEXT,
    TEXT,
    array(1_000_000, checkLog),
  );
}

const checkEnd: Check<EndWire> = tagged<EndWire>({
  done: tuple<['done']>(literal('done')),
  link: tuple<['link', string, number]>(literal('link'), KEY, TIME),
  fell: tuple<['fell', number, boolean]>(literal('fell'), TIME, literal(true, false)),
  fatal: tuple<['fatal', string, 'walk' | 'logs']>(literal('fatal'), TEXT, literal('walk', 'logs')),
  irregular: tuple<['irregular', string]>(literal('irregular'), TEXT),
});

const checkPart: Check<PartWire> = object<PartWire>({ last: nullable(KEY), items: array(1_000_000, checkItem), end: checkEnd });

export const checkResult: Check<SegmentResult> = object<SegmentResult>({
  v: literal(1),
  listing: nullable(
    tagged<['fatal', string] | ['irregular', string]>({
      fatal: tuple<['fatal', string]>(literal('fatal'), TEXT),
      irregular: tuple<['irregular', string]>(literal('irregular'), TEXT),
    }),
  ),
  standard: nullable(checkPart),
  backfill: nullable(checkPart),
});

/** What a job returns: the result itself, or where it was put (too large for a Redis value). */
export interface Envelope {
  readonly v: 1;
  readonly result: SegmentResult | null;
  readonly ref: { readonly key: string; readonly bytes: number; readonly sha256: string } | null;
}

export const checkEnvelope: Check<Envelope> = object<Envelope>({
  v: literal(1),
  result: nullable(checkResult),
  ref: nullable(object({ key: str(300, /^[a-z0-9-]{1,80}\/[a-z0-9-]{1,200}\.json$/), bytes: int(0, MAX_RESULT_BYTES), sha256: str(64, /^[0-9a-f]{64}$/) })),
});

export const parseEnvelope = (text: string): Envelope => parseChecked(text, MAX_RESULT_BYTES, checkEnvelope, 'segment result');
export const parseResult = (text: string): SegmentResult => parseChecked(text, MAX_RESULT_BYTES, checkResult, 'segment result');
export const parseJob = (text: string): SegmentJob => parseChecked(text, MAX_JOB_BYTES, checkJob, 'segment job');
export const parseRunConfig = (text: string): RunConfig => parseChecked(text, MAX_CONFIG_BYTES, checkRunConfig, 'run settings');

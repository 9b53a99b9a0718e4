import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { RemoteWalks } from '../audit/options.js';
import { TrailproofError } from '../errors.js';
import { formatPublicKeysJson, type PublicKeyEntry } from '../keys/public-keys.js';
import type { ObjectStore } from '../store/types.js';
import { positiveInt, str, type ParsedArgs, type OptionSpec } from './args.js';
import { isS3Url, parseS3Folder } from '../format/s3-url.js';
import { WIRE_VERSION } from '../distributed/wire.js';
import { QUEUE_KEY_OPTION, readQueueKey, withEnvPassword } from './queue-key.js';

/**
 * `audit --queue redis://HOST:PORT/DB`: the run as a coordinator (src/distributed/). Only the
 * wiring is here; bullmq and ioredis are loaded only when --queue is given.
 */
export const QUEUE_OPTIONS: OptionSpec[] = [
  {
    name: 'queue',
    value: 'URL',
    group: 'Distributed audit (README "Distributed audit")',
    description:
      'coordinate workers (trailproof worker) through this Redis: the chains go out in segments, the report is the same (its password: TRAILPROOF_REDIS_PASSWORD, not the URL, which ps shows)',
  },
  QUEUE_KEY_OPTION,
  { name: 'segment-hours', value: 'N', description: 'hours of a chain per segment (job), 1 to 8784', default: '24 (UTC days)' },
  { name: 'results', value: 'DIR|s3://B/P', description: 'where workers put results too large for Redis (a folder every machine shares, or S3)' },
  { name: 'result-inline-max', value: 'BYTES', description: 'larger results go to --results', default: '262144' },
  { name: 'queue-ahead', value: 'N', description: 'segments queued ahead of the chains being reported', default: '4000' },
  {
    name: 'queue-keep-hours',
    value: 'N',
    description: 'an unfinished run (and finished jobs) kept this long: a coordinator started again resumes it',
    default: '24',
  },
  { name: 'queue-timeout', value: 'SECONDS', description: 'stop when Redis stays unreachable this long', default: '60' },
  { name: 'queue-check-ms', value: 'MS', description: 'how often the queue is checked for lost or missed jobs', default: '2000' },
];

export interface QueueRun {
  readonly remote: RemoteWalks;
  /** Says how the run went (stderr) and releases the queue; `finished`: a later coordinator starts a new run. */
  close(finished: boolean): Promise<void>;
}

export interface QueueSetup {
  readonly bucket: string;
  readonly prefix: string | undefined;
  /** The archive's local root (workers read the same path), or undefined for S3. */
  readonly root: string | undefined;
  readonly entries: readonly PublicKeyEntry[] | undefined;
  readonly start: number;
  readonly end: number;
  readonly filters: unknown;
  /** --inventory: the manifest's location (absolute path or s3://) and the sha256 of its bytes. */
  readonly inventory: readonly [string, string] | undefined;
  /** The S3 store (for --results s3://...), opened on demand. */
  readonly s3: () => Promise<ObjectStore>;
  readonly err: (line: string) => void;
  /** The environment: TRAILPROOF_REDIS_PASSWORD (queue-key.ts). */
  readonly env: NodeJS.ProcessEnv;
}

export async function startQueue(args: ParsedArgs, s: QueueSetup): Promise<QueueRun> {
  const url = str(args, 'queue')!;
  const d = await import('../distributed/index.js');
  const target = withEnvPassword(d.parseRedisUrl(url), s.env);
  if (!s.entries) throw new TrailproofError('argument', '--queue: give --public-keys FILE or --keys-dir DIR (the keys go to the workers with the run)');
  const segmentHours = positiveInt(args, 'segment-hours', 8784) ?? 24;
  const inlineMax = positiveInt(args, 'result-inline-max', 256 << 20) ?? 262144;
  const ahead = positiveInt(args, 'queue-ahead', 10_000_000) ?? 4000;
  const keepSeconds = (positiveInt(args, 'queue-keep-hours', 24 * 365) ?? 24) * 3600;
  const unreachableMs = (positiveInt(args, 'queue-timeout', 86400) ?? 60) * 1000;
  const sweepMs = positiveInt(args, 'queue-check-ms', 600_000) ?? 2000;
  // After every usage check: a file to read, not an argument to parse.
  const key = await readQueueKey(args, (secret) => new d.QueueKey(secret));
  const resultsArg = str(args, 'results');
  let resultsRef: readonly ['local', string] | readonly ['s3', string, string] | null = null;
  let results = null;
  if (resultsArg !== undefined) {
    if (isS3Url(resultsArg)) {
      const at = parseS3Folder(resultsArg);
      if (!at || at.prefix === '') throw new TrailproofError('argument', `Bad value for --results: ${resultsArg} (expected a folder, or s3://BUCKET/PREFIX)`);
      const prefix = at.prefix.slice(0, -1);
      resultsRef = ['s3', at.bucket, prefix];
      results = d.s3Results(await s.s3(), at.bucket, prefix);
    } else {
      resultsRef = ['local', resolve(resultsArg)];
      results = d.localResults(resolve(resultsArg));
    }
  }
  const keys = formatPublicKeysJson(s.entries);
  const config = {
    v: WIRE_VERSION as typeof WIRE_VERSION,
    bucket: s.bucket,
    store: s.root === undefined ? (['s3'] as const) : (['local', resolve(s.root)] as const),
    inventory: s.inventory ?? null,
    keys,
    end: s.end,
    results: resultsRef,
    inlineMax,
  };
  const params = createHash('sha256')
    .update(JSON.stringify({ ...config, prefix: s.prefix ?? null, start: s.start, filters: s.filters, segmentHours }))
    .digest('hex');
  const queue = await d.BullJobQueue.open({ target, key, results, keepSeconds, attempts: 3, sweepMs, unreachableMs });
  try {
    const { run, resumed } = await queue.startRun(params, config);
    s.err(`queue: ${resumed ? 'resuming unfinished' : 'started'} run ${run} on ${target.display}`);
    const coordinator = new d.Coordinator(queue, { run, segmentHours, ahead });
    return {
      remote: coordinator,
      close: async (finished) => {
        const st = coordinator.stats;
        s.err(`queue: run ${run}: ${st.segments} segments, ${st.reruns} walked again at a seam, ${st.wholeChains} chain(s) walked whole`);
        if (finished) {
          await queue.finishRun().catch(() => undefined);
          await results?.removeRun(run).catch(() => undefined);
        }
        await queue.close();
      },
    };
  } catch (err) {
    await queue.close();
    throw err;
  }
}

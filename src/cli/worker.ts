import { TrailproofError } from '../errors.js';
import { LocalStore } from '../store/local.js';
import type { ObjectStore } from '../store/types.js';
import { DIGEST_FOLDERS } from '../store/inventory-build.js';
import { openInventory } from '../store/inventory-open.js';
import type { InventoryStore } from '../store/inventory-store.js';
import type { StoreRef } from '../distributed/wire.js';
import type { LogWorkerPool } from '../store/workers/pool.js';
import { EXIT_STOPPED_LINE, EXIT_USAGE_LINE, parseArgs, positiveInt, str, type CommandSpec, type OptionSpec } from './args.js';
import { formatUsage } from './help.js';
import { QUEUE_KEY_OPTION, readQueueKey, withEnvPassword } from './queue-key.js';
import { configureZlib, defaultConcurrency, digestReadAhead, startLogWorkers } from './tuning.js';
import type { S3Side } from './validate-logs.js';

/**
 * `trailproof worker --queue redis://HOST:PORT/DB`: walks segments of distributed audits
 * (README "Distributed audit") until stopped (SIGINT/SIGTERM: the jobs in hand finish first).
 */
export const WORKER_OPTIONS: OptionSpec[] = [
  {
    name: 'queue',
    value: 'URL',
    required: true,
    description: 'the Redis of the coordinator (trailproof audit --queue; its password: TRAILPROOF_REDIS_PASSWORD, not the URL)',
  },
  { ...QUEUE_KEY_OPTION, required: true },
  { name: 'jobs-at-once', value: 'N', description: 'segments walked at once, 1 to 256', default: '4' },
  { name: 'concurrency', value: 'N', description: 'log files in flight per segment, 1 to 1024', default: '128 on a local root, 32 on S3' },
  {
    name: 'log-threads',
    value: 'N',
    description: 'threads hashing log files on a local root, 1 to 256; with several workers on one machine, its cores divided among them',
    default: 'one per core',
  },
  { name: 'lock-seconds', value: 'N', description: "a job's lock: a worker silent this long (killed, cut off) loses its job to another", default: '30' },
  { name: 'stalled-check-seconds', value: 'N', description: 'how often this worker looks for jobs whose worker died', default: '30' },
  { name: 'max-stalled', value: 'N', description: 'a job taken back this many times fails (a segment that kills its workers)', default: '3' },
  { name: 'log-jobs', flag: true, description: 'one line per job taken and done on stderr' },
  { name: 'profile', value: 'NAME', group: 'AWS options (archives and results on S3)', description: 'the shared config profile', default: 'AWS_PROFILE' },
  { name: 'region', value: 'REGION', description: 'the region of the S3 client', default: 'AWS_REGION, the profile' },
  { name: 'endpoint-url', value: 'URL', description: 'an S3-compatible server (path-style addressing)', default: 'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL' },
  { name: 'no-verify-ssl', flag: true, description: "do not check the server's TLS certificate" },
];

export const WORKER_COMMAND: CommandSpec = {
  name: 'worker',
  summary: 'Walks segments of distributed audits (audit --queue) from a Redis queue, until stopped.',
  options: WORKER_OPTIONS,
  exitCodes: [[0, 'stopped by SIGINT or SIGTERM'], EXIT_USAGE_LINE, EXIT_STOPPED_LINE],
  about:
    'A worker needs the queue URL and access to the archive: S3 credentials, or the local root the coordinator names, on a shared file system ' +
    '(with audit --inventory, the S3 Inventory report too, read once per run: its digest folders, in a temporary folder).',
};

export const WORKER_USAGE = formatUsage(WORKER_COMMAND);

export interface WorkerDeps {
  readonly openS3?: (args: Record<string, string | boolean | undefined>) => Promise<S3Side>;
  readonly err: (text: string) => void;
  /** Resolves when the worker must stop (the CLI: SIGINT or SIGTERM). */
  readonly stop: Promise<void>;
  /** The environment: TRAILPROOF_REDIS_PASSWORD (queue-key.ts); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export async function workerCommand(argv: readonly string[], deps: WorkerDeps): Promise<number> {
  configureZlib();
  const args = parseArgs(argv, WORKER_COMMAND);
  const d = await import('../distributed/index.js');
  const target = withEnvPassword(d.parseRedisUrl(str(args, 'queue')!), deps.env ?? process.env);
  const jobsAtOnce = positiveInt(args, 'jobs-at-once', 256) ?? 4;
  const concurrency = positiveInt(args, 'concurrency', 1024);
  const lockMs = (positiveInt(args, 'lock-seconds', 3600) ?? 30) * 1000;
  const stalledMs = (positiveInt(args, 'stalled-check-seconds', 3600) ?? 30) * 1000;
  const maxStalled = positiveInt(args, 'max-stalled', 100) ?? 3;
  const logThreads = positiveInt(args, 'log-threads', 256);
  // After every usage check: a file to read, not an argument to parse.
  const key = await readQueueKey(args, (secret) => new d.QueueKey(secret));
  let pool: LogWorkerPool | undefined;
  let s3: Promise<S3Side> | undefined;
  const openS3 = (): Promise<S3Side> => {
    if (!deps.openS3) return Promise.reject(new TrailproofError('argument', 'this build cannot read S3'));
    return (s3 ??= deps.openS3(args));
  };
  const locals = new Map<string, LocalStore>();
  const inventories = new Map<string, Promise<InventoryStore>>();
  const baseStore = async (store: StoreRef): Promise<ObjectStore> => {
    if (store[0] === 's3') return (await openS3()).store;
    let local = locals.get(store[1]);
    if (!local) {
      pool ??= startLogWorkers(logThreads);
      local = new LocalStore(store[1], { workers: pool });
      locals.set(store[1], local);
    }
    return local;
  };
  const worker = await d.startWorker({
    target,
    key,
    jobsAtOnce,
    concurrency: (store) => concurrency ?? Math.max(8, Math.floor(defaultConcurrency(store[0] === 'local') / jobsAtOnce)),
    readAhead: (store) => digestReadAhead(store[0] === 'local'),
    lockMs,
    stalledMs,
    maxStalled,
    openStore: async (store, inventory, bucket): Promise<ObjectStore> => {
      const base = await baseStore(store);
      if (!inventory) return base;
      // One pass over the report per run and worker (the run's jobs share it), keeping the digest
      // folders only (all a segment's walk lists); its files go when the worker stops.
      const id = JSON.stringify([store, inventory, bucket]);
      let opened = inventories.get(id);
      if (!opened) {
        opened = openInventory(inventory[0], base, bucket, { sha256: inventory[1], keep: DIGEST_FOLDERS }).then((o) => o.store);
        opened.catch(() => inventories.delete(id));
        inventories.set(id, opened);
      }
      return opened;
    },
    openResults: async (results) => (results[0] === 'local' ? d.localResults(results[1]) : d.s3Results((await openS3()).store, results[1], results[2])),
    log: args['log-jobs'] === true ? (line) => deps.err(`${line}\n`) : undefined,
    stop: deps.stop,
  });
  deps.err(`worker: taking segments from ${target.display}, ${jobsAtOnce} at once\n`);
  await deps.stop;
  await worker.close();
  for (const p of inventories.values()) await p.then((i) => i.close()).catch(() => undefined);
  await pool?.close();
  return 0;
}

import { TrailproofError } from '../errors.js';
import { parseTrailArn } from '../format/arn.js';
import { digestListPrefix } from '../format/names.js';
import { formatDisplay, MICROS_PER_HOUR, nowMicros, parseDate } from '../format/time.js';
import { checkRegion, KeyStore } from '../keys/keystore.js';
import { backfillRegion } from '../signer/backfill.js';
import { GuardedStore } from '../signer/guarded-store.js';
import { signRegion, type SignOptions, type SignResult } from '../signer/sign.js';
import { recordHead } from '../signer/witness.js';
import { prefixLogs } from '../signer/log-source.js';
import { openWitness } from './witness.js';
import { removeStaleTempFiles, removeTempFiles } from '../util/temp-files.js';
import type { LogWorkerPool } from '../store/workers/pool.js';
import { LocalStore } from '../store/local.js';
import type { ObjectStore } from '../store/types.js';
import { configureZlib, defaultConcurrency, startLogWorkers } from './tuning.js';
import { parseArgs, positiveInt, str, usageError } from './args.js';
import { acquireLock, describeHolder, releaseAllLocks } from '../util/lock.js';
import { OrderedPrinter } from './ordered-printer.js';
import { chainLock, hourOf, Interrupts, keyCreatedNotice, keyRotatedNotice, Progress, signCommandLine } from './sign-safety.js';
import { emptyHoursRefusal, expiringKeyWarnings, otherRegionsWarnings, strandedWarnings } from './sign-messages.js';
import { counted } from './plural.js';

import { SIGN_OPTIONS } from './sign-options.js';
import { keyBackends } from './key-backends.js';
import { readInputFile } from './files.js';
import { parsePublicKeysJson } from '../keys/public-keys.js';

export { SIGN_COMMAND, SIGN_OPTIONS, SIGN_USAGE } from './sign-options.js';

export interface SignDeps {
  readonly out?: (t: string) => void;
  readonly err?: (t: string) => void;
  readonly openS3?: (args: Record<string, string | boolean | undefined>) => Promise<{ store: ObjectStore }>;
  /** Whether stderr is a terminal (the progress line); default: process.stderr.isTTY. */
  readonly isTTY?: boolean;
  /** SIGINT/SIGTERM handling (tests give their own and trigger it). */
  readonly interrupts?: Interrupts;
}

/** More empty hours than this (7 days) are signed only with --until or --yes. */
export const MAX_EMPTY_HOURS = 168;
/** Temporary files older than this in a chain's digest folders are a crashed run's. */
const STALE_TEMP_MS = 60 * 60_000;

/** Jobs signing at once (see signCommand). */
const JOBS_AT_ONCE = 2;

function list(text: string | undefined, fallback: string, check: (v: string) => string): string[] {
  const items = (text ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw usageError('an empty list was given');
  return [...new Set(items.map(check))];
}

/** `--lock-wait SECONDS`: 0 refuses at once when another signer holds a lock. */
function lockWaitMs(text: string | undefined): number {
  if (text === undefined) return 300_000;
  if (!/^\d+$/.test(text) || Number(text) > 86_400) throw usageError('argument --lock-wait: expected a whole number of seconds from 0 to 86400');
  return Number(text) * 1000;
}

/** `trailproof sign`: hourly digests for every account and source region, chained and signed. */
export async function signCommand(argv: readonly string[], deps: SignDeps = {}): Promise<number> {
  configureZlib();
  const rawErr = deps.err ?? ((t: string) => process.stderr.write(t));
  const progress = new Progress(rawErr, deps.isTTY ?? (deps.err === undefined && process.stderr.isTTY === true));
  const out = (t: string): void => {
    progress.clear();
    (deps.out ?? ((x: string) => process.stdout.write(x)))(t);
  };
  const err = (t: string): void => {
    progress.clear();
    rawErr(t);
  };
  const args = parseArgs(argv, SIGN_OPTIONS);
  const arn = parseTrailArn(str(args, 'trail-arn')!);
  const regions = list(str(args, 'regions'), arn.region, checkRegion);
  const accounts = list(str(args, 'account-id'), arn.account, (a) => {
    if (!/^\d{12}$/.test(a)) throw new TrailproofError('argument', `Invalid account id: ${a}`);
    return a;
  });
  const now = str(args, 'now') ? parseDate(str(args, 'now')!).clock : nowMicros();
  const until = str(args, 'until') ? parseDate(str(args, 'until')!).clock : now;
  const startAt = str(args, 'start-time') ? parseDate(str(args, 'start-time')!).clock : undefined;
  if (args['new-chain'] === true && startAt === undefined) throw usageError('--new-chain needs --start-time (where the new chain starts)');
  if (args['new-chain'] === true && args.backfill === true) throw usageError('--new-chain and --backfill do not go together');
  const lookbackHours = positiveInt(args, 'lookback-hours', 24 * 366) ?? 24;
  const lookback = lookbackHours * MICROS_PER_HOUR;
  const concurrencyOption = positiveInt(args, 'concurrency', 1024);
  const orgId = str(args, 'organization-id');
  if (orgId !== undefined && !/^o-[a-z0-9]{10,32}$/.test(orgId)) throw new TrailproofError('argument', `Invalid organization id: ${orgId}`);
  const waitMs = lockWaitMs(str(args, 'lock-wait'));
  const bucket = str(args, 's3-bucket')!;
  const keysDir = str(args, 'keys-dir')!;
  const trustFile = str(args, 'trust-public-keys');
  const trusted = trustFile === undefined ? undefined : parsePublicKeysJson(await readInputFile(trustFile, 'trusted public keys'), trustFile);
  const command = (drop: string[], add: string[]): string => signCommandLine(argv, SIGN_OPTIONS, drop, add);
  const logsPrefix = str(args, 'logs-prefix');
  const dryRun = args['dry-run'] === true;
  if (logsPrefix !== undefined && (regions.length > 1 || accounts.length > 1)) {
    throw usageError('--logs-prefix signs one chain: give one account (--account-id) and one region (--regions)');
  }

  const interrupts = deps.interrupts ?? new Interrupts().install();
  let pool: LogWorkerPool | undefined;
  let guarded: GuardedStore | undefined;
  const keys = new KeyStore(keysDir, {
    lockWaitMs: waitMs,
    signal: interrupts.controller.signal,
    notify: (line) => err(`${line}\n`),
    backends: keyBackends(str(args, 'profile')),
    dryRun,
  });
  const printer = new OrderedPrinter(out, err);
  const root = str(args, 'local-root');

  const work = async (): Promise<number> => {
    let store: ObjectStore;
    if (root !== undefined) {
      pool = startLogWorkers();
      store = new LocalStore(root, { workers: pool });
    } else if (deps.openS3) store = (await deps.openS3(args)).store;
    else throw new TrailproofError('argument', 'Give --local-root ROOT: writing to S3 is not available in this build');
    guarded = new GuardedStore(store, (_bucket, key) => progress.tick(key), dryRun);
    const witnessText = str(args, 'witness');
    const witness = witnessText === undefined || dryRun ? undefined : await openWitness(witnessText, 'write', deps.openS3 && (() => deps.openS3!(args)));

    // Regions with logs that this run leaves unsigned (without --regions: all but the ARN's).
    if (logsPrefix === undefined) {
      const lines = await otherRegionsWarnings(
        store,
        bucket,
        accounts.map((account) => ({ prefix: str(args, 's3-prefix'), organizationId: orgId, account })),
        regions,
        str(args, 'regions') !== undefined,
        (all) => command(['regions'], ['--regions', all.join(',')]),
      );
      for (const line of lines) err(`${line}\n`);
    }

    // Jobs (account, region) run two at a time, so that one job's listing, chain reading and digest
    // writing overlap the other's hashing; what each prints comes out in job order all the same.
    const jobs = accounts.flatMap((account) => regions.map((region) => ({ account, region })));
    const runJob = async (index: number): Promise<SignResult> => {
      const { account, region } = jobs[index]!;
      const warn = (m: string): void => printer.write(index, 'err', `${m}\n`);
      const scope = { prefix: str(args, 's3-prefix'), organizationId: orgId, account, sourceRegion: region, homeRegion: arn.region, trailName: arn.name };
      // One signer per chain at a time, across processes (the key store's lock folder).
      const id = chainLock(root !== undefined ? { root } : { endpoint: str(args, 'endpoint-url') }, bucket, scope);
      // A dry run writes nothing: it takes no lock (and waits for none).
      const lock = dryRun
        ? { release: async () => undefined }
        : await acquireLock(keys.lockPath(id.name), {
            what: id.what,
            waitMs,
            signal: interrupts.controller.signal,
            onWait: (h) => err(`waiting for another signer (${describeHolder(h)}) to finish with ${id.what} (up to ${waitMs / 1000} s)...\n`),
          });
      try {
        if (root !== undefined && !dryRun) {
          const removed = await removeStaleTempFiles(root, bucket, digestListPrefix(scope), STALE_TEMP_MS);
          if (removed > 0) warn(`removed ${removed} temporary file(s) left by an interrupted run in s3://${bucket}/${digestListPrefix(scope)}/`);
        }
        return await signJob(index, scope, warn);
      } finally {
        await lock.release();
      }
    };
    const signJob = async (index: number, scope: SignOptions['scope'], warn: (m: string) => void): Promise<SignResult> => {
      const { account, sourceRegion: region } = scope;
      const options = {
        store: guarded!,
        keys,
        bucket,
        scope,
        until,
        lookback,
        newChainAt: args['new-chain'] === true ? startAt : undefined,
        logs: logsPrefix === undefined ? undefined : prefixLogs(guarded!, bucket, logsPrefix, digestListPrefix(scope)),
        startAt,
        trusted,
        concurrency: concurrencyOption ?? defaultConcurrency(store.kind === 'local'),
        now: () => now,
        warn,
        onKeyCreated: (k: Parameters<typeof keyCreatedNotice>[1], p: Parameters<typeof keyCreatedNotice>[2]) => warn(keyCreatedNotice(keysDir, k, p, dryRun)),
        onKeyRotated: (k: Parameters<typeof keyRotatedNotice>[0], p: string, start: number) => warn(keyRotatedNotice(k, p, start, dryRun)),
        // Years of empty hours are a mistake more often than a wish (sign without --until on an old archive).
        emptyHours:
          str(args, 'until') === undefined && args.yes !== true
            ? {
                max: MAX_EMPTY_HOURS,
                refuse: (empty: number, from: number, to: number) =>
                  emptyHoursRefusal(empty, from, to, account, region, MAX_EMPTY_HOURS, command(['yes'], ['--yes'])),
              }
            : undefined,
      };
      const r = args.backfill === true ? await backfillRegion({ ...options, from: startAt ?? Number.NEGATIVE_INFINITY }) : await signRegion(options);
      const what = args.backfill === true ? 'backfill digest' : 'digest';
      printer.write(
        index,
        'out',
        r.digests === 0
          ? `${account} ${region}: nothing to sign\n`
          : `${account} ${region}: ${dryRun ? 'would sign' : 'signed'} ${counted(r.digests, what)} (${counted(r.logFiles, 'log file')}) from ${formatDisplay(r.from!)} to ${formatDisplay(r.to!)}\n`,
      );
      const backfill = (oldest: number): string =>
        command(
          ['new-chain', 'start-time', 'backfill', 'account-id', 'regions'],
          ['--account-id', account, '--regions', region, '--backfill', '--start-time', formatDisplay(hourOf(oldest))],
        );
      if (r.takenAt !== undefined) {
        warn(
          `notice: another signer wrote s3://${bucket}/${r.takenAt} first: this run left the chain of ${account} ${region} to it from there ` +
            '(nothing was overwritten; re-running sign continues after its digests)',
        );
      }
      for (const line of strandedWarnings(r, account, region, lookbackHours, startAt, backfill)) warn(line);
      // The witness holds each chain's newest digest: deleting it from the archive is then visible.
      if (witness && args.backfill !== true && r.head) await recordHead(witness, r.head, nowMicros());
      return r;
    };
    // Two runners take jobs in order; a job not yet started when one fails never starts (every such
    // job comes after the failed one, so the results read in order below meet the failure first).
    const outcomes = jobs.map(() => {
      let settle!: { ok: (r: SignResult) => void; fail: (e: unknown) => void };
      const promise = new Promise<SignResult>((ok, fail) => (settle = { ok, fail }));
      promise.catch(() => undefined);
      return { promise, settle };
    });
    let nextJob = 0;
    let failed = false;
    const runner = async (): Promise<void> => {
      while (!failed && nextJob < jobs.length) {
        const index = nextJob++;
        try {
          outcomes[index]!.settle.ok(await runJob(index));
        } catch (e) {
          failed = true;
          outcomes[index]!.settle.fail(e);
        } finally {
          printer.done(index);
        }
      }
    };
    const runners = Array.from({ length: Math.min(JOBS_AT_ONCE, jobs.length) }, runner);
    const results: SignResult[] = [];
    try {
      for (const { promise } of outcomes) results.push(await promise);
    } finally {
      await Promise.all(runners);
    }
    await pool?.close();
    await keys.close();
    // Registered keys are not rotated by the signer: say a week ahead that one needs a successor.
    for (const line of await expiringKeyWarnings(keys, regions, until, 7 * 24 * MICROS_PER_HOUR)) err(`${line}\n`);
    progress.clear();
    return results.some((r) => r.skipped > 0) ? 1 : 0;
  };

  try {
    const running = work();
    running.catch(() => undefined);
    let code: number;
    try {
      code = await Promise.race([running, interrupts.fired.then((c) => -c)]);
    } catch (e) {
      if (interrupts.signalName === undefined) throw e;
      code = -(await interrupts.fired);
    }
    if (code >= 0 && interrupts.signalName === undefined) return code;
    // Interrupted: no new write; those under way end whole; then this run's temporary files go.
    const exit = await interrupts.fired;
    await guarded?.stop(10_000);
    await Promise.race([keys.idle(), new Promise((r) => setTimeout(r, 10_000).unref())]);
    if (root !== undefined && guarded) {
      for (const [b, folders] of guarded.folders) await removeTempFiles(root, b, folders);
    }
    await releaseAllLocks();
    printer.flushAll();
    await pool?.close();
    err(`interrupted: ${guarded?.written ?? 0} digests written; re-running sign resumes the chain\n`);
    return exit;
  } finally {
    if (deps.interrupts === undefined) interrupts.uninstall();
  }
}

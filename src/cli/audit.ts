import { AuditJsonReport, AuditTextReport } from '../audit/reports.js';
import { runAudit } from '../audit/run.js';
import { witnessFindings } from '../audit/witness-findings.js';
import { openWitness } from './witness.js';
import { witnessedChains } from '../verifier/witness-check.js';
import { TrailproofError } from '../errors.js';
import { parseTrailArn } from '../format/arn.js';
import { nowMicros, parseDate } from '../format/time.js';
import { entriesSource } from '../keys/source.js';
import { parsePublicKeysJson, type PublicKeyEntry } from '../keys/public-keys.js';
import type { PublicKeySource } from '../keys/types.js';
import { LocalStore } from '../store/local.js';
import type { ObjectStore } from '../store/types.js';
import type { LogWorkerPool } from '../store/workers/pool.js';
import { createOutput, type Output } from '../verifier/output.js';
import { EXIT_STOPPED_LINE, EXIT_USAGE_LINE, parseArgs, positiveInt, str, usageError, type CommandSpec, type OptionSpec } from './args.js';
import { QUEUE_OPTIONS, startQueue } from './audit-queue.js';
import { openAuditInventory } from './audit-inventory.js';
import { loadState, saveState, stateLocation } from './audit-state.js';
import { readInputFile } from './files.js';
import { formatUsage } from './help.js';
import { ENDED_LOOKBACK_DAYS } from '../audit/discovery-window.js';
import { keyStorePublicEntries } from './key-store-dir.js';
import { configureZlib, defaultConcurrency, digestReadAhead, startLogWorkers } from './tuning.js';
import { openReportFiles, REPORT_OPTIONS, reportOutput, withReports } from './report-files.js';
import type { S3Side } from './validate-logs.js';
import { isRegionName } from '../format/region.js';

export const AUDIT_OPTIONS: OptionSpec[] = [
  { name: 's3-bucket', value: 'BUCKET', required: true, description: 'the trail bucket to audit: every chain (account, region, trail) found in it' },
  { name: 's3-prefix', value: 'PREFIX', description: 'only chains under PREFIX/AWSLogs/', default: 'every prefix found' },
  { name: 'start-time', value: 'TIME', required: true, description: 'start of the window, read like validate-logs' },
  { name: 'end-time', value: 'TIME', description: 'end of the window', default: 'now' },
  { name: 'accounts', value: 'A1,A2', repeat: true, description: 'only these accounts (repeatable); each must have digests', default: 'all found' },
  { name: 'regions', value: 'R1,R2', repeat: true, description: 'only these source regions (repeatable)', default: 'all found' },
  { name: 'trail-arn', value: 'ARN', repeat: true, description: 'only this trail (repeatable); each must have digests', default: 'all found' },
  { name: 'local-root', value: 'DIR', description: 'read DIR/<bucket>/<key> (and .metadata.json sidecars) instead of S3' },
  {
    name: 'inventory',
    value: 'FILE|s3://B/KEY',
    description:
      'the bucket\'s keys from this S3 Inventory report (manifest.json, CSV) instead of LIST; s3://: the report is read through the store, a FILE: its data files from the manifest\'s folder (README "Listing at scale")',
  },
  { name: 'public-keys', value: 'FILE', orNext: true, description: 'the JSON of aws cloudtrail list-public-keys', default: 'CloudTrail ListPublicKeys' },
  { name: 'keys-dir', value: 'DIR', description: 'the public half of a trailproof key store, instead of --public-keys' },
  {
    name: 'state',
    value: 'FILE|s3://BUCKET/KEY',
    description:
      'kept state for scheduled runs, a file or an S3 object: each chain starts after the digest the last clean run verified, which must still be there and be linked to (history-rewritten); written whole when the run completes',
  },
  {
    name: 'witness',
    value: 'DIR|s3://B/P',
    description: 'what sign --witness recorded: a chain whose newest witnessed digest is gone or changed is chain-stops, severity error',
  },
  { name: 'output', value: 'text|json', description: 'text: a line per chain, its findings, totals; json: one object per line (README)', default: 'text' },
  { name: 'verbose', flag: true, description: "also every digest and log verdict (validate-logs' records)" },
  ...REPORT_OPTIONS,
  { name: 'fail-on', value: 'error|warning|never', description: 'which findings make the exit code 1', default: 'error' },
  { name: 'concurrency', value: 'N', description: 'log files in flight per chain, 1 to 1024', default: '512 on a local root, 128 on S3' },
  { name: 'chains-at-once', value: 'N', description: 'chains walked at once, 1 to 64', default: '4' },
  {
    name: 'profile',
    value: 'NAME',
    group: 'AWS options (S3 access)',
    description: 'the shared config profile',
    default: 'AWS_PROFILE, else the default chain',
  },
  { name: 'region', value: 'REGION', description: 'the region of the S3 and CloudTrail clients', default: 'AWS_REGION, the profile' },
  { name: 'endpoint-url', value: 'URL', description: 'an S3-compatible server (path-style addressing)', default: 'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL' },
  { name: 'no-verify-ssl', flag: true, description: "do not check the server's TLS certificate" },
  ...QUEUE_OPTIONS,
];

export const AUDIT_COMMAND: CommandSpec = {
  name: 'audit',
  summary: 'Audits a whole trail bucket: every chain validated like validate-logs, plus the findings the AWS CLI misses.',
  options: AUDIT_OPTIONS,
  exitCodes: [[0, 'no finding at or above --fail-on'], [1, 'findings at or above --fail-on (default: any error)'], EXIT_USAGE_LINE, EXIT_STOPPED_LINE],
  about:
    `Findings (code, severity): README "trailproof audit". Only the window's days are listed, digests also ${ENDED_LOOKBACK_DAYS} days before it ` +
    '(a chain ended earlier is not reported; --state remembers). A progress line goes to stderr when it is a terminal.',
};

export const AUDIT_USAGE = formatUsage(AUDIT_COMMAND);

export interface AuditDeps {
  readonly output?: Output;
  readonly openS3?: (args: Record<string, string | boolean | undefined>) => Promise<S3Side>;
  /** Progress lines (the CLI gives stderr when it is a terminal). */
  readonly progress?: ((text: string) => void) | undefined;
  /** The environment (GITHUB_ACTIONS, GITHUB_STEP_SUMMARY); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

function list(text: string | undefined, check: (v: string) => string): string[] | undefined {
  if (text === undefined) return undefined;
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw usageError('an empty list was given');
  return [...new Set(items.map(check))];
}

/** `trailproof audit`. Resolves with the exit code. */
export async function auditCommand(argv: readonly string[], deps: AuditDeps = {}): Promise<number> {
  configureZlib();
  const args = parseArgs(argv, AUDIT_COMMAND);
  const outputMode = str(args, 'output') ?? 'text';
  if (outputMode !== 'text' && outputMode !== 'json') throw usageError(`argument --output: invalid choice '${outputMode}' (choose text or json)`);
  const failOn = str(args, 'fail-on') ?? 'error';
  if (failOn !== 'error' && failOn !== 'warning' && failOn !== 'never')
    throw usageError(`argument --fail-on: invalid choice '${failOn}' (choose error, warning or never)`);
  const start = parseDate(str(args, 'start-time')!).clock;
  const end = str(args, 'end-time') ? parseDate(str(args, 'end-time')!).clock : nowMicros();
  if (start > end) throw new TrailproofError('argument', 'Invalid time range specified: start-time must occur before end-time');
  const accounts = list(str(args, 'accounts'), (a) => {
    if (!/^\d{12}$/.test(a)) throw new TrailproofError('argument', `Invalid account id: ${a}`);
    return a;
  });
  const regions = list(str(args, 'regions'), (r) => {
    if (!isRegionName(r)) throw new TrailproofError('argument', `Invalid region: ${r}`);
    return r;
  });
  const trails = list(str(args, 'trail-arn'), (a) => a)?.map((a) => parseTrailArn(a));
  const concurrency = positiveInt(args, 'concurrency', 1024);
  const chainsAtOnce = positiveInt(args, 'chains-at-once', 64) ?? 4;

  const root = str(args, 'local-root');
  let store: ObjectStore;
  let keys: PublicKeySource | undefined;
  let pool: LogWorkerPool | undefined;
  if (root !== undefined) {
    pool = startLogWorkers();
    store = new LocalStore(root, { workers: pool });
  } else if (deps.openS3) {
    ({ store, keys } = await deps.openS3(args));
  } else throw new TrailproofError('argument', 'Give --local-root DIR: S3 is not available in this build');
  const keysFile = str(args, 'public-keys');
  const keysDir = str(args, 'keys-dir');
  if (keysFile !== undefined && keysDir !== undefined) throw usageError('give --public-keys or --keys-dir, not both');
  let entries: PublicKeyEntry[] | undefined;
  if (keysFile !== undefined) entries = parsePublicKeysJson(await readInputFile(keysFile, 'public keys file'), keysFile);
  if (keysDir !== undefined) entries = await keyStorePublicEntries(keysDir);
  if (entries) keys = entriesSource(entries);
  if (!keys) throw new TrailproofError('argument', 'Give --public-keys FILE (the output of aws cloudtrail list-public-keys) or --keys-dir DIR');

  const raw = deps.output ?? createOutput();
  // Under GitHub Actions no report line can be a workflow command; the annotations are written raw.
  const output = reportOutput(raw, deps.env ?? process.env);
  const witnessText = str(args, 'witness');
  const witness = witnessText === undefined ? undefined : await openWitness(witnessText, 'read', deps.openS3 && (() => deps.openS3!(args)));
  const stateAt = str(args, 'state') === undefined ? undefined : stateLocation(str(args, 'state')!);
  // The state's S3 object goes through the archive's store when that is S3, else a store of its own.
  let stateStore: Promise<ObjectStore> | undefined;
  const s3ForState = (): Promise<ObjectStore> => {
    if (root === undefined) return Promise.resolve(store);
    if (!deps.openS3) return Promise.reject(new TrailproofError('argument', '--state s3://...: S3 is not available in this build'));
    return (stateStore ??= deps.openS3(args).then((side) => side.store));
  };
  const state = stateAt === undefined ? undefined : await loadState(stateAt, str(args, 's3-bucket')!, s3ForState, (line) => output.err(`${line}\n`));

  const inventoryAt = str(args, 'inventory');
  const inventory = inventoryAt === undefined ? undefined : await openAuditInventory(inventoryAt, store, str(args, 's3-bucket')!, end, (t) => output.err(t));
  if (inventory) store = inventory.store;
  const filters = { accounts, regions, trails: trails?.map((t) => ({ account: t.account, region: t.region, name: t.name })) };
  const queue =
    str(args, 'queue') === undefined
      ? undefined
      : await startQueue(args, {
          bucket: str(args, 's3-bucket')!,
          prefix: str(args, 's3-prefix'),
          root,
          entries,
          start,
          end,
          filters,
          inventory: inventory && [inventory.location, inventory.sha256],
          s3: s3ForState,
          err: (line) => output.err(`${line}\n`),
          env: deps.env ?? process.env,
        }).catch(async (err: unknown) => {
          await inventory?.store.close();
          throw err;
        });
  const verbose = args.verbose === true;
  const bucket = str(args, 's3-bucket')!;
  const reports = openReportFiles(args, {
    command: 'audit',
    argv,
    failOn,
    annotate: (t) => raw.err(t),
    env: deps.env ?? process.env,
    subject: `s3://${bucket}${str(args, 's3-prefix') ? `/${str(args, 's3-prefix')}` : ''}`,
  });
  const sink = withReports(outputMode === 'json' ? new AuditJsonReport(output, verbose) : new AuditTextReport(output, verbose), reports);
  const progress = deps.progress;
  const began = Date.now();
  let done = false;
  try {
    const summary = await runAudit(
      {
        store,
        bucket: str(args, 's3-bucket')!,
        prefix: str(args, 's3-prefix'),
        keys,
        start,
        end,
        filters,
        failOn,
        concurrency: Math.max(1, Math.floor((concurrency ?? defaultConcurrency(root !== undefined)) / chainsAtOnce)),
        chainsAtOnce,
        readAhead: digestReadAhead(root !== undefined),
        verbose,
        records: reports.records,
        state,
        witness: witness && witnessFindings(store, str(args, 's3-bucket')!, witness, start, end),
        witnessedChains: witness && (() => witnessedChains(witness, str(args, 's3-bucket')!, str(args, 's3-prefix'), start, end)),
        onProgress: progress && ((done, total, files) => progress(progressLine(done, total, files, Date.now() - began))),
        remote: queue?.remote,
      },
      sink,
    );
    // Only a run that went to the end moves the state on; a stopped one leaves it as it was. Saved
    // before the report files are closed: a state that cannot be written stops the run (255), and
    // no report may then say it passed.
    if (summary.fatal === null && stateAt !== undefined && state) await saveState(stateAt, str(args, 's3-bucket')!, state, s3ForState);
    reports.close();
    done = true;
    // A stopped run: its one-line reason on stderr too, as every command says it.
    if (summary.fatal !== null) output.err(`\n${summary.fatal}\n`);
    return summary.exitCode;
  } finally {
    if (!done) reports.abort();
    await queue?.close(done);
    await inventory?.store.close();
    await pool?.close();
    await output.flush();
  }
}

/** `12/200 chains, 3,400 files/s, ETA 1m05s` (a terminal line rewritten in place). */
export function progressLine(done: number, total: number, files: number, ms: number): string {
  const seconds = Math.max(ms / 1000, 0.001);
  const eta = Math.round((seconds / done) * (total - done));
  const etaText = eta >= 60 ? `${Math.floor(eta / 60)}m${String(eta % 60).padStart(2, '0')}s` : `${eta}s`;
  return `\r${done}/${total} chains, ${Math.round(files / seconds).toLocaleString('en-US')} files/s, ETA ${etaText}${done === total ? '\n' : ''}`;
}

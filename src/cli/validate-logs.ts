import { readdir } from 'node:fs/promises';
import { EXIT_FATAL, EXIT_INVALID, TrailproofError } from '../errors.js';
import { checkWitness } from '../verifier/witness-check.js';
import { openWitness, witnessLine } from './witness.js';
import { parseTrailArn } from '../format/arn.js';
import { findTrail, type TrailInfo } from '../format/trails.js';
import { nowMicros, parseDate } from '../format/time.js';
import { parsePublicKeysJson } from '../keys/public-keys.js';
import { entriesSource } from '../keys/source.js';
import { LocalStore } from '../store/local.js';
import { describeFsError } from '../util/errno.js';
import { configureZlib, defaultConcurrency, digestReadAhead, startLogWorkers } from './tuning.js';
import type { ObjectStore } from '../store/types.js';
import { createOutput, type Output } from '../verifier/output.js';
import { JsonReport } from '../verifier/report-json.js';
import { TextReport } from '../verifier/report-text.js';
import type { PublicKeySource } from '../keys/types.js';
import { runValidation } from '../verifier/validate.js';
import type { LogWorkerPool } from '../store/workers/pool.js';
import { chainRef } from '../audit/types.js';
import { TeeSink } from '../report/output.js';
import { teeReportSink, ValidationReports } from '../report/validation.js';
import type { ReportSink, RunSummary } from '../verifier/types.js';
import { openReportFiles, REPORT_OPTIONS, reportOutput } from './report-files.js';
import { EXIT_PIPE_LINE, EXIT_STOPPED_LINE, EXIT_USAGE_LINE, parseArgs, positiveInt, str, usageError, type CommandSpec, type OptionSpec } from './args.js';
import { formatUsage } from './help.js';
import { readInputFile } from './files.js';
import { keyStorePublicEntries } from './key-store-dir.js';

export const VALIDATE_OPTIONS: OptionSpec[] = [
  { name: 'trail-arn', value: 'ARN', required: true, description: 'the trail: arn:<partition>:cloudtrail:<region>:<12 digits>:trail/<name>' },
  {
    name: 'start-time',
    value: 'TIME',
    required: true,
    description: 'start of the window, read like the AWS CLI (2024-05-01T00:00:00Z, 2024-05-01, 20240501T000000Z, ...)',
  },
  { name: 'end-time', value: 'TIME', description: 'end of the window', default: 'now' },
  { name: 's3-bucket', value: 'BUCKET', description: 'the bucket that holds the digests', default: "the trail's, from --trails or DescribeTrails" },
  { name: 's3-prefix', value: 'PREFIX', description: 'the key prefix of the digests (ignored without --s3-bucket)', default: 'none' },
  { name: 'account-id', value: 'ID', description: 'the account whose digests are read (organization trails: the member account)', default: "the ARN's" },
  {
    name: 'region',
    value: 'REGION',
    description: 'the source region: which CloudTrail-Digest/<region>/ folder is read',
    default: "the ARN's; on S3, the AWS CLI region",
  },
  { name: 'verbose', flag: true, description: 'also print the valid lines' },
  { name: 'local-root', value: 'DIR', group: "trailproof's own options", description: 'read DIR/<bucket>/<key> (and .metadata.json sidecars) instead of S3' },
  {
    name: 'public-keys',
    value: 'FILE',
    orNext: true,
    description: 'the JSON of aws cloudtrail list-public-keys, checked entry by entry',
    default: 'CloudTrail ListPublicKeys',
  },
  { name: 'keys-dir', value: 'DIR', description: 'the public half of a trailproof key store, instead of --public-keys' },
  { name: 'trails', value: 'FILE', description: 'the JSON of aws cloudtrail describe-trails, instead of DescribeTrails' },
  { name: 'organization-id', value: 'ID', description: "an organization trail's id, instead of DescribeOrganization" },
  { name: 'output', value: 'text|json', description: "text is the AWS CLI's report; json is one object per line, then a summary or an error", default: 'text' },
  ...REPORT_OPTIONS,
  {
    name: 'witness',
    value: 'DIR|s3://B/P',
    description: "check the chain's newest digest against what sign --witness recorded: one more line on stderr; exit 1 when it was deleted or changed",
  },
  {
    name: 'concurrency',
    value: 'N',
    description: 'log files in flight, 1 to 1024; the report is the same for any N',
    default: '512 on a local root, 128 on S3',
  },
  {
    name: 'profile',
    value: 'NAME',
    group: 'AWS CLI global options (S3 access)',
    description: 'the shared config profile for S3 and CloudTrail',
    default: 'AWS_PROFILE, else the default chain',
  },
  { name: 'endpoint-url', value: 'URL', description: 'an S3-compatible server (path-style addressing)', default: 'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL' },
  { name: 'no-verify-ssl', flag: true, description: "do not check the server's TLS certificate" },
  { name: 'debug', flag: true, description: 'accepted for compatibility with the AWS CLI; no effect' },
  { name: 'color', value: 'on|off|auto', description: 'accepted for compatibility with the AWS CLI; no effect' },
];

export const VALIDATE_COMMAND: CommandSpec = {
  name: 'validate-logs',
  summary: 'Checks a trail like `aws cloudtrail validate-logs` (same options, same report, byte for byte), on S3 or a local copy.',
  options: VALIDATE_OPTIONS,
  exitCodes: [
    [0, 'every digest and log file in the window is valid (gaps do not count)'],
    [1, 'something is INVALID'],
    EXIT_USAGE_LINE,
    EXIT_STOPPED_LINE,
    EXIT_PIPE_LINE,
  ],
  about:
    'With --output json, a run that stops (exit 255, or a usage error: exit 2) ends stdout with\n' +
    '{"kind":"error","message":...,"exitCode":N}; stderr is the same as with text output.',
  awsErrors: true,
};

export const VALIDATE_USAGE = formatUsage(VALIDATE_COMMAND);

/** What the AWS CLI asks CloudTrail when it is not told where the digests are (DescribeTrails, Organizations). */
export interface TrailLookup {
  describeTrail(arn: string): Promise<TrailInfo>;
  organizationId(): Promise<string>;
}

export interface S3Side {
  readonly store: ObjectStore;
  readonly keys?: PublicKeySource;
  readonly trails?: TrailLookup;
  /** The CLI's region (--region, AWS_REGION, the profile's): the AWS CLI's source region. */
  readonly region?: string;
}

export interface ValidateDeps {
  readonly output?: Output;
  /** Opens the S3 side when there is no --local-root (set up by the S3 module, src/cli/aws.ts). */
  readonly openS3?: (args: Record<string, string | boolean | undefined>) => Promise<S3Side>;
  /** The environment (GITHUB_ACTIONS, GITHUB_STEP_SUMMARY); default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** `trailproof validate-logs`: the AWS CLI's command, same options, same report. Resolves with the exit code. */
export async function validateLogsCommand(argv: readonly string[], deps: ValidateDeps = {}): Promise<number> {
  configureZlib();
  const args = parseArgs(argv, VALIDATE_COMMAND);
  const outputMode = str(args, 'output') ?? 'text';
  if (!['text', 'json', 'table', 'yaml', 'yaml-stream'].includes(outputMode)) {
    throw usageError(`argument --output: Invalid choice '${outputMode}', valid choices are: text, json`);
  }
  const concurrency = positiveInt(args, 'concurrency', 1024);

  // The reference's order: the times, the range, then the ARN, then where the digests are.
  const start = parseDate(str(args, 'start-time')!).clock;
  const endText = str(args, 'end-time');
  const end = endText !== undefined && endText !== '' ? parseDate(endText).clock : nowMicros();
  if (start > end) throw new TrailproofError('argument', 'Invalid time range specified: start-time must occur before end-time');
  const arn = parseTrailArn(str(args, 'trail-arn')!);

  const localRoot = str(args, 'local-root');
  // Without a local root, S3 and CloudTrail: opened first (no request yet), DescribeTrails may be needed.
  let s3: S3Side | undefined;
  if (localRoot === undefined) {
    if (!deps.openS3) throw new TrailproofError('argument', 'Give --local-root DIR: reading S3 is not available in this build');
    s3 = await deps.openS3(args);
  }
  let bucket = str(args, 's3-bucket');
  let prefix = bucket !== undefined ? str(args, 's3-prefix') : undefined;
  let organizationId = str(args, 'organization-id');
  const account = str(args, 'account-id') || arn.account;
  if (bucket === undefined) {
    const trailsFile = str(args, 'trails');
    let trail: TrailInfo | undefined;
    if (trailsFile !== undefined) trail = findTrail(await readInputFile(trailsFile, 'trails file'), arn.arn, trailsFile);
    else if (s3?.trails) trail = await s3.trails.describeTrail(arn.arn);
    if (trail) {
      bucket = trail.bucket;
      prefix = trail.prefix;
      if (trail.isOrganizationTrail) {
        if (!str(args, 'account-id')) throw new TrailproofError('argument', "Missing required parameter for organization trail: '--account-id'");
        if (!organizationId) {
          if (!s3?.trails) throw new TrailproofError('argument', 'This is an organization trail: give its organization id with --organization-id');
          organizationId = await s3.trails.organizationId();
        }
      }
    } else if (localRoot !== undefined) {
      bucket = await singleBucket(localRoot);
      prefix = undefined;
    } else {
      throw new TrailproofError('argument', 'Give --s3-bucket, or --trails FILE (the output of aws cloudtrail describe-trails)');
    }
  }

  let store: ObjectStore;
  let keys: PublicKeySource | undefined;
  let pool: LogWorkerPool | undefined;
  let local: LocalStore | undefined;
  if (localRoot !== undefined) {
    pool = startLogWorkers();
    local = new LocalStore(localRoot, { workers: pool });
    store = local;
  } else {
    ({ store, keys } = s3!);
  }
  const keysFile = str(args, 'public-keys');
  if (keysFile !== undefined) {
    keys = entriesSource(parsePublicKeysJson(await readInputFile(keysFile, 'public keys file'), keysFile));
  }
  const keysDir = str(args, 'keys-dir');
  if (keysDir !== undefined) {
    if (keysFile !== undefined) throw usageError('give --public-keys or --keys-dir, not both');
    keys = entriesSource(await keyStorePublicEntries(keysDir));
  }
  if (!keys) throw new TrailproofError('argument', 'Give --public-keys FILE (the output of aws cloudtrail list-public-keys)');

  const witnessText = str(args, 'witness');
  const witness =
    witnessText === undefined ? undefined : await openWitness(witnessText, 'read', s3 ? async () => s3! : deps.openS3 && (() => deps.openS3!(args)));
  const raw = deps.output ?? createOutput();
  // Under GitHub Actions no report line can be a workflow command; the annotations are written raw.
  const output = reportOutput(raw, deps.env ?? process.env);
  const report = outputMode === 'json' ? new JsonReport(output, arn.arn) : new TextReport(output, args.verbose === true, arn.arn);
  const scope = { prefix, organizationId, account, sourceRegion: str(args, 'region') || s3?.region || arn.region, homeRegion: arn.region, trailName: arn.name };
  // The report files and GitHub's annotations: never on stdout (README "Reports").
  const files = openReportFiles(args, {
    command: 'validate-logs',
    argv,
    failOn: 'error',
    annotate: (t) => raw.err(t),
    env: deps.env ?? process.env,
    subject: arn.arn,
  });
  const extra = files.sinks.length > 0 ? new ValidationReports(new TeeSink(files.sinks), chainRef(scope), bucket, prefix) : undefined;
  // The witness is read before the run, so that a deleted or changed newest digest is in the report's
  // own exit code too (the JSON summary, the report files); its line still comes after the report.
  let witnessResult: Awaited<ReturnType<typeof checkWitness>> | undefined;
  if (witness) {
    try {
      witnessResult = await checkWitness(store, witness, bucket, scope, start, end);
    } catch (err) {
      // Fail closed before any report is written: no report file (JUnit, HTML, step summary, JSON
      // summary) may say that a run which stops (exit 255) passed.
      files.abort();
      await pool?.close();
      throw err;
    }
  }
  const witnessFails = witnessResult?.kind === 'chain-stops';
  const sink = extra ? teeReportSink(report, extra) : report;
  let summary: RunSummary;
  try {
    summary = await runValidation(
      {
        store,
        keys,
        scope,
        bucket,
        start,
        end,
        concurrency: concurrency ?? defaultConcurrency(local !== undefined),
        readAhead: digestReadAhead(local !== undefined),
        onChainEvent: extra?.onChainEvent,
      },
      witnessFails ? failingSummary(sink) : sink,
    );
    if (witnessFails && summary.exitCode === 0) summary = { ...summary, exitCode: EXIT_INVALID };
    extra?.finish(summary);
    files.close();
  } catch (err) {
    files.abort();
    throw err;
  }
  await pool?.close();
  if (local && local.withoutSidecar > 0 && local.withSidecar === 0) {
    // Not one digest had a sidecar: the mark of a copy made with `aws s3 sync`, not of tampering
    // (a single deleted sidecar gets no hint). After the report, whose lines are unchanged.
    output.err(
      `hint: ${local.withoutSidecar} digest file(s) under ${localRoot} have no metadata sidecar (<key>.metadata.json), so their signatures cannot be checked. ` +
        'A copy made with `aws s3 sync` keeps no S3 metadata: run `trailproof export-signatures` with the same options first (README: "Validating a real CloudTrail archive").\n',
    );
  }
  const exitCode = summary.exitCode;
  if (witness && exitCode !== EXIT_FATAL) {
    // After the report, which is unchanged: one line; a deleted or changed newest digest is INVALID.
    output.err(witnessLine(witnessResult!));
  }
  await output.flush();
  return exitCode;
}

/** The sink with a run's exit code at least 1 in its summary (the witness found the chain's head gone). */
function failingSummary(sink: ReportSink): ReportSink {
  return {
    header: (start, end) => sink.header(start, end),
    event: (e) => sink.event(e),
    summary: (s) => sink.summary(s.exitCode === 0 ? { ...s, exitCode: EXIT_INVALID } : s),
  };
}

/** Behaviour §7: with neither --s3-bucket nor --trails, a root holding exactly one bucket folder. */
async function singleBucket(root: string): Promise<string> {
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    throw new TrailproofError('input', `Cannot read --local-root ${root}: ${describeFsError(err)}`);
  }
  if (names.length === 1) return names[0]!;
  throw new TrailproofError(
    'argument',
    names.length === 0
      ? `No bucket folder in --local-root ${root}: give --s3-bucket`
      : `--local-root ${root} holds several bucket folders (${names.sort().join(', ')}): give --s3-bucket`,
  );
}

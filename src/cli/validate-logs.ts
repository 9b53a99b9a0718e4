import { readdir } from 'node:fs/promises';
import { TrailproofError } from '../errors.js';
import { parseTrailArn } from '../format/arn.js';
import { findTrail, type TrailInfo } from '../format/trails.js';
import { nowMicros, parseDate } from '../format/time.js';
import { parsePublicKeysJson } from '../keys/public-keys.js';
import { entriesSource } from '../keys/source.js';
import { KeyStore } from '../keys/keystore.js';
import { LocalStore } from '../store/local.js';
import { describeFsError } from '../util/errno.js';
import type { ObjectStore } from '../store/types.js';
import { createOutput, type Output } from '../verifier/output.js';
import { JsonReport } from '../verifier/report-json.js';
import { TextReport } from '../verifier/report-text.js';
import type { PublicKeySource } from '../verifier/types.js';
import { runValidation } from '../verifier/validate.js';
import { createWorkerLogChecker, type LogChecker } from '../verifier/log-check.js';
import { LogWorkerPool } from '../verifier/worker-pool.js';
import { parseArgs, positiveInt, str, usageError, type OptionSpec } from './args.js';
import { readInputFile } from './files.js';

export const VALIDATE_OPTIONS: OptionSpec[] = [
  { name: 'trail-arn', required: true },
  { name: 'start-time', required: true },
  { name: 'end-time' },
  { name: 's3-bucket' },
  { name: 's3-prefix' },
  { name: 'account-id' },
  { name: 'verbose', flag: true },
  { name: 'region' },
  // trailproof's own
  { name: 'local-root' },
  { name: 'public-keys' },
  { name: 'keys-dir' },
  { name: 'trails' },
  { name: 'organization-id' },
  { name: 'output' },
  { name: 'concurrency' },
  // AWS CLI global options accepted for compatibility (S3 access)
  { name: 'profile' },
  { name: 'endpoint-url' },
  { name: 'no-verify-ssl', flag: true },
  { name: 'debug', flag: true },
  { name: 'color' },
];

export const VALIDATE_USAGE = `usage: trailproof validate-logs --trail-arn ARN --start-time TIME [--end-time TIME]
         [--s3-bucket BUCKET] [--s3-prefix PREFIX] [--account-id ID] [--region REGION] [--verbose]
         [--local-root DIR] [--public-keys FILE | --keys-dir DIR] [--trails FILE]
         [--organization-id ID] [--output text|json] [--concurrency N]`;

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
}

/** `trailproof validate-logs`: the AWS CLI's command, same options, same report. Resolves with the exit code. */
export async function validateLogsCommand(argv: readonly string[], deps: ValidateDeps = {}): Promise<number> {
  const args = parseArgs(argv, VALIDATE_OPTIONS);
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
  let logChecker: LogChecker | undefined;
  let local: LocalStore | undefined;
  if (localRoot !== undefined) {
    local = new LocalStore(localRoot);
    store = local;
    pool = new LogWorkerPool();
    pool.start();
    logChecker = createWorkerLogChecker(local, pool);
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
    keys = entriesSource(await new KeyStore(keysDir).publicEntries());
  }
  if (!keys) throw new TrailproofError('argument', 'Give --public-keys FILE (the output of aws cloudtrail list-public-keys)');

  const output = deps.output ?? createOutput();
  const sink = outputMode === 'json' ? new JsonReport(output, arn.arn) : new TextReport(output, args.verbose === true, arn.arn);
  const summary = await runValidation(
    {
      store,
      keys,
      scope: {
        prefix,
        organizationId,
        account,
        sourceRegion: str(args, 'region') || s3?.region || arn.region,
        homeRegion: arn.region,
        trailName: arn.name,
      },
      bucket,
      start,
      end,
      concurrency,
      logChecker,
    },
    sink,
  );
  await pool?.close();
  if (local && local.withoutSidecar > 0 && local.withSidecar === 0) {
    // Not one digest had a sidecar: the mark of a copy made with `aws s3 sync`, not of tampering
    // (a single deleted sidecar gets no hint). After the report, whose lines are unchanged.
    output.err(
      `hint: ${local.withoutSidecar} digest file(s) under ${localRoot} have no metadata sidecar (<key>.metadata.json), so their signatures cannot be checked. ` +
        'A copy made with `aws s3 sync` keeps no S3 metadata: run `trailproof export-signatures` with the same options first (README: "Validating a real CloudTrail archive").\n',
    );
  }
  await output.flush();
  return summary.exitCode;
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

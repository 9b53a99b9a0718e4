import { TrailproofError } from '../errors.js';
import { formatDisplay, parseDate } from '../format/time.js';
import { simulateDelivery } from '../simulate/deliver.js';
import { generateAccounts } from '../simulate/accounts.js';
import { shown, SIMULATE_DEFAULTS, SIMULATE_LIMITS } from '../simulate/options.js';
import { LocalStore } from '../store/local.js';
import type { ObjectStore } from '../store/types.js';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeInventoryReport } from '../simulate/inventory.js';
import { EXIT_STOPPED_LINE, EXIT_USAGE_LINE, parseArgs, positiveInt, str, usageError, type CommandSpec, type OptionSpec, type ParsedArgs } from './args.js';
import { formatUsage } from './help.js';
import { counted } from './plural.js';

export const SIMULATE_OPTIONS: OptionSpec[] = [
  { name: 'local-root', value: 'DIR', orNext: true, description: 'write DIR/<bucket>/<key> (give this, or S3 options to write to S3)' },
  {
    name: 'endpoint-url',
    value: 'URL',
    description: 'an S3-compatible server to write to (path-style addressing)',
    default: 'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS',
  },
  { name: 'bucket', value: 'BUCKET', required: true, description: 'the bucket the trail delivers to' },
  { name: 'account', value: 'ACCOUNT_ID', orNext: true, description: 'the 12-digit account the logs belong to (give this or --accounts)' },
  {
    name: 'accounts',
    value: 'N|A1,A2',
    description: `several accounts: N made-up ones (1 to ${SIMULATE_LIMITS.accounts}, the same for a seed) or 12-digit IDs, comma-separated`,
  },
  { name: 'regions', value: 'R1,R2', required: true, description: 'the source regions, comma-separated' },
  { name: 'start-time', value: 'TIME', required: true, description: 'the first delivery hour, a whole minute in UTC' },
  { name: 'hours', value: 'N', required: true, description: `how many hours to deliver, 1 to ${SIMULATE_LIMITS.hours}` },
  { name: 'seed', value: 'SEED', description: 'the same seed and options give the same bytes', default: String(SIMULATE_DEFAULTS.seed) },
  {
    name: 'files-per-hour',
    value: 'N',
    description: `log files per hour and region, 1 to ${SIMULATE_LIMITS.filesPerHour}`,
    default: String(SIMULATE_DEFAULTS.filesPerHour),
  },
  {
    name: 'records-per-file',
    value: 'N',
    description: `events per log file, 1 to ${SIMULATE_LIMITS.recordsPerFile}`,
    default: String(SIMULATE_DEFAULTS.recordsPerFile),
  },
  { name: 'prefix', value: 'PREFIX', description: "the trail's key prefix, without slashes at either end", default: 'none' },
  { name: 'organization-id', value: 'ORG_ID', description: "an organization trail's layout, for every account: AWSLogs/<ORG_ID>/<account>/..." },
  { name: 'data-events', flag: true, description: 'also write S3 object and Lambda Invoke data events' },
  {
    name: 'inventory',
    value: 'DIR',
    description: 'also write an S3 Inventory report (CSV) of the whole bucket into DIR: manifest.json and its gzip data files, for audit --inventory',
  },
  { name: 'gzip-level', value: '0-9', description: 'gzip compression level', default: '6' },
  {
    name: 'concurrency',
    value: 'N',
    description: `objects written at once, 1 to ${SIMULATE_LIMITS.concurrency}`,
    default: String(SIMULATE_DEFAULTS.concurrency),
  },
  {
    name: 'profile',
    value: 'NAME',
    group: 'AWS options (S3 access)',
    description: 'the shared config profile',
    default: 'AWS_PROFILE, else the default chain',
  },
  { name: 'region', value: 'REGION', description: 'the region of the S3 client', default: 'AWS_REGION, the profile' },
  { name: 'no-verify-ssl', flag: true, description: "do not check the server's TLS certificate" },
];

export const SIMULATE_COMMAND: CommandSpec = {
  name: 'simulate',
  summary: "Writes a synthetic CloudTrail trail's log files (gzip JSON, the real key layout), for demos, fixtures and benchmarks.",
  about:
    'Delivered from --start-time for --hours hours into <bucket>, on a local root or S3, for one account or many (--accounts; ' +
    'with --organization-id, an organization trail). The same seed gives the same bytes.',
  options: SIMULATE_OPTIONS,
  exitCodes: [[0, 'the files were written'], EXIT_USAGE_LINE, EXIT_STOPPED_LINE],
};

export const SIMULATE_USAGE = formatUsage(SIMULATE_COMMAND);

export interface SimulateDeps {
  readonly out?: (text: string) => void;
  /** The store to write to (tests); by default a LocalStore on --local-root. */
  readonly store?: ObjectStore;
  /** S3, when there is no --local-root. */
  readonly openS3?: (args: Record<string, string | boolean | undefined>) => Promise<{ store: ObjectStore }>;
}

const MB = 1024 * 1024;

/** `trailproof simulate`: writes a simulated trail's log files. Resolves with the exit code. */
export async function simulateCommand(argv: readonly string[], deps: SimulateDeps = {}): Promise<number> {
  const args = parseArgs(argv, SIMULATE_COMMAND);
  const hours = positiveInt(args, 'hours', SIMULATE_LIMITS.hours)!;
  const filesPerHour = positiveInt(args, 'files-per-hour', SIMULATE_LIMITS.filesPerHour);
  const recordsPerFile = positiveInt(args, 'records-per-file', SIMULATE_LIMITS.recordsPerFile);
  const concurrency = positiveInt(args, 'concurrency', SIMULATE_LIMITS.concurrency);
  const levelText = str(args, 'gzip-level');
  if (levelText !== undefined && !/^\d$/.test(levelText)) throw usageError('argument --gzip-level: expected a whole number from 0 to 9');
  const regions = str(args, 'regions')!
    .split(',')
    .map((r) => r.trim());
  if (regions.some((r) => r === '')) throw usageError('argument --regions: expected region names separated by commas, like us-east-1,eu-west-1');

  const accounts = accountsOf(args);
  const start = parseDate(str(args, 'start-time')!);
  if (start.offset !== null && start.offset !== 0) {
    throw new TrailproofError('argument', '--start-time must be in UTC (end it with Z, or give no zone)');
  }
  const localRoot = str(args, 'local-root');
  if (localRoot === '') throw usageError('argument --local-root: expected a directory');
  let store = deps.store;
  if (!store && localRoot !== undefined) store = new LocalStore(localRoot);
  if (!store && deps.openS3) store = (await deps.openS3(args)).store;
  if (!store) throw new TrailproofError('argument', 'Give --local-root ROOT: writing to S3 is not available in this build');

  const manifest = await simulateDelivery(store, {
    bucket: str(args, 'bucket')!,
    ...accounts,
    regions,
    start: start.clock,
    hours,
    filesPerHour,
    recordsPerFile,
    seed: str(args, 'seed'),
    prefix: str(args, 'prefix'),
    organizationId: str(args, 'organization-id'),
    dataEvents: args['data-events'] === true,
    gzipLevel: levelText === undefined ? undefined : Number(levelText),
    concurrency,
  });
  const mb = (n: number): string => (n / MB).toFixed(2);
  const span = manifest.firstDelivery === null ? '' : `, delivered ${formatDisplay(manifest.firstDelivery)} to ${formatDisplay(manifest.lastDelivery!)}`;
  // A local root is a folder on this machine: say which one, not an s3:// name nothing was sent to.
  const where = localRoot !== undefined ? join(localRoot, manifest.bucket) : `s3://${manifest.bucket}`;
  (deps.out ?? ((t: string) => process.stdout.write(t)))(
    `Wrote ${counted(manifest.files, 'log file')} (${counted(manifest.records, 'record')})` +
      `${accounts.accounts ? ` for ${counted(manifest.accounts.length, 'account')}` : ''} to ${where}: ` +
      `${mb(manifest.compressedBytes)} MB gzip, ${mb(manifest.uncompressedBytes)} MB JSON${span}\n`,
  );
  const inventoryDir = str(args, 'inventory');
  if (inventoryDir !== undefined) {
    await mkdir(inventoryDir, { recursive: true });
    const made = await writeInventoryReport(
      store,
      { bucket: manifest.bucket, destinationBucket: `${manifest.bucket}-inventory`, creationTimestamp: Date.now() },
      (name, bytes) => writeFile(join(inventoryDir, name), bytes),
    );
    (deps.out ?? ((t: string) => process.stdout.write(t)))(
      `Wrote an S3 Inventory report of ${counted(made.keys, 'key')} (${counted(made.files, 'data file')}) to ${join(inventoryDir, 'manifest.json')}\n`,
    );
  }
  return 0;
}

const COUNT = /^\d{1,4}$/;
const ACCOUNT_ID = /^\d{12}$/;

/** `--account A` or `--accounts N|A1,A2` (exactly one): the library's `account` or `accounts`. */
function accountsOf(args: ParsedArgs): { account: string; accounts?: undefined } | { account?: undefined; accounts: string[] } {
  const one = str(args, 'account');
  const many = str(args, 'accounts');
  if (one !== undefined && many !== undefined) throw usageError('argument --accounts: not allowed with argument --account');
  if (one !== undefined) return { account: one };
  if (many === undefined) throw usageError('one of the arguments --account --accounts is required');
  if (COUNT.test(many)) {
    const n = Number(many);
    if (n < 1 || n > SIMULATE_LIMITS.accounts) throw usageError(`argument --accounts: expected a number of accounts from 1 to ${SIMULATE_LIMITS.accounts}`);
    return { accounts: generateAccounts(n, str(args, 'seed') ?? SIMULATE_DEFAULTS.seed) };
  }
  const list = many.split(',').map((a) => a.trim());
  const bad = list.find((a) => !ACCOUNT_ID.test(a));
  if (bad !== undefined) {
    throw usageError(`argument --accounts: expected a number of accounts, or 12-digit account IDs separated by commas (not ${shown(bad)})`);
  }
  return { accounts: list };
}

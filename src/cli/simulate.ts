import { TrailproofError } from '../errors.js';
import { formatDisplay, parseDate } from '../format/time.js';
import { simulateDelivery } from '../simulate/deliver.js';
import { SIMULATE_DEFAULTS, SIMULATE_LIMITS } from '../simulate/options.js';
import { LocalStore } from '../store/local.js';
import type { ObjectStore } from '../store/types.js';
import { parseArgs, positiveInt, str, usageError, type OptionSpec } from './args.js';

export const SIMULATE_OPTIONS: OptionSpec[] = [
  { name: 'local-root' },
  { name: 'endpoint-url' },
  { name: 'profile' },
  { name: 'region' },
  { name: 'no-verify-ssl', flag: true },
  { name: 'bucket', required: true },
  { name: 'account', required: true },
  { name: 'regions', required: true },
  { name: 'start-time', required: true },
  { name: 'hours', required: true },
  { name: 'seed' },
  { name: 'files-per-hour' },
  { name: 'records-per-file' },
  { name: 'prefix' },
  { name: 'organization-id' },
  { name: 'data-events', flag: true },
  { name: 'gzip-level' },
  { name: 'concurrency' },
];

export const SIMULATE_USAGE = `usage: trailproof simulate (--local-root ROOT | --endpoint-url URL ...) --bucket BUCKET --account ACCOUNT_ID
         --regions REGION[,REGION...] --start-time TIME --hours N
         [--seed SEED] [--files-per-hour N] [--records-per-file N] [--prefix PREFIX]
         [--organization-id ORG_ID] [--data-events] [--gzip-level 0-9] [--concurrency N]

Writes synthetic CloudTrail log files (gzip JSON, the real key layout) into ROOT/BUCKET, delivered
from TIME (a whole minute) for N hours. The same seed gives the same bytes.
Defaults: --seed ${SIMULATE_DEFAULTS.seed}, --files-per-hour ${SIMULATE_DEFAULTS.filesPerHour} (per region), --records-per-file ${SIMULATE_DEFAULTS.recordsPerFile}, --gzip-level 6, --concurrency ${SIMULATE_DEFAULTS.concurrency}.`;

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
  const args = parseArgs(argv, SIMULATE_OPTIONS);
  const hours = positiveInt(args, 'hours', SIMULATE_LIMITS.hours)!;
  const filesPerHour = positiveInt(args, 'files-per-hour', SIMULATE_LIMITS.filesPerHour);
  const recordsPerFile = positiveInt(args, 'records-per-file', SIMULATE_LIMITS.recordsPerFile);
  const concurrency = positiveInt(args, 'concurrency', SIMULATE_LIMITS.concurrency);
  const levelText = str(args, 'gzip-level');
  if (levelText !== undefined && !/^\d$/.test(levelText)) throw usageError('argument --gzip-level: expected a whole number from 0 to 9');
  const regions = str(args, 'regions')!.split(',').map((r) => r.trim());
  if (regions.some((r) => r === '')) throw usageError('argument --regions: expected region names separated by commas, like us-east-1,eu-west-1');

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
    account: str(args, 'account')!,
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
  (deps.out ?? ((t: string) => process.stdout.write(t)))(
    `Wrote ${manifest.files} log files (${manifest.records} records) to s3://${manifest.bucket}: ` +
      `${mb(manifest.compressedBytes)} MB gzip, ${mb(manifest.uncompressedBytes)} MB JSON${span}\n`,
  );
  return 0;
}

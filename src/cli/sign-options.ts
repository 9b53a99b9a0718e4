import { EXIT_STOPPED_LINE, EXIT_USAGE_LINE, type CommandSpec, type OptionSpec } from './args.js';
import { formatUsage } from './help.js';

/** `trailproof sign`'s options: the parser, the usage line and --help read this one table. */
export const SIGN_OPTIONS: OptionSpec[] = [
  { name: 'keys-dir', value: 'DIR', required: true, description: 'the key store (keys create); the region key active at each digest end time signs it' },
  {
    name: 'trust-public-keys',
    value: 'FILE',
    description:
      "other signers' public keys (list-public-keys JSON) whose digests this chain may continue; a digest in the chain's folder that no trusted key signed is not the chain's (the newest: the run stops)",
    default: "the key store's own",
  },
  {
    name: 'trail-arn',
    value: 'ARN',
    required: true,
    description: 'the trail the digests are named after: arn:<partition>:cloudtrail:<home region>:<account>:trail/<name>',
  },
  { name: 's3-bucket', value: 'BUCKET', required: true, description: 'the bucket that holds the log files and gets the digests' },
  { name: 's3-prefix', value: 'PREFIX', description: "the trail's key prefix", default: 'none' },
  { name: 'regions', value: 'R1,R2', description: 'the source regions to sign', default: "the ARN's region" },
  { name: 'account-id', value: 'A[,A2]', description: 'the accounts to sign (organization trails: member accounts)', default: "the ARN's account" },
  { name: 'organization-id', value: 'ID', description: 'an organization trail: keys under AWSLogs/<ID>/<account>/' },
  {
    name: 'logs-prefix',
    value: 'PREFIX',
    description: "sign the gzip objects under PREFIX, whatever their names (delivery time: last-modified), into the trail's digests; one account and region",
    default: "CloudTrail's log layout",
  },
  { name: 'local-root', value: 'DIR', description: 'a local root (DIR/<bucket>/<key>) instead of S3' },
  { name: 'until', value: 'TIME', description: 'sign the hours that end by TIME', default: 'now' },
  {
    name: 'start-time',
    value: 'TIME',
    description: "a new trail's first digest start (with --new-chain: where the new chain starts; with --backfill: the earliest log)",
    default: 'the hour of the first log file',
  },
  { name: 'new-chain', flag: true, description: 'start a new chain at --start-time (signing was stopped): validate-logs reports the gap' },
  { name: 'backfill', flag: true, description: 'write backfill digests for past log files that no digest references' },
  { name: 'lookback-hours', value: 'N', description: 'how far back a late log file is looked for', default: '24' },
  { name: 'concurrency', value: 'N', description: 'log files hashed at once, 1 to 1024', default: '512 on a local root, 128 on S3' },
  { name: 'dry-run', flag: true, description: 'say what would be signed and which keys would rotate; write nothing, sign nothing, take no lock' },
  { name: 'yes', flag: true, description: 'confirm signing more than 7 days (168) of empty hours without --until' },
  {
    name: 'lock-wait',
    value: 'SECONDS',
    description: 'how long to wait for another signer of the same chain or key region (0: refuse at once)',
    default: '300',
  },
  {
    name: 'witness',
    value: 'DIR|s3://B/P',
    description: "after the run, record each chain's newest digest there, write-once (another account, write-only, Object Lock: README)",
  },
  { name: 'now', value: 'TIME', description: 'the time taken as now (reproducible runs and tests)', default: 'the clock' },
  {
    name: 'region',
    value: 'REGION',
    group: 'AWS options (S3 access)',
    description: 'the region of the S3 client',
    default: 'AWS_REGION, the profile, the ARN',
  },
  { name: 'profile', value: 'NAME', description: 'the shared config profile', default: 'AWS_PROFILE, else the default chain' },
  { name: 'endpoint-url', value: 'URL', description: 'an S3-compatible server (path-style addressing)', default: 'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL' },
];

export const SIGN_COMMAND: CommandSpec = {
  name: 'sign',
  summary: 'Writes hourly signed digests for delivered log files, chained, with the names and S3 metadata CloudTrail uses.',
  options: SIGN_OPTIONS,
  exitCodes: [
    [0, 'every window was signed (or there was nothing to sign)'],
    [1, 'some log files were skipped: stderr names them'],
    EXIT_USAGE_LINE,
    EXIT_STOPPED_LINE,
  ],
};

export const SIGN_USAGE = formatUsage(SIGN_COMMAND);

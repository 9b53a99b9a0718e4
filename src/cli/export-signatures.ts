import { TrailproofError } from '../errors.js';
import { MAX_COMPRESSED_DIGEST } from '../format/limits.js';
import { parseTrailArn } from '../format/arn.js';
import { findTrail } from '../format/trails.js';
import { nowMicros, parseDate } from '../format/time.js';
import { LocalStore } from '../store/local.js';
import type { Metadata, ObjectStore } from '../store/types.js';
import { listDigestKeys } from '../verifier/walk.js';
import { EXIT_STOPPED_LINE, EXIT_USAGE_LINE, parseArgs, str, usageError, type CommandSpec, type OptionSpec } from './args.js';
import { formatUsage } from './help.js';
import { counted } from './plural.js';
import { readInputFile } from './files.js';

const OPTIONS: OptionSpec[] = [
  { name: 'trail-arn', value: 'ARN', required: true, description: 'the trail, as for validate-logs' },
  { name: 'start-time', value: 'TIME', required: true, description: 'start of the window, as for validate-logs' },
  { name: 'end-time', value: 'TIME', description: 'end of the window', default: 'now' },
  { name: 'local-root', value: 'DIR', required: true, description: 'the local copy: sidecars go to DIR/<bucket>/<key>.metadata.json' },
  { name: 's3-bucket', value: 'BUCKET', description: 'the bucket that holds the digests (give this or --trails)' },
  { name: 's3-prefix', value: 'PREFIX', description: 'the key prefix of the digests', default: 'none' },
  { name: 'account-id', value: 'ID', description: 'the account whose digests are read', default: "the ARN's" },
  { name: 'region', value: 'REGION', description: 'the source region (CloudTrail-Digest/<region>/)', default: "the S3 client's, else the ARN's" },
  { name: 'organization-id', value: 'ID', description: "an organization trail's id" },
  { name: 'trails', value: 'FILE', description: 'the JSON of aws cloudtrail describe-trails, for the bucket and prefix' },
  { name: 'with-digests', flag: true, description: 'also download the digest objects themselves' },
  { name: 'source-root', value: 'DIR', description: 'read the digests from another local root instead of S3 (tests, copies of copies)' },
  {
    name: 'endpoint-url',
    value: 'URL',
    group: 'AWS options (S3 access)',
    description: 'an S3-compatible server (path-style addressing)',
    default: 'AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL',
  },
  { name: 'profile', value: 'NAME', description: 'the shared config profile', default: 'AWS_PROFILE, else the default chain' },
  { name: 'no-verify-ssl', flag: true, description: "do not check the server's TLS certificate" },
];

export const EXPORT_COMMAND: CommandSpec = {
  name: 'export-signatures',
  summary: "Copies the S3 metadata of every digest validate-logs would read into a local copy's sidecars, for offline validation.",
  about:
    'Sidecars go to DIR/<bucket>/<key>.metadata.json (signature, signature-algorithm, backfill-generation-timestamp),\n' +
    'so that a copy made with `aws s3 sync` (which keeps no metadata) validates offline, newest digest included.',
  options: OPTIONS,
  exitCodes: [[0, 'the metadata was exported'], EXIT_USAGE_LINE, EXIT_STOPPED_LINE],
};

export const EXPORT_USAGE = formatUsage(EXPORT_COMMAND);

export interface ExportDeps {
  readonly out?: (t: string) => void;
  readonly err?: (t: string) => void;
  readonly openS3?: (args: Record<string, string | boolean | undefined>) => Promise<{ store: ObjectStore; region?: string }>;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += c.length;
    if (size > MAX_COMPRESSED_DIGEST) throw new TrailproofError('input', `a digest larger than ${MAX_COMPRESSED_DIGEST >> 20} MiB`);
    parts.push(Buffer.from(c));
  }
  return Buffer.concat(parts);
}

/** `trailproof export-signatures`: digest metadata from S3 into a local root's sidecars. */
export async function exportSignaturesCommand(argv: readonly string[], deps: ExportDeps = {}): Promise<number> {
  const out = deps.out ?? ((t: string) => process.stdout.write(t));
  const args = parseArgs(argv, EXPORT_COMMAND);
  const start = parseDate(str(args, 'start-time')!).clock;
  const endText = str(args, 'end-time');
  const end = endText ? parseDate(endText).clock : nowMicros();
  if (start > end) throw new TrailproofError('argument', 'Invalid time range specified: start-time must occur before end-time');
  const arn = parseTrailArn(str(args, 'trail-arn')!);
  let bucket = str(args, 's3-bucket');
  let prefix = bucket !== undefined ? str(args, 's3-prefix') : undefined;
  if (bucket === undefined) {
    const trails = str(args, 'trails');
    if (trails === undefined) throw usageError('give --s3-bucket (and --s3-prefix), or --trails FILE');
    const trail = findTrail(await readInputFile(trails, 'trails file'), arn.arn, trails);
    bucket = trail.bucket;
    prefix = trail.prefix;
  }
  let source: ObjectStore;
  let region = str(args, 'region');
  const sourceRoot = str(args, 'source-root');
  if (sourceRoot !== undefined) source = new LocalStore(sourceRoot);
  else if (deps.openS3) {
    const side = await deps.openS3(args);
    source = side.store;
    region ??= side.region;
  } else throw new TrailproofError('argument', 'reading S3 is not available in this build');
  const target = new LocalStore(str(args, 'local-root')!);
  const scope = {
    prefix,
    organizationId: str(args, 'organization-id'),
    account: str(args, 'account-id') || arn.account,
    sourceRegion: region || arn.region,
    homeRegion: arn.region,
    trailName: arn.name,
  };
  const listing = await listDigestKeys(source, bucket, scope, start, end);
  let exported = 0;
  let missing = 0;
  let notInCopy = 0;
  for (const key of [...listing.standard, ...listing.backfill]) {
    const object = await source.get(bucket, key);
    if (!object) {
      missing++;
      continue;
    }
    try {
      const metadata: Metadata = object.metadata;
      if (args['with-digests'] === true) await target.put(bucket, key, await readAll(object.body), metadata);
      else if (!(await target.putMetadata(bucket, key, metadata))) {
        // Delivered after the copy was made (or left out of it): no sidecar without its digest.
        notInCopy++;
        continue;
      }
    } finally {
      await object.close();
    }
    exported++;
  }
  const notes = [missing ? `${missing} disappeared while listing` : '', notInCopy ? `${counted(notInCopy, 'digest')} not in the copy, skipped` : ''].filter(
    Boolean,
  );
  out(
    `exported the metadata of ${counted(exported, 'digest file')} of s3://${bucket} to ${str(args, 'local-root')}${notes.length ? ` (${notes.join('; ')})` : ''}\n`,
  );
  if (notInCopy > 0) {
    (deps.err ?? ((t: string) => process.stderr.write(t)))(
      `notice: ${counted(notInCopy, 'digest')} of the window ${notInCopy === 1 ? 'is' : 'are'} on S3 and not in ${str(args, 'local-root')}: sync the copy again, or export with --with-digests\n`,
    );
  }
  return 0;
}

import { TrailproofError } from '../errors.js';
import { MAX_COMPRESSED_DIGEST } from '../format/limits.js';
import { parseTrailArn } from '../format/arn.js';
import { findTrail } from '../format/trails.js';
import { nowMicros, parseDate } from '../format/time.js';
import { LocalStore } from '../store/local.js';
import type { Metadata, ObjectStore } from '../store/types.js';
import { listDigestKeys } from '../verifier/walk.js';
import { parseArgs, str, usageError, type OptionSpec } from './args.js';
import { readInputFile } from './files.js';

export const EXPORT_USAGE = `usage: trailproof export-signatures --trail-arn ARN --start-time T [--end-time T] --local-root DIR
         [--s3-bucket B] [--s3-prefix P] [--account-id A] [--region R] [--organization-id O] [--trails FILE]
         [--with-digests] [--endpoint-url URL] [--profile P]

Copies the S3 metadata (signature, signature-algorithm, backfill-generation-timestamp) of every digest
that validate-logs would read for the window into sidecar files DIR/<bucket>/<key>.metadata.json, so
that a copy made with \`aws s3 sync\` (which keeps no metadata) validates offline, newest digest included.
--with-digests also downloads the digest objects themselves.`;

const OPTIONS: OptionSpec[] = [
  { name: 'trail-arn', required: true },
  { name: 'start-time', required: true },
  { name: 'end-time' },
  { name: 'local-root', required: true },
  { name: 's3-bucket' },
  { name: 's3-prefix' },
  { name: 'account-id' },
  { name: 'region' },
  { name: 'organization-id' },
  { name: 'trails' },
  { name: 'with-digests', flag: true },
  { name: 'source-root' },
  { name: 'endpoint-url' },
  { name: 'profile' },
  { name: 'no-verify-ssl', flag: true },
];

export interface ExportDeps {
  readonly out?: (t: string) => void;
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
  const args = parseArgs(argv, OPTIONS);
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
  for (const key of [...listing.standard, ...listing.backfill]) {
    const object = await source.get(bucket, key);
    if (!object) {
      missing++;
      continue;
    }
    let metadata: Metadata;
    try {
      metadata = object.metadata;
      if (args['with-digests'] === true) await target.put(bucket, key, await readAll(object.body), metadata);
      else await target.putMetadata(bucket, key, metadata);
    } finally {
      await object.close();
    }
    exported++;
  }
  out(`exported the metadata of ${exported} digest files of s3://${bucket} to ${str(args, 'local-root')}${missing ? ` (${missing} disappeared while listing)` : ''}\n`);
  return 0;
}

import { TrailproofError } from '../errors.js';
import { parseTrailArn } from '../format/arn.js';
import { CloudTrailSource } from '../aws/cloudtrail.js';
import { loadS3Sdk, quietSdk, S3Store, type AwsClientOptions } from '../aws/s3-store.js';
import type { ObjectStore } from '../store/types.js';

type Args = Record<string, string | boolean | undefined>;

function opt(args: Args, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function env(name: string): string | undefined {
  const v = process.env[name];
  return v !== undefined && v !== '' ? v : undefined;
}

/** `--endpoint-url`, checked as botocore checks it (a URL with an http or https scheme). */
export function checkEndpoint(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new TrailproofError(
      'argument',
      `Bad value for --endpoint-url "${value}": scheme is missing.  Must be of the form http://<hostname>/ or https://<hostname>/`,
    );
  }
  return value;
}

/**
 * The CLI's region, as the AWS CLI finds it: `--region`, AWS_REGION, AWS_DEFAULT_REGION, the
 * profile's `region` in the shared config; then, where the AWS CLI would stop, the trail's home region.
 */
async function cliRegion(args: Args, profile: string | undefined): Promise<string> {
  const direct = opt(args, 'region') ?? env('AWS_REGION') ?? env('AWS_DEFAULT_REGION');
  if (direct) return direct;
  try {
    const sdk = await loadS3Sdk();
    quietSdk();
    const probe = new sdk.S3Client(profile !== undefined ? { profile } : {});
    try {
      const region = await probe.config.region();
      if (region) return region;
    } finally {
      probe.destroy();
    }
  } catch {
    // no configured region
  }
  const arn = opt(args, 'trail-arn');
  return arn !== undefined ? parseTrailArn(arn).region : 'us-east-1';
}

export interface AwsSide {
  readonly store: ObjectStore;
  /** ListPublicKeys. */
  readonly keys: CloudTrailSource;
  /** DescribeTrails and DescribeOrganization (the same CloudTrail side). */
  readonly trails: CloudTrailSource;
  /** The CLI's region (the AWS CLI's source region when `--region` is not given). */
  readonly region: string;
}

/**
 * `ValidateDeps.openS3`: S3 (and CloudTrail) from the AWS CLI's global options. Endpoint:
 * `--endpoint-url`, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (path-style addressing then).
 * Credentials: `--profile`, else the SDK's default chain (which reads AWS_PROFILE).
 */
export async function openS3(args: Args): Promise<AwsSide> {
  const endpoint = checkEndpoint(opt(args, 'endpoint-url') ?? env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL'));
  const profile = opt(args, 'profile');
  const region = await cliRegion(args, profile);
  const common: AwsClientOptions = { endpoint, profile, verifySsl: args['no-verify-ssl'] !== true };
  const cloudTrail = new CloudTrailSource({
    ...common,
    region,
    cloudTrailEndpoint: checkEndpoint(env('AWS_ENDPOINT_URL_CLOUDTRAIL')),
    organizationsEndpoint: checkEndpoint(env('AWS_ENDPOINT_URL_ORGANIZATIONS')),
  });
  return { store: new S3Store({ ...common, region }), keys: cloudTrail, trails: cloudTrail, region };
}

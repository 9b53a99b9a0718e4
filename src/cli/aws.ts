import { TrailproofError } from '../errors.js';
import { parseTrailArn } from '../format/arn.js';
import { CloudTrailSource } from '../aws/cloudtrail.js';
import type { AwsClientOptions } from '../aws/client-config.js';
import { S3Store } from '../aws/s3-store.js';
import { configuredRegion } from '../aws/s3-config.js';
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

/**
 * The SDK writes nothing to our stderr: its report is part of the contract (behaviour §5). Its Node
 * version warning can only be turned off through the environment, checked in every client's
 * constructor: the CLI owns the process, so it sets it here, before any client is made.
 */
function quietSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

/** `TRAILPROOF_S3_SDK_ONLY=1`: every GetObject through the SDK, for an S3 set-up the fast path does not suit. */
export function sdkOnly(environment: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(environment.TRAILPROOF_S3_SDK_ONLY ?? '');
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
  // The SDK's own region loader (environment, then the shared files), without an S3 client.
  const configured = await configuredRegion(profile);
  if (configured) return configured;
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
 * The credentials the SDK's default chain would take first, read here without loading the chain
 * (~40 ms of start-up, issue 15): its first provider takes AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN) unless a profile is named (`--profile`,
 * AWS_PROFILE), in which case it skips them. Undefined: the chain decides (aws/s3-config.ts).
 */
export function envCredentials(profile: string | undefined, environment: NodeJS.ProcessEnv = process.env) {
  // Credentials that expire (AWS_CREDENTIAL_EXPIRATION) are the chain's to handle.
  if (profile !== undefined || environment.AWS_PROFILE || environment.AWS_CREDENTIAL_EXPIRATION) return undefined;
  const accessKeyId = environment.AWS_ACCESS_KEY_ID;
  const secretAccessKey = environment.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  const sessionToken = environment.AWS_SESSION_TOKEN || undefined;
  return { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) };
}

/**
 * `ValidateDeps.openS3`: S3 (and CloudTrail) from the AWS CLI's global options. Endpoint:
 * `--endpoint-url`, else AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (path-style addressing then).
 * Credentials: `--profile`, else the SDK's default chain (which reads AWS_PROFILE).
 */
export async function openS3(args: Args): Promise<AwsSide> {
  quietSdk();
  const endpoint = checkEndpoint(opt(args, 'endpoint-url') ?? env('AWS_ENDPOINT_URL_S3') ?? env('AWS_ENDPOINT_URL'));
  const profile = opt(args, 'profile');
  const region = await cliRegion(args, profile);
  const credentials = envCredentials(profile);
  const common: AwsClientOptions = { endpoint, profile, verifySsl: args['no-verify-ssl'] !== true, ...(credentials ? { credentials } : {}) };
  const cloudTrail = new CloudTrailSource({
    ...common,
    region,
    cloudTrailEndpoint: checkEndpoint(env('AWS_ENDPOINT_URL_CLOUDTRAIL')),
    organizationsEndpoint: checkEndpoint(env('AWS_ENDPOINT_URL_ORGANIZATIONS')),
  });
  return { store: new S3Store({ ...common, region, sdkOnly: sdkOnly() }), keys: cloudTrail, trails: cloudTrail, region };
}

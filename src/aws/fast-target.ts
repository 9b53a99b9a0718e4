import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Sdk } from './sdk.js';

/**
 * Where the GetObject fast path (fast-get.ts) sends a bucket's requests: asked of the SDK once per
 * bucket, so that addressing stays the SDK's (virtual-hosted or path-style, endpoints, FIPS,
 * dual-stack). Nothing is sent.
 */

/** Where a bucket's objects are, as the SDK addresses them (found once per bucket by findFastTarget). */
export interface FastTarget {
  readonly protocol: 'http:' | 'https:';
  /** To connect to (an IPv6 address without its brackets). */
  readonly hostname: string;
  readonly port: number | undefined;
  /** The Host header, signed: the SDK's. */
  readonly host: string;
  /** `protocol//hostname[:port]`, as the SDK path writes a request's URL in messages. */
  readonly origin: string;
  /** The path before the encoded key: `/` (virtual-hosted) or `/<bucket>/` (path-style, after any endpoint path). */
  readonly pathPrefix: string;
  readonly signingRegion: string;
  /** The SDK's own user agent, marked as ours: server logs still name the SDK's version and features. */
  readonly userAgent: string;
}

const PROBE_KEY = 'trailproof-probe';
/** Headers the SDK puts on a plain GetObject. Any other one (an endpoint's own headers, checksum mode) means: SDK only. */
const PLAIN_HEADERS = new Set(['host', 'user-agent', 'x-amz-user-agent']);
const USER_AGENT_MARK = 'md/trailproof#fast-get';

interface ProbedRequest {
  method?: unknown;
  protocol?: unknown;
  hostname?: unknown;
  port?: unknown;
  path?: unknown;
  query?: unknown;
  headers?: unknown;
}
interface AuthScheme {
  name?: unknown;
  signingName?: unknown;
  signingRegion?: unknown;
}

/**
 * How the SDK would send a GetObject for `bucket`, from the SDK itself: the command runs up to the
 * build step (endpoint rules, addressing style, region, serialization; credentials are resolved too)
 * and stops there, before signing or sending. Virtual-hosted or path-style, custom endpoints, FIPS
 * and dual-stack settings, configured endpoint URLs: whatever the SDK decides, we use. Undefined when
 * the request is anything but a plain SigV4 GET for service s3 (S3 Express, extra headers...).
 */
export async function findFastTarget(sdk: S3Sdk, client: S3Client, bucket: string): Promise<FastTarget | undefined> {
  const command = new sdk.GetObjectCommand({ Bucket: bucket, Key: PROBE_KEY });
  let seen: { request: ProbedRequest; authSchemes: unknown } | undefined;
  const stop =
    (_next: unknown, context: { authSchemes?: unknown }) =>
    async (args: { request: unknown }): Promise<never> => {
      seen = { request: (args.request ?? {}) as ProbedRequest, authSchemes: context.authSchemes };
      throw new Error('trailproof: probe only, not sent');
    };
  command.middlewareStack.add(stop as never, { step: 'build', priority: 'low', name: 'trailproofFastTarget' });
  try {
    await client.send(command);
  } catch {
    // Expected: the probe stops the command. Without `seen`, the SDK failed before: no fast path.
  }
  if (!seen) return undefined;
  const { request } = seen;
  const scheme = (Array.isArray(seen.authSchemes) ? seen.authSchemes[0] : undefined) as AuthScheme | undefined;
  if (scheme?.name !== 'sigv4' || scheme.signingName !== 's3' || typeof scheme.signingRegion !== 'string') return undefined;
  if (request.method !== 'GET' || (request.protocol !== 'http:' && request.protocol !== 'https:')) return undefined;
  if (typeof request.hostname !== 'string' || request.hostname === '' || typeof request.path !== 'string') return undefined;
  if (!request.path.endsWith(`/${PROBE_KEY}`)) return undefined;
  const query = request.query as Record<string, unknown> | undefined;
  if (!query || Object.keys(query).length !== 1 || query['x-id'] !== 'GetObject') return undefined;
  const headers = (request.headers ?? {}) as Record<string, unknown>;
  if (Object.keys(headers).some((name) => !PLAIN_HEADERS.has(name.toLowerCase()))) return undefined;
  const port = typeof request.port === 'number' ? request.port : undefined;
  const origin = `${request.protocol}//${request.hostname}${port !== undefined ? `:${port}` : ''}`;
  const standardPort = port === undefined || port === (request.protocol === 'https:' ? 443 : 80);
  const host = typeof headers.host === 'string' ? headers.host : standardPort ? request.hostname : `${request.hostname}:${port}`;
  const userAgent = typeof headers['user-agent'] === 'string' ? `${headers['user-agent']} ${USER_AGENT_MARK}` : USER_AGENT_MARK;
  return {
    protocol: request.protocol,
    hostname: request.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    host,
    origin,
    pathPrefix: request.path.slice(0, -PROBE_KEY.length),
    signingRegion: scheme.signingRegion,
    userAgent,
  };
}

/** Regions of the `aws` partition (the SDK's partitions table: `^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$`), lower case only. */
const AWS_REGION = /^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d+$/;
/** A bucket the SDK addresses virtual-hosted over https: a DNS label, lower case, no dots. */
const VIRTUAL_HOSTABLE = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** An endpoint path that needs no encoding. */
const PLAIN_PATH = /^[A-Za-z0-9\-._~/]*$/;
const OWN_USER_AGENT = `trailproof md/nodejs#${process.versions.node} ${USER_AGENT_MARK}`;

export interface OwnTargetInput {
  /** `--endpoint-url` (the S3 client then uses path-style addressing). */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
}

/**
 * The target of the common cases, found without the SDK (issue 15: loading the S3 client cost more than
 * Node's start-up): a custom endpoint, path-style; an `aws` partition region and a bucket that is a DNS
 * label, virtual-hosted. The caller makes sure that nothing configured changes the SDK's decision
 * (s3-config.ts addressingSettings); anything else is undefined, and findFastTarget asks the SDK.
 * test/aws/fast-target.test.ts holds this to the SDK's own answer for every input it takes.
 */
export function ownTarget({ endpoint, region, bucket }: OwnTargetInput): FastTarget | undefined {
  // `--` marks S3 Express directory buckets (`--x-s3`) and other special names: the SDK's rules decide those.
  if (bucket.includes('--')) return undefined;
  if (endpoint !== undefined) {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      return undefined;
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '')
      return undefined;
    // `.` and `..` are path segments a URL resolves away (the SDK's path would not name the bucket).
    if (
      !PLAIN_PATH.test(url.pathname) ||
      !/^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/.test(region) ||
      !/^[A-Za-z0-9.\-_]{1,255}$/.test(bucket) ||
      /^\.{1,2}$/.test(bucket)
    ) {
      return undefined;
    }
    const base = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
    return {
      protocol: url.protocol,
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port !== '' ? Number(url.port) : undefined,
      host: url.host,
      origin: `${url.protocol}//${url.host}`,
      pathPrefix: `${base}${bucket}/`,
      signingRegion: region,
      userAgent: OWN_USER_AGENT,
    };
  }
  if (!AWS_REGION.test(region) || !VIRTUAL_HOSTABLE.test(bucket)) return undefined;
  const host = `${bucket}.s3.${region}.amazonaws.com`;
  return {
    protocol: 'https:',
    hostname: host,
    port: undefined,
    host,
    origin: `https://${host}`,
    pathPrefix: '/',
    signingRegion: region,
    userAgent: OWN_USER_AGENT,
  };
}

import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import { amzDate, authorization, type SigningCredentials, UNSIGNED_PAYLOAD, uriEncode } from './sigv4.js';
import type { S3Sdk } from './s3-store.js';

/**
 * GetObject without the SDK's per-request machinery (issue 5): the SDK spends ~1.8 ms of CPU on every
 * request (endpoint rules, middleware stack, SigV4, header handling), and with many small log files on
 * two cores shared with the server, that CPU is the run's ceiling. Here a request is a SigV4 signature
 * (sigv4.ts) and one node:http request on the SDK's own keep-alive agents.
 *
 * Only the happy path is ours: a 200 answer. Anything else (another status, a network error before the
 * headers, an answer we do not expect) resolves undefined and the caller asks the SDK for the same
 * object, so retries, redirects, error messages and 404 semantics stay the SDK's.
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

export interface FastRequestOptions {
  readonly agent: HttpAgent | HttpsAgent;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
}

export interface FastObject {
  readonly metadata: Record<string, string>;
  readonly size: number | undefined;
  /** The response, streaming the object's bytes. */
  readonly body: IncomingMessage;
  /** What the SDK path records as the request's URL (for the message of a body that fails midway). */
  readonly url: string;
}

const PROBE_KEY = 'trailproof-probe';
/** The SDK sends it on every GetObject; so do we, so that a request URL is the same either way. */
const QUERY: ReadonlyArray<readonly [string, string]> = [['x-id', 'GetObject']];
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

/**
 * One signed GET of `key` (any well-formed string: every byte is encoded, nothing is normalized).
 * Resolves the object on a 200, undefined on anything else (the caller asks the SDK instead).
 */
export function fastGetObject(
  target: FastTarget,
  key: string,
  credentials: SigningCredentials,
  nowMs: number,
  options: FastRequestOptions,
): Promise<FastObject | undefined> {
  const path = target.pathPrefix + uriEncode(key, true);
  const date = amzDate(nowMs);
  const signed: Record<string, string> = { host: target.host, 'x-amz-content-sha256': UNSIGNED_PAYLOAD, 'x-amz-date': date };
  if (credentials.sessionToken) signed['x-amz-security-token'] = credentials.sessionToken;
  const headers = {
    ...signed,
    authorization: authorization(
      { method: 'GET', path, query: QUERY, headers: signed, payloadHash: UNSIGNED_PAYLOAD },
      credentials,
      { amzDate: date, region: target.signingRegion, service: 's3' },
    ),
    'user-agent': target.userAgent,
  };
  const pathAndQuery = `${path}?x-id=GetObject`;
  const url = target.origin + pathAndQuery;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: FastObject | undefined) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send({
      agent: options.agent,
      method: 'GET',
      hostname: target.hostname,
      port: target.port,
      path: pathAndQuery,
      headers,
    });
    // As the SDK's handler: a bounded connect, then a bounded silence (also while the body streams).
    req.on('socket', (socket) => {
      if (!socket.connecting) return;
      const timer = setTimeout(() => req.destroy(), options.connectTimeoutMs);
      const clear = () => clearTimeout(timer);
      socket.once('connect', clear);
      req.once('close', clear);
    });
    req.setTimeout(options.socketTimeoutMs, () => req.destroy());
    // Before the headers: the SDK tries again (and words the failure). After: the body reports it.
    req.on('error', () => settle(undefined));
    req.on('close', () => settle(undefined));
    req.on('response', (res) => {
      const length = res.headers['content-length'];
      if (res.statusCode !== 200 || (length !== undefined && !/^\d+$/.test(length))) {
        // Read the answer out so that the connection is kept for the next request.
        res.resume();
        settle(undefined);
        return;
      }
      const metadata: Record<string, string> = {};
      for (const [name, value] of Object.entries(res.headers)) {
        if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice('x-amz-meta-'.length)] = value;
      }
      settle({ metadata, size: length !== undefined ? Number(length) : undefined, body: res, url });
    });
    req.end();
  });
}

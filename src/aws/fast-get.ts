import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ConnectionPool } from './client-config.js';
import { findFastTarget, type FastTarget } from './fast-target.js';
import type { S3Sdk } from './sdk.js';
import { amzDate, authorization, type SigningCredentials, SigningKeyCache, UNSIGNED_PAYLOAD, uriEncode } from './sigv4.js';

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

export interface FastRequestOptions {
  readonly agent: HttpAgent | HttpsAgent;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
  /** The caller's cache of derived signing keys. */
  readonly signingKeys: SigningKeyCache;
}

export interface FastObject {
  readonly metadata: Record<string, string>;
  readonly size: number | undefined;
  /** The response, streaming the object's bytes. */
  readonly body: IncomingMessage;
  /** What the SDK path records as the request's URL (for the message of a body that fails midway). */
  readonly url: string;
}

/** The SDK sends it on every GetObject; so do we, so that a request URL is the same either way. */
const QUERY: ReadonlyArray<readonly [string, string]> = [['x-id', 'GetObject']];
/** A string with a lone surrogate has no UTF-8 form: the SDK fails it, and so it goes to the SDK. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export interface FastGetOptions {
  /** The keep-alive agents the store's SDK clients use too. */
  readonly pool: ConnectionPool;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
}

/**
 * The fast path of one S3 store: each bucket's target (found once, through the SDK) and the SigV4
 * signing keys, both owned by this instance and dropped with it (no process-wide secrets).
 */
export class FastGet {
  private readonly targets = new Map<string, Promise<FastTarget | undefined>>();
  private readonly signingKeys = new SigningKeyCache();

  constructor(private readonly options: FastGetOptions) {}

  /** The object through the fast path, or undefined for any outcome but a 200 (then the SDK asks again). */
  async get(sdk: S3Sdk, client: S3Client, bucket: string, key: string): Promise<FastObject | undefined> {
    if (LONE_SURROGATE.test(key)) return undefined;
    let target = this.targets.get(bucket);
    if (!target) {
      target = findFastTarget(sdk, client, bucket).catch(() => undefined);
      this.targets.set(bucket, target);
    }
    const where = await target;
    if (!where) return undefined;
    let credentials;
    try {
      // The SDK's provider (chain or --profile), memoized until shortly before the credentials expire.
      credentials = await client.config.credentials();
    } catch {
      return undefined;
    }
    const { pool, connectTimeoutMs, socketTimeoutMs } = this.options;
    return fastGetObject(where, key, credentials, Date.now() + (client.config.systemClockOffset ?? 0), {
      agent: where.protocol === 'https:' ? pool.https : pool.http,
      connectTimeoutMs,
      socketTimeoutMs,
      signingKeys: this.signingKeys,
    });
  }

  /** Forgets the signing keys (the store is being destroyed). */
  clear(): void {
    this.signingKeys.clear();
  }
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
      options.signingKeys,
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

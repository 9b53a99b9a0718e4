import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { FastTarget } from './fast-target.js';
import type { GetSigner, SigningCredentials } from './sigv4.js';

/**
 * One signed GET without the SDK's per-request machinery (issue 5: the SDK spends ~1.8 ms of CPU on
 * every request; issue 15: loading it costs more than Node's start-up): a SigV4 signature
 * (sigv4.ts GetSigner) and one node:http request on the store's keep-alive agents.
 *
 * Only the happy path is ours: a 200 answer. Anything else (another status, a network error before
 * the headers, an answer we do not expect) resolves undefined and the caller asks the SDK for the
 * same thing, so retries, redirects, error messages and 404 semantics stay the SDK's.
 */
export interface FastRequestOptions {
  readonly agent: HttpAgent | HttpsAgent;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
  readonly signer: GetSigner;
}

export interface FastAnswer {
  /** The 200 response, streaming the body. */
  readonly res: IncomingMessage;
  /** Content-Length when sent (checked: digits only). */
  readonly size: number | undefined;
  /** What the SDK path records as the request's URL (for the message of a body that fails midway). */
  readonly url: string;
}

/**
 * GET `target.pathPrefix + encodedPath` with `query` (already canonical: encoded, sorted; '' for none).
 * Resolves the response on a 200, undefined on anything else (the caller asks the SDK instead).
 */
export function fastGet(
  target: FastTarget,
  encodedPath: string,
  query: string,
  credentials: SigningCredentials,
  nowMs: number,
  options: FastRequestOptions,
): Promise<FastAnswer | undefined> {
  const path = target.pathPrefix + encodedPath;
  const headers = options.signer.headers(target.host, path, query, credentials, nowMs, target.signingRegion);
  headers.host = target.host;
  headers['user-agent'] = target.userAgent;
  const pathAndQuery = query !== '' ? `${path}?${query}` : path;
  const url = target.origin + pathAndQuery;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: FastAnswer | undefined) => {
      if (!settled) {
        settled = true;
        resolve(value);
      }
    };
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send({ agent: options.agent, method: 'GET', hostname: target.hostname, port: target.port, path: pathAndQuery, headers });
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
      if (res.statusCode !== 200 || (length !== undefined && !/^\d{1,15}$/.test(length))) {
        // Read the answer out so that the connection is kept for the next request.
        res.resume();
        settle(undefined);
        return;
      }
      settle({ res, size: length !== undefined ? Number(length) : undefined, url });
    });
    req.end();
  });
}

/** S3 user metadata from a response's headers: `x-amz-meta-*`, names lower-case without the prefix. */
export function userMetadata(res: IncomingMessage): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name.slice('x-amz-meta-'.length)] = value;
  }
  return metadata;
}

/**
 * The whole body of a 200 into one buffer, refused (undefined) past `limit` bytes or on any failure:
 * for the small XML answers the caller then asks the SDK for again.
 */
export function readWhole(answer: FastAnswer, limit: number): Promise<Buffer | undefined> {
  const { res, size } = answer;
  if (size !== undefined && size > limit) {
    res.destroy();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    let length = 0;
    res.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length > limit) {
        res.destroy();
        resolve(undefined);
        return;
      }
      parts.push(chunk);
    });
    res.on('end', () => resolve(size === undefined || size === length ? Buffer.concat(parts, length) : undefined));
    res.on('error', () => resolve(undefined));
    res.on('close', () => resolve(undefined));
  });
}

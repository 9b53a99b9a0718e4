import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { S3ClientConfig } from '@aws-sdk/client-s3';

/**
 * Client settings common to S3, CloudTrail and Organizations: region, endpoint, credentials, bounded
 * timeouts and retries, keep-alive agents, and a silent logger. Nothing here reads or writes the
 * process environment: the CLI (src/cli/aws.ts) turns it into these options.
 */
export interface AwsClientOptions {
  /** `--endpoint-url`: an S3-compatible server (then path-style addressing). */
  readonly endpoint?: string | undefined;
  /** `--profile`; otherwise the SDK's default chain (env, AWS_PROFILE, shared files, SSO, IMDS...). */
  readonly profile?: string | undefined;
  /** Explicit credentials (library callers and tests). */
  readonly credentials?: S3ClientConfig['credentials'];
  /** `--no-verify-ssl`. */
  readonly verifySsl?: boolean | undefined;
  /** Attempts per request, the first included (the SDK's standard retry: throttling, 5xx, network). */
  readonly maxAttempts?: number | undefined;
  readonly connectTimeoutMs?: number | undefined;
  /** A socket idle this long fails the request (a server that accepts and never answers). */
  readonly socketTimeoutMs?: number | undefined;
  readonly maxSockets?: number | undefined;
}

export const CONNECT_TIMEOUT_MS = 3000;
export const SOCKET_TIMEOUT_MS = 30_000;

/** The SDK writes nothing to our stderr: its report is part of the contract (behaviour §5). */
const SILENT = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Keep-alive agents, owned by whoever made them (an S3 store shares one pool with its fast path). */
export interface ConnectionPool {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
}

export function connectionPool(o: AwsClientOptions): ConnectionPool {
  const maxSockets = o.maxSockets ?? 128;
  return {
    http: new HttpAgent({ keepAlive: true, maxSockets }),
    https: new HttpsAgent({ keepAlive: true, maxSockets, rejectUnauthorized: o.verifySsl !== false }),
  };
}

/** A client's configuration in `region`, on `pool` (a pool of its own unless one is given). */
export function awsClientConfig(o: AwsClientOptions, region: string, pool: ConnectionPool = connectionPool(o)) {
  return {
    region,
    ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
    ...(o.profile !== undefined ? { profile: o.profile } : {}),
    ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
    maxAttempts: o.maxAttempts ?? 3,
    logger: SILENT,
    requestHandler: {
      // No overall request timeout: a request waiting for a free socket is not late. The connect
      // and idle timeouts bound an unreachable or silent server.
      connectionTimeout: o.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      socketTimeout: o.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
      httpAgent: pool.http,
      httpsAgent: pool.https,
      logger: SILENT,
    },
  };
}

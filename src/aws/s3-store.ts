import { Agent as HttpAgent, STATUS_CODES } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { messageOf } from '../errors.js';
import { noSuchBucket, StoreError, type StoreErrorKind } from '../store/errors.js';
import { fastGetObject, findFastTarget, type FastTarget } from './fast-get.js';
import type { ListOptions, Metadata, ObjectStore, StoredObject } from '../store/types.js';
import { checkBucketName } from '../store/names.js';

/**
 * The ObjectStore over Amazon S3 or an S3-compatible server, as the AWS CLI's validate-logs reads it
 * (behaviour §1-§4): GetBucketLocation once per bucket, then a client in the bucket's region;
 * ListObjects v1 with Prefix and Marker over all pages; GetObject streamed with its user metadata.
 *
 * Bucket names and keys come from digests and are hostile: a bucket name outside botocore's character
 * set fails as botocore fails it, before any request (as in LocalStore), so that an ARN-shaped
 * "bucket" can never steer a request to an access point or another endpoint; an empty key is an
 * object that does not exist.
 */
const MAX_KEY_BYTES = 4096;
/** A string with a lone surrogate has no UTF-8 form: the SDK fails it, and so it goes to the SDK. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** `TRAILPROOF_S3_SDK_ONLY=1`: every GetObject through the SDK, for an S3 set-up the fast path does not suit. */
export function sdkOnly(env: NodeJS.ProcessEnv = process.env): boolean {
  return /^(1|true|yes)$/i.test(env.TRAILPROOF_S3_SDK_ONLY ?? '');
}

export interface S3StoreOptions extends AwsClientOptions {
  /** Region whose endpoint answers GetBucketLocation (the AWS CLI uses its own region). */
  readonly region: string;
}

export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  private sdk: S3Sdk | undefined;
  private readonly clients = new Map<string, S3Client>();
  private readonly regions = new Map<string, Promise<string>>();
  /** Per bucket: how the fast path addresses it, or undefined when only the SDK may (fast-get.ts). */
  private readonly fastTargets = new Map<string, Promise<FastTarget | undefined>>();
  private readonly fast = !sdkOnly();

  constructor(private readonly options: S3StoreOptions) {}

  private async load(): Promise<S3Sdk> {
    this.sdk ??= await loadS3Sdk();
    return this.sdk;
  }

  /** One client per region, all sharing the options (endpoint, credentials, timeouts, retries). */
  private async client(region: string): Promise<S3Client> {
    const sdk = await this.load();
    let client = this.clients.get(region);
    if (!client) {
      quietSdk();
      client = new sdk.S3Client({
        ...awsClientConfig(this.options, region),
        forcePathStyle: this.options.endpoint !== undefined,
        // Real S3 answers a request sent to the wrong region with a redirect; follow it, as botocore does.
        followRegionRedirects: this.options.endpoint === undefined,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      recordRequestUrl(client);
      this.clients.set(region, client);
    }
    return client;
  }

  /** The bucket's region (GetBucketLocation, cached): an empty answer is us-east-1, `EU` is eu-west-1. */
  bucketRegion(bucket: string): Promise<string> {
    let region = this.regions.get(bucket);
    if (!region) {
      region = this.locate(bucket);
      this.regions.set(bucket, region);
      // A failure is not cached: the run stops on it anyway, and a library caller may retry.
      region.catch(() => this.regions.delete(bucket));
    }
    return region;
  }

  private async locate(bucket: string): Promise<string> {
    checkBucketName(bucket);
    const sdk = await this.load();
    const client = await this.client(this.options.region);
    try {
      const out = await client.send(new sdk.GetBucketLocationCommand({ Bucket: bucket }));
      const location: string = out.LocationConstraint ?? '';
      if (location === '') return 'us-east-1';
      if (location === 'EU') return 'eu-west-1';
      return location;
    } catch (err) {
      // RGW answers NoSuchBucket with an empty message: decide on the code, print AWS's wording.
      if (errorCode(err) === 'NoSuchBucket') throw noSuchBucket();
      throw awsError(err, 'GetBucketLocation');
    }
  }

  private async clientFor(bucket: string): Promise<S3Client> {
    return this.client(await this.bucketRegion(bucket));
  }

  async *list(bucket: string, options: ListOptions): AsyncGenerator<string> {
    const sdk = await this.load();
    const client = await this.clientFor(bucket);
    let marker = options.startAfter;
    for (;;) {
      let out;
      try {
        out = await client.send(
          new sdk.ListObjectsCommand({
            Bucket: bucket,
            ...(options.prefix !== '' ? { Prefix: options.prefix } : {}),
            ...(marker !== undefined ? { Marker: marker } : {}),
            // As botocore: keys that XML 1.0 cannot carry still list; decoded below.
            EncodingType: 'url',
          }),
        );
      } catch (err) {
        throw bucketError(err, 'ListObjects');
      }
      const encoded = out.EncodingType === 'url';
      let last: string | undefined;
      for (const entry of out.Contents ?? []) {
        if (entry.Key === undefined) continue;
        last = encoded ? decodeListedKey(entry.Key) : entry.Key;
        yield last;
      }
      if (out.IsTruncated !== true) return;
      // Without a Delimiter the next marker is the last key. RGW also sends NextMarker (AWS does
      // not), and does not URL-encode it: the last key is right on both.
      if (last === undefined || (marker !== undefined && Buffer.compare(Buffer.from(last), Buffer.from(marker)) <= 0)) {
        throw new StoreError('Other', `An error occurred (InvalidResponse) when calling the ListObjects operation: the listing of ${bucket} did not advance`);
      }
      marker = last;
    }
  }

  /**
   * A digest, whole: inflated in one call, with no trip through the zlib thread pool, because each
   * digest read is on the walk's critical path. Refused past `limit` bytes, as LocalStore refuses it.
   */
  async getBytes(bucket: string, key: string, limit: number): Promise<{ bytes: Buffer; metadata: Metadata } | undefined> {
    const object = await this.get(bucket, key);
    if (!object) return undefined;
    const tooLarge = () => new StoreError('Other', `s3://${bucket}/${key} is larger than ${limit} bytes`);
    try {
      if (object.size !== undefined && object.size > limit) throw tooLarge();
      const parts: Buffer[] = [];
      let length = 0;
      for await (const chunk of object.body) {
        length += chunk.byteLength;
        if (length > limit) throw tooLarge();
        parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      }
      return { bytes: Buffer.concat(parts, length), metadata: object.metadata };
    } finally {
      await object.close();
    }
  }

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    const sdk = await this.load();
    const client = await this.clientFor(bucket);
    if (!validKey(key)) return undefined;
    const fast = this.fast ? await this.fastGet(sdk, client, bucket, key) : undefined;
    if (fast) return fast;
    let out;
    try {
      out = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      const code = errorCode(err);
      if (code === 'NoSuchKey' || (code !== 'NoSuchBucket' && httpStatus(err) === 404)) return undefined;
      throw bucketError(err, 'GetObject');
    }
    const body = out.Body as (Readable & AsyncIterable<Uint8Array>) | undefined;
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(out.Metadata ?? {})) {
      if (typeof value === 'string') metadata[name.toLowerCase()] = value;
    }
    return {
      metadata,
      body: body ? guardedBody(body, requestUrlOf(out)) : emptyBody(),
      ...(out.ContentLength !== undefined ? { size: out.ContentLength } : {}),
      close: async () => {
        body?.destroy();
      },
    };
  }

  /** The object through the fast path, or undefined for any outcome but a 200 (then the SDK asks again). */
  private async fastGet(sdk: S3Sdk, client: S3Client, bucket: string, key: string): Promise<StoredObject | undefined> {
    if (LONE_SURROGATE.test(key)) return undefined;
    let target = this.fastTargets.get(bucket);
    if (!target) {
      target = findFastTarget(sdk, client, bucket).catch(() => undefined);
      this.fastTargets.set(bucket, target);
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
    const pool = connectionPool(this.options);
    const got = await fastGetObject(where, key, credentials, Date.now() + (client.config.systemClockOffset ?? 0), {
      agent: where.protocol === 'https:' ? pool.https : pool.http,
      connectTimeoutMs: this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      socketTimeoutMs: this.options.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
    });
    if (!got) return undefined;
    return {
      metadata: got.metadata,
      body: guardedBody(got.body, got.url),
      ...(got.size !== undefined ? { size: got.size } : {}),
      close: async () => {
        got.body.destroy();
      },
    };
  }

  async put(bucket: string, key: string, body: Uint8Array, metadata: Metadata = {}): Promise<void> {
    const sdk = await this.load();
    if (!validKey(key)) throw new StoreError('Other', `Refusing to write an object with an unsafe name: s3://${bucket}/${key}`);
    const client = await this.clientFor(bucket);
    try {
      await client.send(
        new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentLength: body.byteLength, Metadata: { ...metadata } }),
      );
    } catch (err) {
      throw bucketError(err, 'PutObject');
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const sdk = await this.load();
    const client = await this.clientFor(bucket);
    if (!validKey(key)) return;
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      throw bucketError(err, 'DeleteObject');
    }
  }

  /** Closes the clients' connection pools (the CLI exits anyway; tests and library callers use it). */
  destroy(): void {
    for (const client of this.clients.values()) client.destroy();
    this.clients.clear();
  }
}

function validKey(key: string): boolean {
  return key.length > 0 && Buffer.byteLength(key) <= MAX_KEY_BYTES;
}

function bucketError(err: unknown, operation: string): StoreError {
  if (errorCode(err) === 'NoSuchBucket') {
    return new StoreError('NoSuchBucket', `An error occurred (NoSuchBucket) when calling the ${operation} operation: The specified bucket does not exist`, {
      cause: err,
    });
  }
  return awsError(err, operation);
}

/** `encoding-type=url` keys: AWS writes a space as `+` (botocore decodes with unquote_plus). */
export function decodeListedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** The body as it arrives; a connection lost or stalled midway is a StoreError, like any other S3 failure. */
async function* guardedBody(body: AsyncIterable<Uint8Array>, url: string | undefined): AsyncGenerator<Uint8Array> {
  try {
    yield* body;
  } catch (err) {
    tagUrl(err, url);
    throw awsError(err, 'GetObject');
  }
}

// ---------------------------------------------------------------------------------------------
// The AWS SDK at the boundary, shared with the CloudTrail key source: lazy loading, quiet clients
// with bounded timeouts and retries, and SDK errors turned into the AWS CLI's one-line messages.

export type S3Sdk = typeof import('@aws-sdk/client-s3');

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

/** The SDK writes nothing to our stderr: its report is part of the contract (behaviour §5). */
const SILENT = { trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Must run before any client is created: the SDK checks it in every client's constructor. */
export function quietSdk(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

export async function loadS3Sdk(): Promise<S3Sdk> {
  return importSdk('@aws-sdk/client-s3', () => import('@aws-sdk/client-s3'));
}

/** Loads an SDK package on first use (a local run never does); a missing package says so. */
export async function importSdk<T>(name: string, load: () => Promise<T>): Promise<T> {
  quietSdk();
  try {
    return await load();
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
      throw new StoreError('Other', `Reading AWS needs the package ${name}, which is not installed (npm install ${name})`, { cause: err });
    }
    throw err;
  }
}

const agents = new WeakMap<AwsClientOptions, { http: HttpAgent; https: HttpsAgent }>();
const CONNECT_TIMEOUT_MS = 3000;
const SOCKET_TIMEOUT_MS = 30_000;

/** The keep-alive agents of one set of options: the SDK's clients and the GetObject fast path share them. */
function connectionPool(o: AwsClientOptions): { http: HttpAgent; https: HttpsAgent } {
  let pool = agents.get(o);
  if (!pool) {
    const maxSockets = o.maxSockets ?? 128;
    pool = {
      http: new HttpAgent({ keepAlive: true, maxSockets }),
      https: new HttpsAgent({ keepAlive: true, maxSockets, rejectUnauthorized: o.verifySsl !== false }),
    };
    agents.set(o, pool);
  }
  return pool;
}

/** Client settings common to S3, CloudTrail and Organizations. */
export function awsClientConfig(o: AwsClientOptions, region: string) {
  const pool = connectionPool(o);
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

interface UrlParts {
  protocol?: string;
  hostname?: string;
  port?: number;
  path?: string;
  query?: Record<string, string | string[] | null>;
}
const REQUEST_URL = Symbol('trailproof.requestUrl');

/** Remembers on a failure the URL it was sent to: the AWS CLI names it in network errors. */
export function recordRequestUrl(client: {
  middlewareStack: { add(mw: unknown, options: { step: 'build'; name: string; override: boolean }): void };
}): void {
  const middleware =
    (next: (args: { request: unknown }) => Promise<unknown>) =>
    async (args: { request: unknown }): Promise<unknown> => {
      let result: unknown;
      try {
        result = await next(args);
      } catch (err) {
        tagUrl(err, urlOf(args.request as UrlParts));
        throw err;
      }
      // Also on the output: a streamed body can still fail after the response has arrived.
      tagUrl((result as { output?: unknown } | undefined)?.output, urlOf(args.request as UrlParts));
      return result;
    };
  client.middlewareStack.add(middleware, { step: 'build', name: 'trailproofRequestUrl', override: true });
}

function tagUrl(target: unknown, url: string | undefined): void {
  if (url !== undefined && typeof target === 'object' && target !== null && !(REQUEST_URL in target)) {
    Object.defineProperty(target, REQUEST_URL, { value: url, enumerable: false });
  }
}

/** The URL recorded by recordRequestUrl on an error or an output, if any. */
export function requestUrlOf(target: unknown): string | undefined {
  return typeof target === 'object' && target !== null ? (target as { [REQUEST_URL]?: string })[REQUEST_URL] : undefined;
}

function urlOf(r: UrlParts): string | undefined {
  if (typeof r !== 'object' || r === null || !r.hostname) return undefined;
  const port = r.port ? `:${r.port}` : '';
  const query = Object.entries(r.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as const) : [[k, v] as const]))
    .map(([k, v]) => (v === null || v === '' ? encodeURIComponent(k) : `${encodeURIComponent(k)}=${encodeURIComponent(v)}`))
    .join('&');
  return `${r.protocol ?? 'https:'}//${r.hostname}${port}${r.path ?? '/'}${query ? `?${query}` : ''}`;
}

interface SdkErrorShape {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  Code?: unknown;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  [REQUEST_URL]?: string;
}

function shape(err: unknown): SdkErrorShape {
  return typeof err === 'object' && err !== null ? (err as SdkErrorShape) : {};
}

/** The service's error code (S3: `<Code>`), never its message (RGW sends empty messages). */
export function errorCode(err: unknown): string | undefined {
  const e = shape(err);
  if (typeof e.Code === 'string' && e.Code !== '') return e.Code;
  if (e.$metadata?.httpStatusCode !== undefined && typeof e.name === 'string') return e.name;
  return undefined;
}

export function httpStatus(err: unknown): number | undefined {
  return shape(err).$metadata?.httpStatusCode;
}

/** AWS's own wording, for servers that leave `<Message>` empty. */
const KNOWN_MESSAGES: Record<string, string> = {
  NoSuchBucket: 'The specified bucket does not exist',
  NoSuchKey: 'The specified key does not exist.',
  AccessDenied: 'Access Denied',
  InvalidAccessKeyId: 'The AWS Access Key Id you provided does not exist in our records.',
  SignatureDoesNotMatch:
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
  RequestTimeTooSkewed: 'The difference between the request time and the current time is too large.',
  SlowDown: 'Please reduce your request rate.',
  InternalError: 'We encountered an internal error. Please try again.',
};

const DENIED = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'UnrecognizedClientException']);
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Any SDK failure as a StoreError with the AWS CLI's one-line message for it. */
export function awsError(err: unknown, operation: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = shape(err);
  const name = typeof e.name === 'string' ? e.name : '';
  const sysCode = typeof e.code === 'string' ? e.code : '';
  const at = e[REQUEST_URL] !== undefined ? `: "${e[REQUEST_URL]}"` : '';
  const fail = (kind: StoreErrorKind, message: string) => new StoreError(kind, message, { cause: err });
  if (name === 'CredentialsProviderError') {
    return fail('AccessDenied', 'Unable to locate credentials. You can configure credentials by running "aws configure".');
  }
  if (UNREACHABLE.has(sysCode)) return fail('Unreachable', `Could not connect to the endpoint URL${at}`);
  if (CLOSED.has(sysCode)) return fail('Unreachable', `Connection was closed before we received a valid response from endpoint URL${at}.`);
  if (name === 'TimeoutError' || sysCode === 'ETIMEDOUT') {
    const connect = /did not establish a connection/.test(messageOf(err));
    return fail('Unreachable', `${connect ? 'Connect' : 'Read'} timeout on endpoint URL${at}`);
  }
  if (/^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(sysCode)) {
    return fail('Unreachable', `SSL validation failed for ${e[REQUEST_URL] ?? 'the endpoint'} ${oneLine(messageOf(err))}`);
  }
  const status = httpStatus(err);
  if (status !== undefined) {
    let code = errorCode(err) ?? '';
    let message = oneLine(typeof e.message === 'string' ? e.message : '');
    if (code === '' || code === 'Unknown' || code === 'UnknownError' || ((code === 'NotFound' || code === 'Forbidden') && message === 'UnknownError')) {
      code = String(status);
    }
    if (message === '' || message === 'UnknownError' || message === code) message = KNOWN_MESSAGES[code] ?? STATUS_CODES[status] ?? 'Unknown';
    const attempts = e.$metadata?.attempts ?? 1;
    const retries = attempts > 1 ? ` (reached max retries: ${attempts - 1})` : '';
    const kind: StoreErrorKind = DENIED.has(code) || status === 403 ? 'AccessDenied' : code === 'NoSuchBucket' ? 'NoSuchBucket' : 'Other';
    return fail(kind, `An error occurred (${code}) when calling the ${operation} operation${retries}: ${message}`);
  }
  return fail('Other', `An error occurred when calling the ${operation} operation: ${oneLine(messageOf(err)) || name || 'Unknown'}`);
}

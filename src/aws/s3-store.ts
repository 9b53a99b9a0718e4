import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { noSuchBucket, objectTooLarge, StoreError } from '../store/errors.js';
import { byteCompare, checkBucketName } from '../store/names.js';
import { followJumps } from '../store/jumps.js';
import { readLogsThrough, readStoredLog } from '../store/read-logs.js';
import type { ListOptions, LogObjectRead, Metadata, ObjectRef, ObjectStore, PutOptions, StoredObject } from '../store/types.js';
import { decodeListedKey, type ListPage } from './s3-xml.js';
import { awsClientConfig, connectionPool, CONNECT_TIMEOUT_MS, SOCKET_TIMEOUT_MS, type AwsClientOptions, type ConnectionPool } from './client-config.js';
import { awsError, bucketError, errorCode, httpStatus } from './errors.js';
import { emptyBody, guardedBody, readBounded, readFastLog } from './s3-body.js';
import { userMetadata } from './fast-get.js';
import { FastS3 } from './fast-s3.js';
import { findFastTarget } from './fast-target.js';
import { recordRequestUrl, requestUrlOf } from './request-url.js';
import { credentialProvider, type CredentialProvider } from './s3-config.js';
import { putObject } from './s3-put.js';
import { loadS3Sdk, type S3Sdk } from './sdk.js';

/**
 * The ObjectStore over Amazon S3 or an S3-compatible server, as the AWS CLI's validate-logs reads it (§1-§4): GetBucketLocation
 * once per bucket, then a client in its region; ListObjects v1 (Prefix, Marker) over all pages; GetObject streamed with metadata.
 *
 * Bucket names and keys come from digests and are hostile: a bucket name outside botocore's character
 * set fails as botocore fails it, before any request (as in LocalStore), so that an ARN-shaped
 * "bucket" can never steer a request to an access point or another endpoint; an empty key is an
 * object that does not exist.
 */
const MAX_KEY_BYTES = 4096;

export interface S3StoreOptions extends AwsClientOptions {
  /** Region whose endpoint answers GetBucketLocation (the AWS CLI uses its own region). */
  readonly region: string;
  /** Every GetObject through the SDK (the CLI sets it from `TRAILPROOF_S3_SDK_ONLY=1`): no fast path. */
  readonly sdkOnly?: boolean | undefined;
}

export class S3Store implements ObjectStore {
  readonly kind = 's3' as const;
  private sdk: S3Sdk | undefined;
  private readonly clients = new Map<string, S3Client>();
  private readonly regions = new Map<string, Promise<string>>();
  /** The keep-alive agents of this store: its SDK clients and its fast path share them. */
  private readonly pool: ConnectionPool;
  /** The fast path (fast-s3.ts), owned by this store; undefined when only the SDK may ask. */
  private readonly fast: FastS3 | undefined;
  /** One credential chain for the fast path and the SDK clients (s3-config.ts). */
  private readonly credentials: CredentialProvider;

  constructor(private readonly options: S3StoreOptions) {
    this.pool = connectionPool(options);
    this.credentials = credentialProvider(options);
    this.fast =
      options.sdkOnly === true
        ? undefined
        : new FastS3({
            pool: this.pool,
            connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
            socketTimeoutMs: options.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
            endpoint: options.endpoint,
            profile: options.profile,
            credentials: this.credentials,
            clockOffset: () => this.clients.values().next().value?.config.systemClockOffset ?? 0,
            sdkTarget: async (bucket, region) => findFastTarget(await this.load(), await this.client(region), bucket),
          });
  }

  private async load(): Promise<S3Sdk> {
    this.sdk ??= await loadS3Sdk();
    return this.sdk;
  }

  /** One client per region, all sharing the options (endpoint, credentials, timeouts, retries). */
  private async client(region: string): Promise<S3Client> {
    const sdk = await this.load();
    let client = this.clients.get(region);
    if (!client) {
      client = new sdk.S3Client({
        ...awsClientConfig({ ...this.options, credentials: this.credentials }, region, this.pool),
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
    const location = (await this.fast?.location(bucket, this.options.region)) ?? (await this.sdkLocation(bucket));
    if (location === '') return 'us-east-1';
    if (location === 'EU') return 'eu-west-1';
    return location;
  }

  private async sdkLocation(bucket: string): Promise<string> {
    const sdk = await this.load();
    const client = await this.client(this.options.region);
    try {
      const out = await client.send(new sdk.GetBucketLocationCommand({ Bucket: bucket }));
      return out.LocationConstraint ?? '';
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
    const floor: { after: string | undefined } = { after: undefined };
    if (options.jump) yield* followJumps(this.pages(bucket, options, floor), options.jump, floor);
    else for await (const page of this.pages(bucket, options)) yield* page.keys;
  }

  /** Keys with their LastModified (UTC micros; NaN when the answer has none): `sign --logs-prefix`. */
  async *listEntries(bucket: string, options: ListOptions): AsyncGenerator<{ key: string; lastModified: number }> {
    for await (const page of this.pages(bucket, options))
      for (let i = 0; i < page.keys.length; i++) yield { key: page.keys[i]!, lastModified: page.modified[i] ?? Number.NaN };
  }

  /** The listing's pages, their keys decoded (one step per page, not per key); a `floor` past the last key is the next marker (jumps). */
  private async *pages(
    bucket: string,
    options: ListOptions,
    floor?: { readonly after: string | undefined },
  ): AsyncGenerator<{ keys: string[]; modified: number[] }> {
    // The bucket's first listing goes out with its GetBucketLocation, signed for the CLI's region (one
    // round trip less, issue 15); its answer is taken only if the bucket is in that region.
    checkBucketName(bucket);
    const guess = this.regions.has(bucket)
      ? undefined
      : this.fast?.listPage(bucket, this.options.region, options.prefix, options.startAfter).catch(() => undefined);
    const region = await this.bucketRegion(bucket);
    let first = region === this.options.region ? await guess : undefined;
    // The guess was this very request and the fast path did not take its answer: straight to the SDK.
    let fastTried = guess !== undefined && region === this.options.region && first === undefined;
    let marker = options.startAfter;
    for (;;) {
      const page =
        first ??
        (fastTried ? undefined : await this.fast?.listPage(bucket, region, options.prefix, marker)) ??
        (await this.sdkListPage(bucket, region, options.prefix, marker));
      first = undefined;
      fastTried = false;
      const keys = page.encoded ? page.keys.map(decodeListedKey) : page.keys;
      yield { keys, modified: page.modified };
      const last = keys[keys.length - 1];
      if (!page.truncated) return;
      // Without a Delimiter the next marker is the last key. RGW also sends NextMarker (AWS does
      // not), and does not URL-encode it: the last key is right on both.
      if (last === undefined || (marker !== undefined && Buffer.compare(Buffer.from(last), Buffer.from(marker)) <= 0)) {
        throw new StoreError('Other', `An error occurred (InvalidResponse) when calling the ListObjects operation: the listing of ${bucket} did not advance`);
      }
      marker = floor?.after !== undefined && byteCompare(floor.after, last) > 0 ? floor.after : last;
    }
  }

  private async sdkListPage(bucket: string, region: string, prefix: string, marker: string | undefined): Promise<ListPage> {
    const sdk = await this.load();
    const client = await this.client(region);
    let out;
    try {
      out = await client.send(
        new sdk.ListObjectsCommand({
          Bucket: bucket,
          ...(prefix !== '' ? { Prefix: prefix } : {}),
          ...(marker !== undefined ? { Marker: marker } : {}),
          // As botocore: keys that XML 1.0 cannot carry still list; decoded by the caller.
          EncodingType: 'url',
        }),
      );
    } catch (err) {
      throw bucketError(err, 'ListObjects');
    }
    const listed = (out.Contents ?? []).filter((entry) => entry.Key !== undefined);
    return {
      keys: listed.map((entry) => entry.Key!),
      modified: listed.map((entry) => (entry.LastModified instanceof Date ? entry.LastModified.getTime() * 1000 : Number.NaN)),
      truncated: out.IsTruncated === true,
      encoded: out.EncodingType === 'url',
    };
  }

  /**
   * A digest, whole: inflated in one call, with no trip through the zlib thread pool, because each
   * digest read is on the walk's critical path. Refused past `limit` bytes, as LocalStore refuses it.
   */
  async getBytes(bucket: string, key: string, limit: number): Promise<{ bytes: Buffer; metadata: Metadata } | undefined> {
    const object = await this.get(bucket, key);
    if (!object) return undefined;
    return { bytes: await readBounded(object, () => objectTooLarge(bucket, key, limit), limit), metadata: object.metadata };
  }

  async get(bucket: string, key: string): Promise<StoredObject | undefined> {
    const region = await this.bucketRegion(bucket);
    if (!validKey(key)) return undefined;
    const fast = await this.fast?.getObject(bucket, region, key);
    if (fast) {
      const { res, size, url } = fast;
      return {
        metadata: userMetadata(res),
        body: guardedBody(res, url),
        ...(size !== undefined ? { size } : {}),
        close: async () => {
          res.destroy();
        },
      };
    }
    return this.sdkGet(bucket, region, key);
  }

  private async sdkGet(bucket: string, region: string, key: string): Promise<StoredObject | undefined> {
    const sdk = await this.load();
    const client = await this.client(region);
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

  /**
   * Log objects: each GET on the fast path read straight into its buffer (s3-body.ts readFastLog);
   * what the fast path does not take is read through the SDK, as `get` would.
   */
  readLogs(objects: readonly ObjectRef[], o: { readonly eventTimes: boolean }): Promise<LogObjectRead[]> {
    return readLogsThrough(this, objects, o.eventTimes, async ({ bucket, key }) => {
      const region = await this.bucketRegion(bucket);
      if (!validKey(key)) return { kind: 'missing' };
      const fast = await this.fast?.getObject(bucket, region, key);
      return fast ? readFastLog(fast, o.eventTimes) : readStoredLog(await this.sdkGet(bucket, region, key), o.eventTimes);
    });
  }

  async put(bucket: string, key: string, body: Uint8Array, metadata: Metadata = {}, options: PutOptions = {}): Promise<void> {
    const sdk = await this.load();
    if (!validKey(key)) throw new StoreError('Other', `Refusing to write an object with an unsafe name: s3://${bucket}/${key}`);
    const client = await this.clientFor(bucket);
    await putObject(sdk, client, { bucket, key, body, metadata, createOnly: options.createOnly === true });
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
    this.fast?.clear();
  }
}

function validKey(key: string): boolean {
  return key.length > 0 && Buffer.byteLength(key) <= MAX_KEY_BYTES;
}

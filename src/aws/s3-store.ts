import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { noSuchBucket, StoreError } from '../store/errors.js';
import { checkBucketName } from '../store/names.js';
import type { ListOptions, Metadata, ObjectStore, PutOptions, StoredObject } from '../store/types.js';
import { awsClientConfig, connectionPool, CONNECT_TIMEOUT_MS, SOCKET_TIMEOUT_MS, type AwsClientOptions, type ConnectionPool } from './client-config.js';
import { awsError, bucketError, errorCode, httpStatus } from './errors.js';
import { FastGet } from './fast-get.js';
import { recordRequestUrl, requestUrlOf, tagUrl } from './request-url.js';
import { loadS3Sdk, type S3Sdk } from './sdk.js';

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
  /** The GetObject fast path (fast-get.ts), owned by this store; undefined when only the SDK may ask. */
  private readonly fast: FastGet | undefined;

  constructor(private readonly options: S3StoreOptions) {
    this.pool = connectionPool(options);
    this.fast =
      options.sdkOnly === true
        ? undefined
        : new FastGet({
            pool: this.pool,
            connectTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
            socketTimeoutMs: options.socketTimeoutMs ?? SOCKET_TIMEOUT_MS,
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
        ...awsClientConfig(this.options, region, this.pool),
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
    for await (const entry of this.listEntries(bucket, options)) yield entry.key;
  }

  /** Keys with their LastModified (UTC micros): `sign --logs-prefix`. */
  async *listEntries(bucket: string, options: ListOptions): AsyncGenerator<{ key: string; lastModified: number }> {
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
        yield { key: last, lastModified: entry.LastModified instanceof Date ? entry.LastModified.getTime() * 1000 : Number.NaN };
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
    const fast = this.fast ? await this.fastGet(this.fast, sdk, client, bucket, key) : undefined;
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
  private async fastGet(fast: FastGet, sdk: S3Sdk, client: S3Client, bucket: string, key: string): Promise<StoredObject | undefined> {
    const got = await fast.get(sdk, client, bucket, key);
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

  async put(bucket: string, key: string, body: Uint8Array, metadata: Metadata = {}, options: PutOptions = {}): Promise<void> {
    const sdk = await this.load();
    if (!validKey(key)) throw new StoreError('Other', `Refusing to write an object with an unsafe name: s3://${bucket}/${key}`);
    const client = await this.clientFor(bucket);
    try {
      await client.send(
        new sdk.PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.byteLength,
          // S3 checks it (a body changed on the way is refused), and a bucket with Object Lock (a
          // witness) requires it on every PutObject.
          ContentMD5: createHash('md5').update(body).digest('base64'),
          Metadata: { ...metadata },
          // S3 conditional writes: the object and its metadata are written only if the key is free.
          ...(options.createOnly === true ? { IfNoneMatch: '*' } : {}),
        }),
      );
    } catch (err) {
      const status = httpStatus(err);
      // 412: the key is taken; 409 ConditionalRequestConflict: another conditional write of it is under way.
      if (options.createOnly === true && (status === 412 || (status === 409 && errorCode(err) === 'ConditionalRequestConflict'))) {
        throw new StoreError('Exists', `s3://${bucket}/${key} already exists (written by another signer)`, { cause: err });
      }
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
    this.fast?.clear();
  }
}

function validKey(key: string): boolean {
  return key.length > 0 && Buffer.byteLength(key) <= MAX_KEY_BYTES;
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

import type { ConnectionPool } from './client-config.js';
import { fastGet, readWhole, type FastAnswer } from './fast-get.js';
import { ownTarget, type FastTarget } from './fast-target.js';
import { addressingSettings, type AddressingSettings, type CredentialProvider } from './s3-config.js';
import { parseListPage, parseLocation, type ListPage } from './s3-xml.js';
import { GetSigner, SigningKeyCache, uriEncode } from './sigv4.js';

/**
 * The S3 store's fast path (issues 5 and 15): GetBucketLocation, ListObjects and GetObject signed
 * here and sent on node:http, so that a run that meets no error never loads the S3 client. Each
 * method answers undefined for anything but a 200 it fully understands; the store then asks the SDK,
 * whose retries, redirects and error messages stay the contract.
 */
export interface FastS3Options {
  readonly pool: ConnectionPool;
  readonly connectTimeoutMs: number;
  readonly socketTimeoutMs: number;
  /** `--endpoint-url`. */
  readonly endpoint: string | undefined;
  readonly profile: string | undefined;
  readonly credentials: CredentialProvider;
  /** The SDK's clock correction once an S3 client exists (it learns it from a RequestTimeTooSkewed), else 0. */
  readonly clockOffset: () => number;
  /** The SDK's own target (fast-target.ts findFastTarget), for what ownTarget leaves undecided. */
  readonly sdkTarget: (bucket: string, region: string) => Promise<FastTarget | undefined>;
}

/** A ListObjects page of 1,000 keys of up to 1,024 bytes, URL-encoded, fits well within this. */
const MAX_LIST_BYTES = 8 << 20;
const MAX_LIST_ELEMENTS = 20_000;
const MAX_LOCATION_BYTES = 4096;
/** A string with a lone surrogate has no UTF-8 form: the SDK fails it, and so it goes to the SDK. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const GET_OBJECT_QUERY = 'x-id=GetObject';

export class FastS3 {
  private readonly targets = new Map<string, Promise<FastTarget | undefined>>();
  private readonly settings: Promise<AddressingSettings | undefined>;
  private readonly signingKeys = new SigningKeyCache();
  private readonly signer = new GetSigner(this.signingKeys);

  constructor(private readonly o: FastS3Options) {
    // Loaded now, while the command sets up (keys, listing plan): the first request needs them. A
    // configuration the loaders cannot read leaves every decision to the SDK (which then says why).
    this.settings = addressingSettings(o.profile).catch(() => undefined);
  }

  /** Where requests for `bucket` signed for `region` go: found once, without the SDK when it can be. */
  target(bucket: string, region: string): Promise<FastTarget | undefined> {
    const id = `${region}\0${bucket}`;
    let target = this.targets.get(id);
    if (!target) {
      target = this.findTarget(bucket, region).catch(() => undefined);
      this.targets.set(id, target);
    }
    return target;
  }

  private async findTarget(bucket: string, region: string): Promise<FastTarget | undefined> {
    const s = await this.settings;
    const plain = s !== undefined && !s.fips && !s.dualStack && (this.o.endpoint !== undefined || !s.configuredEndpoint);
    return (plain ? ownTarget({ endpoint: this.o.endpoint, region, bucket }) : undefined) ?? this.o.sdkTarget(bucket, region);
  }

  private async send(target: FastTarget, encodedPath: string, query: string): Promise<FastAnswer | undefined> {
    let credentials;
    try {
      credentials = await this.o.credentials();
    } catch {
      // The SDK then fails the same way, in its words.
      return undefined;
    }
    const { pool, connectTimeoutMs, socketTimeoutMs } = this.o;
    const agent = target.protocol === 'https:' ? pool.https : pool.http;
    return fastGet(target, encodedPath, query, credentials, Date.now() + this.o.clockOffset(), {
      agent,
      connectTimeoutMs,
      socketTimeoutMs,
      signer: this.signer,
    });
  }

  /** GetBucketLocation, sent in `region` (the CLI's): the LocationConstraint text, or undefined (ask the SDK). */
  async location(bucket: string, region: string): Promise<string | undefined> {
    const target = await this.target(bucket, region);
    const answer = target && (await this.send(target, '', 'location='));
    const body = answer && (await readWhole(answer, MAX_LOCATION_BYTES));
    return body && parseLocation(body.toString('utf8'));
  }

  /** One ListObjects (v1) page, or undefined (ask the SDK for the same page). */
  async listPage(bucket: string, region: string, prefix: string, marker: string | undefined): Promise<ListPage | undefined> {
    if (LONE_SURROGATE.test(prefix) || (marker !== undefined && LONE_SURROGATE.test(marker))) return undefined;
    const target = await this.target(bucket, region);
    if (!target) return undefined;
    // The SDK's parameters (EncodingType, Marker, Prefix), in the canonical order; empty ones are not sent.
    let query = 'encoding-type=url';
    if (marker !== undefined) query += `&marker=${uriEncode(marker, false)}`;
    if (prefix !== '') query += `&prefix=${uriEncode(prefix, false)}`;
    const answer = await this.send(target, '', query);
    const body = answer && (await readWhole(answer, MAX_LIST_BYTES));
    return body && parseListPage(body.toString('utf8'), MAX_LIST_ELEMENTS);
  }

  /** GetObject: the 200 answer streaming the object, or undefined (ask the SDK). */
  async getObject(bucket: string, region: string, key: string): Promise<FastAnswer | undefined> {
    if (LONE_SURROGATE.test(key)) return undefined;
    const target = await this.target(bucket, region);
    return target && this.send(target, uriEncode(key, true), GET_OBJECT_QUERY);
  }

  /** Forgets the signing keys (the store is being destroyed). */
  clear(): void {
    this.signingKeys.clear();
  }
}

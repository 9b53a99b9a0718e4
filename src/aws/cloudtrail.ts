import type { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import { TrailproofError } from '../errors.js';
import { loadPkcs1PublicKey, type RsaPublicKey } from '../crypto/rsa.js';
import { MICROS_PER_SECOND } from '../format/time.js';
import { trailFromList, type TrailInfo } from '../format/trails.js';
import type { PublicKeyRecord, PublicKeySource } from '../keys/types.js';
import { awsClientConfig, type AwsClientOptions } from './client-config.js';
import { awsError } from './errors.js';
import { recordRequestUrl } from './request-url.js';
import { loadCloudTrailSdk, loadOrganizationsSdk, type CloudTrailSdk, type OrganizationsSdk } from './sdk.js';

/**
 * CloudTrail itself as the key source (behaviour §2, §6): ListPublicKeys, plus the two calls the
 * AWS CLI makes when it is not told where the digests are (DescribeTrails and, for an organization
 * trail, Organizations DescribeOrganization). Clients are created, and the SDK loaded, on first use.
 */
export interface CloudTrailSourceOptions extends AwsClientOptions {
  /** The CLI's region: ListPublicKeys answers with that region's keys. */
  readonly region: string;
  /** CloudTrail's endpoint, when not AWS (the AWS CLI sends `--endpoint-url` here). */
  readonly cloudTrailEndpoint?: string | undefined;
  /** Organizations' endpoint, when not AWS. */
  readonly organizationsEndpoint?: string | undefined;
}

const MAX_PAGES = 1000;

/** botocore sends whole epoch seconds for these timestamps. */
function wholeSeconds(micros: number): Date {
  return new Date(Math.floor(micros / MICROS_PER_SECOND) * 1000);
}

export class CloudTrailSource implements PublicKeySource {
  private cloudTrail: Promise<{ client: CloudTrailClient; sdk: CloudTrailSdk }> | undefined;
  private organizations: Promise<{ client: OrganizationsClient; sdk: OrganizationsSdk }> | undefined;

  constructor(private readonly options: CloudTrailSourceOptions) {}

  private cloudTrailClient() {
    this.cloudTrail ??= (async () => {
      const sdk = await loadCloudTrailSdk();
      const { endpoint: _s3Endpoint, ...common } = this.options;
      const client = new sdk.CloudTrailClient(awsClientConfig({ ...common, endpoint: this.options.cloudTrailEndpoint }, this.options.region));
      recordRequestUrl(client);
      return { client, sdk };
    })();
    return this.cloudTrail;
  }

  private organizationsClient() {
    this.organizations ??= (async () => {
      const sdk = await loadOrganizationsSdk();
      const { endpoint: _s3Endpoint, ...common } = this.options;
      const client = new sdk.OrganizationsClient(awsClientConfig({ ...common, endpoint: this.options.organizationsEndpoint }, this.options.region));
      recordRequestUrl(client);
      return { client, sdk };
    })();
    return this.organizations;
  }

  /**
   * ListPublicKeys over [start, end] (UTC clock micros), every page. `Value` arrives decoded: the
   * DER bytes. They are loaded only when a digest names the key, and a key that is not a PKCS#1
   * RSAPublicKey throws there, so that the digest is reported `Unable to load PKCS #1 key` (§3.7).
   */
  async list(start: number, end: number): Promise<PublicKeyRecord[]> {
    const { client, sdk } = await this.cloudTrailClient();
    const records: PublicKeyRecord[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let out;
      try {
        out = await client.send(
          new sdk.ListPublicKeysCommand({ StartTime: wholeSeconds(start), EndTime: wholeSeconds(end), ...(token ? { NextToken: token } : {}) }),
        );
      } catch (err) {
        throw awsError(err, 'ListPublicKeys');
      }
      for (const entry of out.PublicKeyList ?? []) {
        if (typeof entry.Fingerprint !== 'string') continue;
        records.push(publicKeyRecord(entry.Fingerprint, entry.Value, validityOf(entry.ValidityStartTime, entry.ValidityEndTime)));
      }
      if (!out.NextToken || out.NextToken === token) return records;
      token = out.NextToken;
    }
    return records;
  }

  /** DescribeTrails (this region's trails and shadow trails), then the entry for `arn`. */
  async describeTrail(arn: string): Promise<TrailInfo> {
    const { client, sdk } = await this.cloudTrailClient();
    let out;
    try {
      out = await client.send(new sdk.DescribeTrailsCommand({}));
    } catch (err) {
      throw awsError(err, 'DescribeTrails');
    }
    return trailFromList(out.trailList ?? [], arn);
  }

  /** The caller's organization id (needed for an organization trail's key names). */
  async organizationId(): Promise<string> {
    const { client, sdk } = await this.organizationsClient();
    let out;
    try {
      out = await client.send(new sdk.DescribeOrganizationCommand({}));
    } catch (err) {
      throw awsError(err, 'DescribeOrganization');
    }
    const id = out.Organization?.Id;
    if (typeof id !== 'string' || id === '') throw new TrailproofError('input', 'DescribeOrganization returned no organization id');
    return id;
  }

  destroy(): void {
    void this.cloudTrail?.then(({ client }) => client.destroy());
    void this.organizations?.then(({ client }) => client.destroy());
  }
}

/** One key from ListPublicKeys; untrusted bytes until `loadPkcs1PublicKey` has parsed them strictly. */
export function publicKeyRecord(fingerprint: string, value: Uint8Array | undefined, validity?: { from: number; to: number }): PublicKeyRecord {
  let loaded: RsaPublicKey | undefined;
  return {
    fingerprint,
    validity,
    load: () => {
      if (!(value instanceof Uint8Array)) throw new TrailproofError('keys', `public key ${fingerprint} has no value`);
      loaded ??= loadPkcs1PublicKey(new Uint8Array(value));
      return loaded;
    },
  };
}

/** ListPublicKeys' validity times (Dates from the SDK) as micros, when both are there. */
function validityOf(from: unknown, to: unknown): { from: number; to: number } | undefined {
  if (!(from instanceof Date) || !(to instanceof Date) || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return undefined;
  return { from: from.getTime() * 1000, to: to.getTime() * 1000 };
}

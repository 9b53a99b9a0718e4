import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudTrailSource, publicKeyRecord } from '../../src/aws/cloudtrail.js';
import { StoreError } from '../../src/store/errors.js';
import { ROOT } from '../helpers/cli.js';
import { startMockCloudTrail, type MockAnswer, type MockCall, type MockCloudTrail } from '../s3/mock-cloudtrail.js';

/**
 * CloudTrailSource against a local stand-in for the CloudTrail and Organizations JSON APIs (no AWS,
 * no RGW needed): what is sent (operation, whole-second times, NextToken) and what is made of the
 * answers (DER `Value`, PKCS#1 only, trail lookup, organization id, error messages).
 */
// The CLI silences the SDK's Node version warning (src/cli/aws.ts); these tests use src/aws directly.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const keysJson = JSON.parse(readFileSync(join(ROOT, 'test', 'vectors', 'rotation', 'keys.json'), 'utf8')) as {
  PublicKeyList: Array<{ Value: string; Fingerprint: string }>;
};
const spki = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const ARN = 'arn:aws:cloudtrail:us-east-1:123456789012:trail/oracle-trail';

describe('CloudTrailSource', () => {
  let mock: MockCloudTrail;
  let endpoint: string;
  let failWith: { status: number; type: string; message: string } | undefined;
  const calls: Array<{ target: string; body: Record<string, unknown> }> = [];

  const answer = (call: MockCall): MockAnswer => {
    calls.push({ target: call.operation, body: call.body });
    if (failWith) return { status: failWith.status, error: failWith.type, message: failWith.message };
    const key = (i: number) => keysJson.PublicKeyList[i]!;
    switch (call.operation) {
      case 'ListPublicKeys':
        // Two pages: the first with one key and a token, the second with the other key and a broken one.
        if (call.body.NextToken === undefined) {
          return { body: { PublicKeyList: [{ ...key(0), ValidityStartTime: 1706562319, ValidityEndTime: 1711767919 }], NextToken: 'page-2' } };
        }
        return {
          body: {
            PublicKeyList: [
              { ...key(1), ValidityStartTime: 1706562319, ValidityEndTime: 1711767919 },
              { Value: spki, Fingerprint: '00000000000000000000000000000000', ValidityStartTime: 1, ValidityEndTime: 2 },
            ],
          },
        };
      case 'DescribeTrails':
        return {
          body: {
            trailList: [
              { Name: 'other', TrailARN: 'arn:aws:cloudtrail:us-east-1:123456789012:trail/other', S3BucketName: 'other-bucket' },
              { Name: 'oracle-trail', TrailARN: ARN, S3BucketName: 'oracle-trail-bucket', S3KeyPrefix: 'pfx', IsOrganizationTrail: true },
            ],
          },
        };
      case 'DescribeOrganization':
        return { body: { Organization: { Id: 'o-abc123def4', Arn: 'arn:aws:organizations::1:organization/o-abc123def4' } } };
      default:
        return { status: 400, error: 'UnknownOperationException', message: `unknown ${call.operation}` };
    }
  };

  beforeAll(async () => {
    mock = await startMockCloudTrail(answer);
    endpoint = mock.endpoint;
  });
  afterAll(async () => {
    await mock?.close();
  });

  const source = () =>
    new CloudTrailSource({
      region: 'us-east-1',
      cloudTrailEndpoint: endpoint,
      organizationsEndpoint: endpoint,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });

  it('lists every page of ListPublicKeys, sending whole seconds', async () => {
    calls.length = 0;
    failWith = undefined;
    const start = Date.UTC(2024, 1, 28, 21, 5, 19) * 1000 + 999_999;
    const end = Date.UTC(2024, 1, 29, 5, 5, 19) * 1000 + 500_000;
    const s = source();
    const records = await s.list(start, end);
    s.destroy();
    expect(calls.map((c) => c.target)).toEqual(['ListPublicKeys', 'ListPublicKeys']);
    expect(calls[0]!.body).toEqual({ StartTime: 1709154319, EndTime: 1709183119 });
    expect(calls[1]!.body).toEqual({ StartTime: 1709154319, EndTime: 1709183119, NextToken: 'page-2' });
    expect(records.map((r) => r.fingerprint)).toEqual([
      keysJson.PublicKeyList[0]!.Fingerprint,
      keysJson.PublicKeyList[1]!.Fingerprint,
      '00000000000000000000000000000000',
    ]);
    // Value arrives decoded: the DER bytes of a PKCS#1 RSAPublicKey.
    const key = records[0]!.load();
    expect(Buffer.from(key.der).toString('base64')).toBe(keysJson.PublicKeyList[0]!.Value);
    // An SPKI (not PKCS#1) key cannot be loaded: the verifier reports `Unable to load PKCS #1 key`.
    expect(() => records[2]!.load()).toThrow();
  });

  it('refuses a missing or malformed value only when the key is used', () => {
    expect(() => publicKeyRecord('f', undefined).load()).toThrow();
    expect(() => publicKeyRecord('f', new Uint8Array([0x30, 0x03, 0x02, 0x01])).load()).toThrow();
  });

  it('finds the trail in DescribeTrails, and the organization id', async () => {
    failWith = undefined;
    const s = source();
    expect(await s.describeTrail(ARN)).toEqual({ bucket: 'oracle-trail-bucket', prefix: 'pfx', isOrganizationTrail: true });
    await expect(s.describeTrail('arn:aws:cloudtrail:us-east-1:123456789012:trail/nope')).rejects.toThrow(
      'A trail could not be found for arn:aws:cloudtrail:us-east-1:123456789012:trail/nope',
    );
    expect(await s.organizationId()).toBe('o-abc123def4');
    s.destroy();
  });

  it('reports service errors in the AWS CLI words', async () => {
    failWith = { status: 400, type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' };
    const s = source();
    const err = await s.list(0, 1).catch((e: unknown) => e);
    s.destroy();
    failWith = undefined;
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).kind).toBe('AccessDenied');
    expect((err as StoreError).message).toBe(
      'An error occurred (UnrecognizedClientException) when calling the ListPublicKeys operation: The security token included in the request is invalid.',
    );
  });

  it('fails within seconds when CloudTrail cannot be reached', async () => {
    const s = new CloudTrailSource({ region: 'us-east-1', cloudTrailEndpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const t0 = Date.now();
    const err = await s.describeTrail(ARN).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect((err as StoreError).message).toBe('Could not connect to the endpoint URL: "http://127.0.0.1:1/"');
  });
});

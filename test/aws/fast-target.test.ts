import * as sdk from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { findFastTarget, ownTarget } from '../../src/aws/fast-target.js';

/**
 * How the GetObject fast path addresses a bucket: taken from the SDK's own request for it (nothing is
 * sent). The real-server behaviour is in test/s3/fast-get.test.ts.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };
const clients: sdk.S3Client[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

/** A client configured as S3Store configures its own. */
function client(region: string, endpoint?: string, extra: Partial<sdk.S3ClientConfig> = {}): sdk.S3Client {
  const c = new sdk.S3Client({
    region,
    credentials,
    ...(endpoint !== undefined ? { endpoint } : {}),
    forcePathStyle: endpoint !== undefined,
    followRegionRedirects: endpoint === undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...extra,
  });
  clients.push(c);
  return c;
}

describe('findFastTarget', () => {
  it('uses virtual-hosted addressing on AWS for a DNS-compatible bucket', async () => {
    const t = await findFastTarget(sdk, client('us-west-2'), 'my-trail-bucket');
    expect(t).toMatchObject({
      protocol: 'https:',
      hostname: 'my-trail-bucket.s3.us-west-2.amazonaws.com',
      host: 'my-trail-bucket.s3.us-west-2.amazonaws.com',
      origin: 'https://my-trail-bucket.s3.us-west-2.amazonaws.com',
      port: undefined,
      pathPrefix: '/',
      signingRegion: 'us-west-2',
    });
    expect(t!.userAgent).toMatch(/^aws-sdk-js\/\S+ .* md\/trailproof#fast-get$/);
  });

  it('uses path-style addressing on AWS for dotted (over https), upper-case and short bucket names', async () => {
    for (const bucket of ['my.trail.bucket', 'My_Bucket', 'ab', '192.168.1.1']) {
      const t = await findFastTarget(sdk, client('eu-west-1'), bucket);
      expect(t).toMatchObject({ protocol: 'https:', hostname: 's3.eu-west-1.amazonaws.com', pathPrefix: `/${bucket}/`, signingRegion: 'eu-west-1' });
    }
  });

  it('uses path-style addressing under a custom endpoint, its path and port kept', async () => {
    expect(await findFastTarget(sdk, client('us-east-1', 'http://127.0.0.1:7480'), 'bucket')).toMatchObject({
      protocol: 'http:',
      hostname: '127.0.0.1',
      port: 7480,
      host: '127.0.0.1:7480',
      origin: 'http://127.0.0.1:7480',
      pathPrefix: '/bucket/',
      signingRegion: 'us-east-1',
    });
    expect(await findFastTarget(sdk, client('eu-central-1', 'https://s3.example.test/base/'), 'my.bucket')).toMatchObject({
      protocol: 'https:',
      hostname: 's3.example.test',
      host: 's3.example.test',
      pathPrefix: '/base/my.bucket/',
      signingRegion: 'eu-central-1',
    });
  });

  it('follows the SDK for FIPS and dual-stack endpoints', async () => {
    expect(await findFastTarget(sdk, client('us-east-2', undefined, { useFipsEndpoint: true }), 'my-bucket')).toMatchObject({
      hostname: 'my-bucket.s3-fips.us-east-2.amazonaws.com',
      pathPrefix: '/',
    });
    expect(await findFastTarget(sdk, client('us-east-2', undefined, { useDualstackEndpoint: true }), 'my-bucket')).toMatchObject({
      hostname: 'my-bucket.s3.dualstack.us-east-2.amazonaws.com',
      pathPrefix: '/',
    });
  });

  it('leaves to the SDK what is not a plain SigV4 GET', async () => {
    // S3 Express One Zone (signed for another service; its session auth is off here: it would call
    // AWS), and checksum validation (an extra header).
    expect(await findFastTarget(sdk, client('us-east-1', undefined, { disableS3ExpressSessionAuth: true }), 'bucket--use1-az4--x-s3')).toBeUndefined();
    expect(await findFastTarget(sdk, client('us-east-1', undefined, { responseChecksumValidation: 'WHEN_SUPPORTED' }), 'my-bucket')).toBeUndefined();
  });

  it('leaves to the SDK a client without credentials', async () => {
    const c = client('us-east-1', 'http://127.0.0.1:7480', {
      credentials: async () => {
        throw new Error('no credentials');
      },
    });
    expect(await findFastTarget(sdk, c, 'bucket')).toBeUndefined();
  });
});

describe('ownTarget (the common cases without the SDK, issue 15)', () => {
  // Bucket names as they reach the store (botocore's character set), biased to the shapes that matter.
  const bucket = fc.oneof(
    fc.stringMatching(/^[a-z0-9][a-z0-9-]{1,20}[a-z0-9]$/),
    fc.stringMatching(/^[a-zA-Z0-9.\-_]{1,30}$/),
    fc.constantFrom('ab', 'a', '.', '..', '...', 'my.bucket', 'My_Bucket', '192.168.1.1', 'bucket--use1-az4--x-s3', 'a-b--c', 'x'.repeat(63), 'x'.repeat(64)),
  );
  const region = fc.constantFrom(
    'us-east-1',
    'us-west-2',
    'eu-west-1',
    'eu-central-1',
    'ap-southeast-2',
    'il-central-1',
    'cn-north-1',
    'us-gov-west-1',
    'us-iso-east-1',
  );
  const endpoint = fc.constantFrom(
    undefined,
    'http://127.0.0.1:7480',
    'http://127.0.0.1:7480/',
    'https://s3.example.test/base/',
    'https://s3.example.test/base',
    'https://[::1]:443',
    'http://[::1]:8080/x/y',
    'https://example.test:8443',
  );

  it("gives the SDK's own target whenever it gives one, for any bucket, region and endpoint", async () => {
    await fc.assert(
      fc.asyncProperty(bucket, region, endpoint, async (b, r, e) => {
        const own = ownTarget({ endpoint: e, region: r, bucket: b });
        if (own === undefined) return;
        const theirs = await findFastTarget(sdk, client(r, e), b);
        const { userAgent: _ours, ...ownRest } = own;
        expect(theirs).toBeDefined();
        const { userAgent: _theirs, ...theirRest } = theirs!;
        expect(ownRest).toEqual(theirRest);
        expect(own.userAgent).toMatch(/ md\/trailproof#fast-get$/);
      }),
      { numRuns: 300 },
    );
  });

  it('decides the common cases itself and leaves the rest to the SDK', () => {
    expect(ownTarget({ endpoint: 'http://127.0.0.1:7480', region: 'us-east-1', bucket: 'My.Bucket_1' })?.pathPrefix).toBe('/My.Bucket_1/');
    expect(ownTarget({ endpoint: undefined, region: 'eu-west-1', bucket: 'my-bucket' })?.host).toBe('my-bucket.s3.eu-west-1.amazonaws.com');
    for (const [e, r, b] of [
      [undefined, 'eu-west-1', 'my.bucket'],
      [undefined, 'cn-north-1', 'my-bucket'],
      [undefined, 'us-gov-west-1', 'my-bucket'],
      [undefined, 'us-east-1', 'bucket--use1-az4--x-s3'],
      ['http://127.0.0.1:7480?x=1', 'us-east-1', 'bucket'],
      ['ftp://127.0.0.1', 'us-east-1', 'bucket'],
      ['http://127.0.0.1:7480/a%20b/', 'us-east-1', 'bucket'],
    ] as const) {
      expect(ownTarget({ endpoint: e, region: r, bucket: b })).toBeUndefined();
    }
  });
});

import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreError } from '../../src/store/errors.js';
import { LocalStore } from '../../src/store/local.js';
import { S3Store } from '../../src/aws/s3-store.js';

/**
 * What Ceph RGW does not show: Amazon S3's own answers, from a small stand-in server. An empty
 * LocationConstraint (us-east-1) and `EU`; ListObjects without NextMarker and with keys URL-encoded
 * AWS's way (`+` for a space); throttling retried; errors after the retries; a body cut midway;
 * a server that never answers.
 */
// The CLI silences the SDK's Node version warning (src/cli/aws.ts); these tests use src/aws directly.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const XMLNS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const xml = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
};
const s3Error = (res: ServerResponse, status: number, code: string, message: string) =>
  xml(res, status, `<Error><Code>${code}</Code><Message>${message}</Message><RequestId>r</RequestId></Error>`);

/** AWS's `encoding-type=url`: like encodeURIComponent, but a space is `+` (and `/` stays). */
const awsEncode = (key: string) => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

describe('S3Store against Amazon S3 behaviour', () => {
  let server: Server;
  let endpoint: string;
  let handler: Handler = () => undefined;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(`${req.method} ${url.pathname}${url.search}`);
      req.resume();
      handler(req, res, url);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const store = (extra: Partial<ConstructorParameters<typeof S3Store>[0]> = {}) =>
    new S3Store({ endpoint, region: 'eu-central-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, ...extra });

  /** Location first, then `rest` for everything else. */
  const withLocation =
    (location: string, rest: Handler): Handler =>
    (req, res, url) => {
      if (url.searchParams.has('location')) return xml(res, 200, `<LocationConstraint ${XMLNS}>${location}</LocationConstraint>`);
      rest(req, res, url);
    };

  it('maps an empty LocationConstraint to us-east-1 and EU to eu-west-1, asking once per bucket', async () => {
    handler = (_req, res, url) => xml(res, 200, `<LocationConstraint ${XMLNS}>${url.pathname.startsWith('/eu-bucket') ? 'EU' : ''}</LocationConstraint>`);
    seen.length = 0;
    const s = store();
    expect(await s.bucketRegion('us-bucket')).toBe('us-east-1');
    expect(await s.bucketRegion('eu-bucket')).toBe('eu-west-1');
    expect(await s.bucketRegion('us-bucket')).toBe('us-east-1');
    expect(seen).toHaveLength(2);
    s.destroy();
  });

  it('pages ListObjects by the last key when there is no NextMarker, decoding AWS url encoding', async () => {
    const keys = ['p/a b', 'p/a+b', 'p/c%2F', 'p/d\u00fc', 'p/e~', 'p/f'];
    const markers: Array<string | null> = [];
    handler = withLocation('', (_req, res, url) => {
      const marker = url.searchParams.get('marker');
      markers.push(marker);
      const rest = marker === null ? keys : keys.filter((k) => Buffer.compare(Buffer.from(k), Buffer.from(marker)) > 0);
      const page = rest.slice(0, 2);
      xml(
        res,
        200,
        `<ListBucketResult ${XMLNS}><Name>b</Name><Prefix>p/</Prefix><Marker>${marker === null ? '' : awsEncode(marker)}</Marker>` +
          `<MaxKeys>2</MaxKeys><EncodingType>url</EncodingType><IsTruncated>${rest.length > 2}</IsTruncated>` +
          page.map((k) => `<Contents><Key>${awsEncode(k)}</Key><Size>1</Size></Contents>`).join('') +
          '</ListBucketResult>',
      );
    });
    // The first page goes out with GetBucketLocation, signed for the store's region (issue 15): taken
    // when the bucket is there (us-east-1), asked again when it is not (eu-central-1).
    for (const [region, first] of [
      ['us-east-1', [null]],
      ['eu-central-1', [null, null]],
    ] as const) {
      markers.length = 0;
      const s = store({ region });
      const listed: string[] = [];
      for await (const k of s.list('b', { prefix: 'p/' })) listed.push(k);
      s.destroy();
      expect(listed).toEqual(keys);
      expect(markers).toEqual([...first, 'p/a+b', 'p/d\u00fc']);
    }
  });

  it('stops a listing that does not advance instead of looping', async () => {
    handler = withLocation('', (_req, res) =>
      xml(res, 200, `<ListBucketResult ${XMLNS}><Name>b</Name><IsTruncated>true</IsTruncated><Contents><Key>k</Key></Contents></ListBucketResult>`),
    );
    const s = store();
    const err = await (async () => {
      for await (const _ of s.list('b', { prefix: '' })) void _;
    })().catch((e: unknown) => e);
    s.destroy();
    expect(err).toBeInstanceOf(StoreError);
  });

  it('retries throttling, then succeeds', async () => {
    let calls = 0;
    handler = withLocation('', (_req, res) => {
      if (++calls < 3) return s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
      res.writeHead(200, { 'x-amz-meta-signature': 'abc', 'content-length': '2' });
      res.end('hi');
    });
    const s = store();
    const got = await s.get('b', 'k');
    expect(calls).toBe(3);
    expect(got!.metadata).toEqual({ signature: 'abc' });
    await got!.close();
    s.destroy();
  });

  it('gives up after the attempts, in the AWS CLI words', async () => {
    handler = withLocation('', (_req, res) => s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.'));
    const s = store();
    const err = (await s.get('b', 'k').catch((e: unknown) => e)) as StoreError;
    s.destroy();
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toBe(
      'An error occurred (InternalError) when calling the GetObject operation (reached max retries: 2): We encountered an internal error. Please try again.',
    );
  });

  it('reports AccessDenied on an object instead of calling it missing', async () => {
    handler = withLocation('', (_req, res) => s3Error(res, 403, 'AccessDenied', 'Access Denied'));
    const s = store();
    const err = (await s.get('b', 'k').catch((e: unknown) => e)) as StoreError;
    s.destroy();
    expect(err.kind).toBe('AccessDenied');
    expect(err.message).toBe('An error occurred (AccessDenied) when calling the GetObject operation: Access Denied');
  });

  it('turns a body cut midway into a StoreError, the same through the fast path and the SDK', async () => {
    handler = withLocation('', (_req, res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000, 1), () => res.socket?.destroy());
    });
    const cut = async (s: S3Store) => {
      const got = await s.get('b', 'k');
      const err = await (async () => {
        for await (const _ of got!.body) void _;
      })().catch((e: unknown) => e);
      s.destroy();
      expect(err).toBeInstanceOf(StoreError);
      return err as StoreError;
    };
    const fast = await cut(store());
    const sdkOnly = store({ sdkOnly: true });
    const viaSdk = await cut(sdkOnly);
    expect(fast.kind).toBe('Unreachable');
    expect(fast.message).toContain(`${endpoint}/b/k`);
    expect([fast.kind, fast.message]).toEqual([viaSdk.kind, viaSdk.message]);
  });

  it('does not wait forever for a server that never answers', async () => {
    handler = () => undefined; // accept, read, never answer
    const s = store({ socketTimeoutMs: 300 });
    const t0 = Date.now();
    const err = (await s.get('silent-bucket', 'k').catch((e: unknown) => e)) as StoreError;
    s.destroy();
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(err).toBeInstanceOf(StoreError);
    expect(err.message).toMatch(/^Read timeout on endpoint URL: "http:\/\/127\.0\.0\.1:\d+\/silent-bucket\/?\?location"$/);
  });

  it('refuses hostile bucket names exactly as LocalStore does, without a request', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trailproof-s3-'));
    seen.length = 0;
    const s = store();
    try {
      for (const name of ['arn:aws:s3:us-east-1:123456789012:accesspoint/x', '../etc', 'a/b', '', 'x'.repeat(300), '.', '..']) {
        const local = await new LocalStore(dir).get(name, 'k').catch((e: unknown) => e);
        const remote = await s.get(name, 'k').catch((e: unknown) => e);
        expect(remote).toBeInstanceOf(StoreError);
        expect(local).toBeInstanceOf(StoreError);
        expect([(remote as StoreError).kind, (remote as StoreError).message]).toEqual([(local as StoreError).kind, (local as StoreError).message]);
      }
    } finally {
      s.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(seen).toEqual([]);
  });
});

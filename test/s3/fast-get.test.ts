import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../src/aws/s3-store.js';
import type { StoredObject } from '../../src/store/types.js';
import { storeError } from '../helpers/store-error.js';
import { adminClient, createBucket, NO_S3, removeBucket, S3_ENDPOINT, uniqueBucket } from './helpers.js';

/**
 * The GetObject fast path (src/aws/fast-get.ts) against a real S3 server: the same answers as the
 * SDK path, byte for byte, and the SDK's own answers (through the fall-back) whenever the server says
 * anything but 200. Which path sent a request is seen on the wire, through node:http's diagnostics
 * channels: the fast path marks its user agent; the SDK sends its retry header.
 */

const FAST_MARK = 'md/trailproof#fast-get';

interface Sent {
  path: string;
  fast: boolean;
  sdk: boolean;
  status?: number;
}

/** Every GetObject (`?x-id=GetObject`) this process sends while `fn` runs. */
async function watch<T>(fn: () => Promise<T>): Promise<{ result: T; sent: Sent[] }> {
  const sent: Sent[] = [];
  const byRequest = new Map<ClientRequest, Sent>();
  const onStart = (message: unknown) => {
    const { request } = message as { request: ClientRequest };
    if (!request.path.endsWith('?x-id=GetObject')) return;
    const entry: Sent = {
      path: request.path,
      fast: String(request.getHeader('user-agent') ?? '').includes(FAST_MARK),
      sdk: request.getHeader('amz-sdk-request') !== undefined,
    };
    sent.push(entry);
    byRequest.set(request, entry);
  };
  const onResponse = (message: unknown) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const entry = byRequest.get(request);
    if (entry) entry.status = response.statusCode;
  };
  subscribe('http.client.request.start', onStart);
  subscribe('http.client.response.finish', onResponse);
  try {
    return { result: await fn(), sent };
  } finally {
    unsubscribe('http.client.request.start', onStart);
    unsubscribe('http.client.response.finish', onResponse);
  }
}

async function readAll(object: StoredObject): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of object.body) chunks.push(Buffer.from(c));
  await object.close();
  return Buffer.concat(chunks);
}

/** A store that only ever uses the SDK, as TRAILPROOF_S3_SDK_ONLY=1 makes it (the CLI passes `sdkOnly`). */
function sdkOnlyStore(options: ConstructorParameters<typeof S3Store>[0]): S3Store {
  return new S3Store({ ...options, sdkOnly: true });
}

const REGION = process.env.AWS_REGION || 'us-east-1';

describe.skipIf(NO_S3)('GetObject fast path on a real S3 server', () => {
  let admin: S3Client;
  let fast: S3Store;
  let sdk: S3Store;
  const bucket = uniqueBucket('fast');
  const put = (key: string, body: Uint8Array | string, metadata?: Record<string, string>, where = bucket) =>
    admin.send(new PutObjectCommand({ Bucket: where, Key: key, Body: body, ...(metadata ? { Metadata: metadata } : {}) }));

  beforeAll(async () => {
    admin = adminClient();
    fast = new S3Store({ endpoint: S3_ENDPOINT, region: REGION });
    sdk = sdkOnlyStore({ endpoint: S3_ENDPOINT, region: REGION });
    await createBucket(admin, bucket);
  });

  afterAll(async () => {
    fast?.destroy();
    sdk?.destroy();
    if (admin) {
      await removeBucket(admin, bucket);
      admin.destroy();
    }
  });

  it('returns what the SDK path returns: bytes, metadata, size', async () => {
    const objects: Array<[string, Buffer, Record<string, string> | undefined]> = [
      ['AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/log.json.gz', randomBytes(4096), undefined],
      [
        'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/digest.json.gz',
        randomBytes(900),
        { signature: 'ABCdef0123', 'Signature-Algorithm': 'SHA256withRSA', 'backfill-generation-timestamp': '2024-02-29T03:05:19Z' },
      ],
      ['empty', Buffer.alloc(0), { note: 'a b  c' }],
      ['big', randomBytes(5 << 20), undefined],
    ];
    for (const [key, body, metadata] of objects) await put(key, body, metadata);

    const viaFast = await watch(async () => {
      const out = [];
      for (const [key] of objects) {
        const o = (await fast.get(bucket, key))!;
        out.push({ metadata: o.metadata, size: o.size, bytes: await readAll(o) });
      }
      return out;
    });
    const viaSdk = await watch(async () => {
      const out = [];
      for (const [key] of objects) {
        const o = (await sdk.get(bucket, key))!;
        out.push({ metadata: o.metadata, size: o.size, bytes: await readAll(o) });
      }
      return out;
    });

    objects.forEach(([, body, metadata], i) => {
      const [f, s] = [viaFast.result[i]!, viaSdk.result[i]!];
      expect([f.metadata, f.size]).toEqual([s.metadata, s.size]);
      expect(f.bytes.equals(s.bytes)).toBe(true);
      expect(f.bytes.equals(body)).toBe(true);
      expect(f.size).toBe(body.length);
      const lower = Object.fromEntries(Object.entries(metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      expect(f.metadata).toEqual(lower);
    });
    // One request each, all through the fast path, all answered 200; the SDK-only store never uses it.
    expect(viaFast.sent.map((s) => [s.fast, s.sdk, s.status])).toEqual(objects.map(() => [true, false, 200]));
    expect(viaSdk.sent.map((s) => [s.fast, s.sdk, s.status])).toEqual(objects.map(() => [false, true, 200]));
  });

  it('reads every hostile key as itself, never another object', async () => {
    const keys = [
      '../escape',
      'a/../b',
      'a/./b',
      'a//b',
      '/leading',
      'trailing/',
      '%',
      '%2F',
      '%25',
      'a+b',
      'a b  c',
      'q?x=1&y=2',
      'frag#ment',
      "~!*()'$,;=:@[]",
      '\u00fc\u00e9/\u{1F600}/\u4e2d\u6587',
      'tab\there',
      'back\\slash',
      'x'.repeat(1000),
    ];
    // Decoys where a normalizing client or server would land instead.
    const decoys = ['b', 'a/b', 'escape', 'leading', 'trailing', 'a b c', 'q', 'frag'];
    for (const key of decoys) await put(key, `decoy ${key}`);
    for (const key of keys) await put(key, `object ${JSON.stringify(key)}`, { key: Buffer.from(key).toString('hex') });

    const { result, sent } = await watch(async () => {
      const out: Array<[string, string]> = [];
      for (const key of keys) {
        const o = await fast.get(bucket, key);
        expect(o, key).toBeDefined();
        out.push([o!.metadata.key!, (await readAll(o!)).toString('utf8')]);
      }
      return out;
    });
    expect(result).toEqual(keys.map((k) => [Buffer.from(k).toString('hex'), `object ${JSON.stringify(k)}`]));
    expect(sent.map((s) => [s.fast, s.status])).toEqual(keys.map(() => [true, 200]));
  });

  it('a missing key: undefined, as through the SDK (after one fast 404, the SDK asks)', async () => {
    const { result, sent } = await watch(() => fast.get(bucket, 'no/such key'));
    expect(result).toBeUndefined();
    expect(await sdk.get(bucket, 'no/such key')).toBeUndefined();
    expect(sent.map((s) => [s.fast, s.sdk, s.status])).toEqual([
      [true, false, 404],
      [false, true, 404],
    ]);
  });

  it('a bucket deleted once its region is known: the same NoSuchBucket StoreError as the SDK path', async () => {
    const doomed = uniqueBucket('doomed');
    await createBucket(admin, doomed);
    await put('k', 'v', undefined, doomed);
    expect((await readAll((await fast.get(doomed, 'k'))!)).toString()).toBe('v');
    expect((await readAll((await sdk.get(doomed, 'k'))!)).toString()).toBe('v');
    await removeBucket(admin, doomed);
    const { result: viaFast, sent } = await watch(() => storeError(fast.get(doomed, 'k')));
    const viaSdk = await storeError(sdk.get(doomed, 'k'));
    expect(viaFast.kind).toBe('NoSuchBucket');
    expect([viaFast.kind, viaFast.message]).toEqual([viaSdk.kind, viaSdk.message]);
    expect(viaFast.message).toBe('An error occurred (NoSuchBucket) when calling the GetObject operation: The specified bucket does not exist');
    expect(sent[0]).toMatchObject({ fast: true, status: 404 });
  });

  it('a wrong secret key: the same AccessDenied StoreError as the SDK path', async () => {
    await put('secret-test', 'x');
    // Credentials that expire soon are asked for on every request: good ones while the bucket's
    // region is found, wrong ones for the GetObject.
    let wrong = false;
    const credentials = async () => ({
      accessKeyId: process.env.AWS_ACCESS_KEY_ID!,
      secretAccessKey: wrong ? 'not-the-secret' : process.env.AWS_SECRET_ACCESS_KEY!,
      expiration: new Date(Date.now() + 60_000),
    });
    const fastBad = new S3Store({ endpoint: S3_ENDPOINT, region: REGION, credentials });
    const sdkBad = sdkOnlyStore({ endpoint: S3_ENDPOINT, region: REGION, credentials });
    try {
      await fastBad.bucketRegion(bucket);
      await sdkBad.bucketRegion(bucket);
      wrong = true;
      const { result: viaFast, sent } = await watch(() => storeError(fastBad.get(bucket, 'secret-test')));
      const viaSdk = await storeError(sdkBad.get(bucket, 'secret-test'));
      expect(viaFast.kind).toBe('AccessDenied');
      expect([viaFast.kind, viaFast.message]).toEqual([viaSdk.kind, viaSdk.message]);
      expect(viaFast.message).toMatch(/^An error occurred \(SignatureDoesNotMatch\) when calling the GetObject operation: \S/);
      expect(sent.map((s) => [s.fast, s.status])).toEqual([
        [true, 403],
        [false, 403],
      ]);
    } finally {
      fastBad.destroy();
      sdkBad.destroy();
    }
  });

  it('leaves a key with no UTF-8 form (a lone surrogate) to the SDK, with the same outcome', async () => {
    const key = 'a\uD800b';
    const { result: viaFast, sent } = await watch(() => fast.get(bucket, key).catch((e: unknown) => e));
    const viaSdk = await sdk.get(bucket, key).catch((e: unknown) => e);
    expect(sent.some((s) => s.fast)).toBe(false);
    expect(viaFast).toEqual(viaSdk);
    expect(String(viaFast)).toMatch(/GetObject/);
  });

  it('sdkOnly (TRAILPROOF_S3_SDK_ONLY=1): every GetObject through the SDK, same answers', async () => {
    await put('sdk-only', 'through the SDK', { signature: 's' });
    const { result, sent } = await watch(async () => {
      const o = (await sdk.get(bucket, 'sdk-only'))!;
      return { metadata: o.metadata, text: (await readAll(o)).toString() };
    });
    expect(result).toEqual({ metadata: { signature: 's' }, text: 'through the SDK' });
    expect(sent.map((s) => [s.fast, s.sdk])).toEqual([[false, true]]);
  });
});

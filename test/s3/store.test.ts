import { GetBucketLocationCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Store } from '../../src/aws/s3-store.js';
import { adminClient, createBucket, NO_S3, pool, removeBucket, S3_ENDPOINT, uniqueBucket } from './helpers.js';
import { storeError } from '../helpers/store-error.js';

/** S3Store against a real S3 server (Ceph RGW in CI): the ObjectStore contract of src/store/types.ts. */

const NO_SUCH_BUCKET = 'An error occurred (NoSuchBucket) when calling the GetBucketLocation operation: The specified bucket does not exist';

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe.skipIf(NO_S3)('S3Store on a real S3 server', () => {
  let admin: S3Client;
  let store: S3Store;
  const bucket = uniqueBucket('store');
  const listBucket = uniqueBucket('list');
  // 2,205 keys under the prefix: three ListObjects pages of at most 1000. Names mix characters
  // that XML, URL encoding and UTF-8 byte order all treat differently.
  const prefix = 'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/';
  const listed: string[] = [];
  for (let i = 0; i < 2205; i++) {
    const odd = ['', ' b+c', '~', 'ü', '%41', 'é/x', '\u{1F600}', 'z'][i % 8];
    listed.push(`${prefix}2024/02/${String(i).padStart(5, '0')}${odd}.json.gz`);
  }
  const outside = ['AWSLogs/123456789012/CloudTrail/us-east-1/a.json.gz', 'AWSLogs/123456789012/CloudTrail-Digest/us-east-2/b.json.gz', 'zz'];

  beforeAll(async () => {
    admin = adminClient();
    store = new S3Store({ endpoint: S3_ENDPOINT, region: process.env.AWS_REGION || 'us-east-1' });
    await createBucket(admin, bucket);
    await createBucket(admin, listBucket);
    await pool([...listed, ...outside], 32, async (key) => {
      await admin.send(new PutObjectCommand({ Bucket: listBucket, Key: key, Body: key }));
    });
  });

  afterAll(async () => {
    store?.destroy();
    if (admin) {
      await removeBucket(admin, bucket);
      await removeBucket(admin, listBucket);
      admin.destroy();
    }
  });

  it('answers GetBucketLocation with the configured region (empty would mean us-east-1)', async () => {
    const raw = await admin.send(new GetBucketLocationCommand({ Bucket: bucket }));
    expect([undefined, '', 'us-east-1']).toContain(raw.LocationConstraint);
    expect(await store.bucketRegion(bucket)).toBe('us-east-1');
  });

  it('lists every page under a prefix, in UTF-8 byte order', async () => {
    const keys = await collect(store.list(listBucket, { prefix }));
    expect(keys).toEqual([...listed].sort(byteOrder));
  });

  it('lists strictly after a marker, across pages', async () => {
    const sorted = [...listed].sort(byteOrder);
    for (const at of [0, 999, 1000, 1500, 2204]) {
      const keys = await collect(store.list(listBucket, { prefix, startAfter: sorted[at] }));
      expect(keys).toEqual(sorted.slice(at + 1));
    }
    // A marker that is not a key, before and after everything.
    expect(await collect(store.list(listBucket, { prefix, startAfter: `${prefix}2024/02/01999~` }))).toEqual(
      sorted.filter((k) => byteOrder(k, `${prefix}2024/02/01999~`) > 0),
    );
    expect(await collect(store.list(listBucket, { prefix, startAfter: `${prefix}3` }))).toEqual([]);
    expect(await collect(store.list(listBucket, { prefix: '', startAfter: 'z' }))).toEqual(['zz']);
  });

  it('skips ahead where jump says, within a page and past its end (a new request after the answer)', async () => {
    const sorted = [...listed].sort(byteOrder);
    // Jumps: from key 10 to key 20 (same page), from key 100 to past key 1500 (two pages on), and
    // from key 1600 to a marker that is no key, the '\u{10FFFD}' discovery uses for "past the folder".
    const past = `${prefix}2024/02/\u{10FFFD}`;
    const to = new Map([
      [sorted[10]!, sorted[20]!],
      [sorted[100]!, sorted[1500]!],
      [sorted[1600]!, past],
    ]);
    const asked: string[] = [];
    const keys = await collect(
      store.list(listBucket, {
        prefix,
        jump: (k) => {
          asked.push(k);
          return to.get(k);
        },
      }),
    );
    const expected = [...sorted.slice(0, 10), ...sorted.slice(21, 100), ...sorted.slice(1501, 1600), ...sorted.filter((k) => byteOrder(k, past) > 0)];
    expect(keys).toEqual(expected);
    // Asked about every key it gave and each it jumped from, never about a skipped one.
    expect(asked).toEqual([...sorted.slice(0, 11), ...sorted.slice(21, 101), ...sorted.slice(1501, 1601), ...sorted.filter((k) => byteOrder(k, past) > 0)]);
    // An answer at or before the key is no jump.
    expect(await collect(store.list(listBucket, { prefix, jump: (k) => `${k.slice(0, -1)}` }))).toEqual(sorted);
  });

  it('stops listing when the consumer stops', async () => {
    const first: string[] = [];
    for await (const k of store.list(listBucket, { prefix })) {
      first.push(k);
      if (first.length === 3) break;
    }
    expect(first).toHaveLength(3);
  });

  it('round-trips objects and their user metadata', async () => {
    const body = Buffer.from('hello \u00fc\n');
    const metadata = { signature: 'ABCdef0123', 'signature-algorithm': 'SHA256withRSA', 'backfill-generation-timestamp': '2024-02-29T03:05:19Z' };
    const key = 'dir/a b+c/ü~%.json.gz';
    await store.put(bucket, key, body, metadata);
    const got = await store.get(bucket, key);
    expect(got).toBeDefined();
    expect(got!.metadata).toEqual(metadata);
    expect(got!.size).toBe(body.length);
    expect((await readAll(got!.body)).equals(body)).toBe(true);
    await got!.close();
    expect(await collect(store.list(bucket, { prefix: 'dir/' }))).toEqual([key]);

    await store.put(bucket, 'plain', new Uint8Array([1, 2, 3]));
    const plain = await store.get(bucket, 'plain');
    expect(plain!.metadata).toEqual({});
    await plain!.close();
  });

  it('reads an object whole (getBytes) with its metadata, refusing one past the limit', async () => {
    const body = Buffer.from('digest bytes \u00fc');
    await store.put(bucket, 'whole/digest.json.gz', body, { signature: 'abc' });
    const got = await store.getBytes(bucket, 'whole/digest.json.gz', body.length);
    expect(got!.bytes.equals(body)).toBe(true);
    expect(got!.metadata).toEqual({ signature: 'abc' });
    expect(await store.getBytes(bucket, 'whole/missing', 100)).toBeUndefined();
    const err = await storeError(store.getBytes(bucket, 'whole/digest.json.gz', body.length - 1));
    expect([err.kind, err.message]).toEqual([
      'Other',
      `s3://${bucket}/whole/digest.json.gz is larger than the ${body.length - 1} bytes trailproof reads for such an object: refusing it`,
    ]);
  });

  it('streams a large object and can be closed before the end', async () => {
    const big = Buffer.alloc(5 << 20, 7);
    await store.put(bucket, 'big', big);
    const whole = await store.get(bucket, 'big');
    expect((await readAll(whole!.body)).equals(big)).toBe(true);
    const partial = await store.get(bucket, 'big');
    for await (const chunk of partial!.body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    await partial!.close();
  });

  it('gives undefined for a key that does not exist (NoSuchKey), and after delete', async () => {
    expect(await store.get(bucket, 'no/such/key')).toBeUndefined();
    expect(await store.get(bucket, '')).toBeUndefined();
    await store.put(bucket, 'doomed', new Uint8Array([1]));
    await store.delete(bucket, 'doomed');
    expect(await store.get(bucket, 'doomed')).toBeUndefined();
    await store.delete(bucket, 'doomed'); // deleting nothing is fine
  });

  it('stops with NoSuchBucket, in the AWS CLI words, for a missing bucket', async () => {
    const missing = uniqueBucket('missing');
    for (const p of [
      store.get(missing, 'k'),
      collect(store.list(missing, { prefix: '' })),
      store.put(missing, 'k', new Uint8Array([1])),
      store.delete(missing, 'k'),
    ]) {
      const err = await storeError(p);
      expect(err.kind).toBe('NoSuchBucket');
      expect(err.message).toBe(NO_SUCH_BUCKET);
    }
  });

  it('refuses a bucket name S3 cannot have (an ARN, a path) before sending anything', async () => {
    for (const name of ['arn:aws:s3:us-east-1:123456789012:accesspoint/x', '../etc', 'a/b', '']) {
      const err = await storeError(store.get(name, 'k'));
      expect(err.kind).toBe('Other');
      expect(err.message).toMatch(/^Parameter validation failed: Invalid bucket name /);
    }
    for (const name of ['.', '..']) expect((await storeError(store.get(name, 'k'))).kind).toBe('NoSuchBucket');
  });

  it('fails fast with a one-line message on bad credentials', async () => {
    const bad = new S3Store({
      endpoint: S3_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDWRONGWRONGWRONG', secretAccessKey: 'wrong' },
    });
    const t0 = Date.now();
    const err = await storeError(bad.get(bucket, 'plain'));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err.kind).toBe('AccessDenied');
    expect(err.message).toMatch(
      /^An error occurred \((InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied)\) when calling the GetBucketLocation operation: \S.*$/,
    );
    bad.destroy();
  });

  it('fails fast with a one-line message when the endpoint is unreachable', async () => {
    const off = new S3Store({ endpoint: 'http://127.0.0.1:1', region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const t0 = Date.now();
    const err = await storeError(off.get('some-bucket', 'k'));
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err.kind).toBe('Unreachable');
    // The URL the SDK sent (botocore writes it without the slash after the bucket).
    expect(err.message).toMatch(/^Could not connect to the endpoint URL: "http:\/\/127\.0\.0\.1:1\/some-bucket\/?\?location"$/);
    off.destroy();
  });
});

// The S3 bench's data (run.mjs and s3.mjs): a trail of many small log files, signed locally and
// uploaded with the digests' metadata; and the one-at-a-time SDK loop of issue 5.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { checkedCli, iso, log, num, seconds, walkFiles } from './common.mjs';
import { ACCOUNT, ARN, HOME_REGION, prepareTrail, START } from './trail.mjs';

export const S3_REGION = HOME_REGION;

/** The SDK of the bench's own set-up (never the code under test), or why it cannot be used. */
export async function benchSdk() {
  const endpoint = process.env.TRAILPROOF_S3_ENDPOINT;
  if (!endpoint) return { skipped: 'TRAILPROOF_S3_ENDPOINT is not set (run under scripts/with-s3.sh, or set it with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)' };
  if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) return { skipped: 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set' };
  try {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const sdk = await import('@aws-sdk/client-s3');
    // Checksums only where required, as trailproof's S3 store does (src/aws/s3-store.ts): the same work per object.
    const client = new sdk.S3Client({
      endpoint,
      forcePathStyle: true,
      region: process.env.AWS_REGION || S3_REGION,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return { sdk, client, endpoint };
  } catch (err) {
    return { skipped: `@aws-sdk/client-s3 cannot be loaded: ${err.message}` };
  }
}

/**
 * The S3 trail (one region), signed locally, uploaded to bucket `tp-bench-<files>f-<records>r`
 * unless a marker object says the bucket holds exactly this trail already. Resolves with
 * { bucket, trail, end, digests: [{ key, time, logs }] } (digests in key order; time: the
 * digest's end time from its name, epoch ms).
 */
export async function prepareS3Trail({ sdk, client, endpoint }, { files, records, fph, fresh }) {
  const bucket = `tp-bench-${files}f-${records}r`;
  const trail = await prepareTrail(`s3-trail-${files}f-${records}r`, { regions: [S3_REGION], files, fph, records, bucket, fresh });
  const end = START + trail.hours * 3_600_000;
  const bucketDir = join(trail.root, bucket);
  const digestDir = join(bucketDir, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest');
  if (!trail.ready || walkFiles(digestDir).length === 0) {
    rmSync(digestDir, { recursive: true, force: true });
    await checkedCli(
      ['sign', '--keys-dir', trail.keys, '--trail-arn', ARN, '--s3-bucket', bucket, '--regions', S3_REGION, '--local-root', trail.root, '--until', iso(end)],
      'trailproof sign (S3 trail)',
    );
  }
  const objects = walkFiles(bucketDir).filter((f) => !f.endsWith('.metadata.json'));
  const marker = createHash('sha256');
  for (const f of objects.sort()) {
    marker.update(f.slice(bucketDir.length)).update(readFileSync(f));
    if (existsSync(`${f}.metadata.json`)) marker.update(readFileSync(`${f}.metadata.json`));
  }
  const markerValue = marker.digest('hex');
  const MARKER_KEY = 'trailproof-bench-marker';
  let uploaded = false;
  try {
    const got = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: MARKER_KEY }));
    uploaded = (await got.Body.transformToString()) === markerValue;
  } catch {
    // no bucket or no marker
  }
  if (!uploaded) {
    log(`uploading ${num(objects.length)} objects to ${endpoint}/${bucket}...`);
    try {
      await client.send(new sdk.CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(err.name)) throw err;
    }
    const t0 = performance.now();
    await pool(objects, 16, async (f) => {
      const key = f.slice(bucketDir.length + 1).replaceAll('\\', '/');
      let Metadata;
      if (existsSync(`${f}.metadata.json`)) {
        const meta = JSON.parse(readFileSync(`${f}.metadata.json`, 'utf8'));
        Metadata = meta.Metadata ?? meta;
      }
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: readFileSync(f), ...(Metadata ? { Metadata } : {}) }));
    });
    await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: MARKER_KEY, Body: markerValue }));
    log(`uploaded in ${seconds(performance.now() - t0)}`);
  }
  const digests = walkFiles(digestDir)
    .filter((f) => f.endsWith('.json.gz'))
    .map((f) => {
      const key = f.slice(bucketDir.length + 1).replaceAll('\\', '/');
      const stamp = /_(\d{8}T\d{6}Z)\.json\.gz$/.exec(key)[1];
      const time = Date.parse(
        `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`,
      );
      const logs = JSON.parse(gunzipSync(readFileSync(f)).toString('utf8')).logFiles.length;
      return { key, time, logs };
    })
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  const logBytes = objects.filter((f) => f.includes('/CloudTrail/')).reduce((n, f) => n + readFileSync(f).length, 0);
  return { bucket, trail, end, digests, avgLogGzipBytes: logBytes / digests.reduce((n, d) => n + d.logs, 0) };
}

/**
 * List the digests, then for each: GetObject, gunzip, parse; for each of its log files: GetObject,
 * gunzip, SHA-256, compare. One request at a time, as the AWS CLI does (issue 5's reference).
 */
export async function sequentialLoop(sdk, client, bucket) {
  const t0 = performance.now();
  const prefix = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${S3_REGION}/`;
  const keys = [];
  let token;
  do {
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  let objects = 0;
  let mismatches = 0;
  const get = async (key) => {
    const o = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    objects += 1;
    return Buffer.from(await o.Body.transformToByteArray());
  };
  keys.sort().reverse();
  for (const key of keys) {
    const digest = JSON.parse(gunzipSync(await get(key)).toString('utf8'));
    for (const lf of digest.logFiles) {
      if (
        createHash('sha256')
          .update(gunzipSync(await get(lf.s3Object)))
          .digest('hex') !== lf.hashValue
      )
        mismatches += 1;
    }
  }
  return { ms: performance.now() - t0, objects, mismatches };
}

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

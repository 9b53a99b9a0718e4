#!/usr/bin/env node
// S3 Inventory as the source of keys (README "Listing at scale"): how fast one pass over a report
// partitions its keys into per-folder files, and how fast the folders are then listed, on a
// synthetic report of an organization's archive (N keys, CloudTrail's key layout). Uses dist/.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { encodeInventoryKey, writeCsvLine } from '../dist/format/inventory.js';
import { buildIndex, DIGEST_FOLDERS } from '../dist/store/inventory-build.js';
import { InventoryStore } from '../dist/store/inventory-store.js';
import { LocalStore } from '../dist/store/local.js';

const total = Number(process.argv.find((a) => a.startsWith('--keys='))?.slice(7) ?? 2_000_000);
const bucket = 'org-trail-bucket';
const rowsPerFile = 250_000;

// Keys of 200 accounts x 4 regions: logs (11 a digest) and digests, an hour apart.
function* keys() {
  const regions = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'us-west-2'];
  for (let i = 0; i < total; i++) {
    const account = String(100000000000 + (i % 200));
    const region = regions[Math.floor(i / 200) % 4];
    const n = Math.floor(i / 800);
    const digest = n % 12 === 0;
    const hour = String(n % 24).padStart(2, '0');
    const day = String(1 + (Math.floor(n / 24) % 28)).padStart(2, '0');
    yield digest
      ? `AWSLogs/o-abcdefghij/${account}/CloudTrail-Digest/${region}/2024/05/${day}/${account}_CloudTrail-Digest_${region}_org_us-east-1_202405${day}T${hour}${String(n % 60).padStart(2, '0')}00Z.json.gz`
      : `AWSLogs/o-abcdefghij/${account}/CloudTrail/${region}/2024/05/${day}/${account}_CloudTrail_${region}_202405${day}T${hour}00Z_${n.toString(36).padStart(16, '0')}.json.gz`;
  }
}

const files = [];
const data = new Map();
let rows = [];
const flush = () => {
  const bytes = gzipSync(rows.join(''), { level: 1 });
  const key = `inv/data/${files.length}.csv.gz`;
  data.set(key, bytes);
  files.push({ key, size: bytes.length, md5: createHash('md5').update(bytes).digest('hex') });
  rows = [];
};
for (const k of keys()) {
  rows.push(`${writeCsvLine([bucket, encodeInventoryKey(k)])}\n`);
  if (rows.length === rowsPerFile) flush();
}
if (rows.length) flush();
const gz = [...data.values()].reduce((s, b) => s + b.length, 0);
const manifest = { sourceBucket: bucket, destinationBucket: 'inv', version: '2016-11-30', creationTimestamp: Date.now(), columns: ['Bucket', 'Key'], files };
const source = async (f) =>
  (async function* () {
    const b = data.get(f.key);
    for (let i = 0; i < b.length; i += 1 << 20) yield b.subarray(i, i + (1 << 20));
  })();

const tmp = mkdtempSync(join(tmpdir(), 'trailproof-bench-inv-'));
try {
  const rss0 = process.memoryUsage().rss;
  let t = performance.now();
  const index = await buildIndex(manifest, bucket, source, tmp);
  const buildMs = performance.now() - t;
  const store = new InventoryStore(new LocalStore(tmp), bucket, index);
  t = performance.now();
  let listed = 0;
  for await (const _ of store.list(bucket, { prefix: '' })) listed++;
  const listMs = performance.now() - t;
  await store.close();
  // A worker's pass: the digest folders only, other rows skipped before their Key is decoded.
  t = performance.now();
  const digests = await buildIndex(manifest, bucket, source, tmp, DIGEST_FOLDERS);
  const workerMs = performance.now() - t;
  await new InventoryStore(new LocalStore(tmp), bucket, digests).close();
  if (listed !== total) throw new Error(`listed ${listed} keys, not ${total}`);
  const [load] = loadavg();
  console.log(
    `bench/inventory.mjs: ${total.toLocaleString('en-US')} keys, ${index.groups.size} folders, ${files.length} data files, ${(gz / 2 ** 20).toFixed(1)} MiB gzip (load average ${load.toFixed(1)})`,
  );
  console.log(`| step | time | keys/s |`);
  console.log(`| --- | --- | --- |`);
  console.log(
    `| one pass: gunzip, MD5, parse, partition | ${(buildMs / 1000).toFixed(2)} s | ${Math.round(total / (buildMs / 1000)).toLocaleString('en-US')} |`,
  );
  console.log(
    `| a worker's pass (digest folders: ${digests.keys.toLocaleString('en-US')} keys) | ${(workerMs / 1000).toFixed(2)} s | ${Math.round(total / (workerMs / 1000)).toLocaleString('en-US')} |`,
  );
  console.log(
    `| list the whole bucket (each folder sorted) | ${(listMs / 1000).toFixed(2)} s | ${Math.round(total / (listMs / 1000)).toLocaleString('en-US')} |`,
  );
  console.log(`rss grew ${((process.memoryUsage().rss - rss0) / 2 ** 20).toFixed(0)} MiB (the report's data files are held in memory by this script itself)`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

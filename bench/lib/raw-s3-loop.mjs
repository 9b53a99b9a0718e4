#!/usr/bin/env node
// The raw concurrent loop of issue 15: what a plain Node program pays to check the same objects as
// validate-logs on S3, and nothing more. One ListObjects of the digest prefix, then GET + gunzip +
// JSON.parse of each digest, then GET + gunzip + SHA-256 (compared with the digest's hashValue) of
// each log file, `--in-flight` requests at once, hand-signed SigV4 (UNSIGNED-PAYLOAD, path-style)
// on node:http with one keep-alive agent. No SDK, no retries, no checks beyond the hash.
//
//   node bench/lib/raw-s3-loop.mjs --endpoint URL --bucket B --region R --prefix P --digests FILE --in-flight N
//
// FILE: the digest keys to read (one a line: the ones validate-logs reads for the window). Needs
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Prints one JSON line: { ms, cpuMs, objects, digests,
// logs, mismatches, firstRequestMs } (ms: from the script's start; the bench adds process start-up).
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { gunzipSync } from 'node:zlib';

const t0 = performance.now();
const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].slice(2)] = process.argv[i + 1];
const endpoint = new URL(args.endpoint);
const inFlight = Number(args['in-flight'] ?? 64);
const digestKeys = readFileSync(args.digests, 'utf8').split('\n').filter(Boolean);
const accessKey = process.env.AWS_ACCESS_KEY_ID;
const secret = process.env.AWS_SECRET_ACCESS_KEY;
const agent = new Agent({ keepAlive: true, maxSockets: inFlight });

const hmac = (key, data) => createHmac('sha256', key).update(data).digest();
const enc = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
let signingDay = '';
let signingKey;

/** A signed GET of `/bucket/key?query`; resolves with the body of a 200. */
function get(key, query = '') {
  const path = `/${args.bucket}/${key.split('/').map(enc).join('/')}`;
  const date = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = date.slice(0, 8);
  if (day !== signingDay) {
    signingDay = day;
    signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), args.region), 's3'), 'aws4_request');
  }
  const scope = `${day}/${args.region}/s3/aws4_request`;
  const canonical = `GET\n${path}\n${query}\nhost:${endpoint.host}\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:${date}\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD`;
  const toSign = `AWS4-HMAC-SHA256\n${date}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', signingKey).update(toSign).digest('hex');
  const headers = {
    'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-amz-date': date,
    authorization: `AWS4-HMAC-SHA256 Credential=${accessKey}/${scope}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${signature}`,
  };
  return new Promise((resolve, reject) => {
    const req = request({ agent, hostname: endpoint.hostname, port: endpoint.port, path: query ? `${path}?${query}` : path, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${path}: HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

let firstRequestMs = null;
// The listing (one page is enough for the bench's trails; pages are followed anyway).
let marker = '';
let listed = 0;
for (;;) {
  firstRequestMs ??= performance.now();
  const xml = (await get('', `encoding-type=url${marker ? `&marker=${enc(marker)}` : ''}&prefix=${enc(args.prefix)}`)).toString('utf8');
  const keys = [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => decodeURIComponent(m[1]));
  listed += keys.length;
  if (!/<IsTruncated>true<\/IsTruncated>/.test(xml) || keys.length === 0) break;
  marker = keys.at(-1);
}
let objects = 0;
let mismatches = 0;
const logFiles = [];
await pool(digestKeys, inFlight, async (key) => {
  const digest = JSON.parse(gunzipSync(await get(key)).toString('utf8'));
  objects++;
  for (const lf of digest.logFiles) logFiles.push(lf);
});
await pool(logFiles, inFlight, async (lf) => {
  const body = await get(lf.s3Object);
  objects++;
  if (createHash('sha256').update(gunzipSync(body)).digest('hex') !== lf.hashValue) mismatches++;
});
const cpu = process.cpuUsage();
process.stdout.write(
  `${JSON.stringify({
    ms: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    objects,
    listed,
    digests: digestKeys.length,
    logs: logFiles.length,
    mismatches,
    firstRequestMs: firstRequestMs - t0,
  })}\n`,
);
agent.destroy();

#!/usr/bin/env node
// The primitives under trailproof's hot loops, native (node:crypto, node:zlib) against the portable
// pure-JS libraries (@noble/hashes, fflate, node-forge), on this machine. README "Dependencies" cites it.
//
//   npm run build && node bench/primitives.mjs [--round-ms 400] [--records 3200] [--json]
//
// Data: one log file written by `trailproof simulate` (realistic CloudTrail management events,
// ~4 MiB of JSON, gzip level 6, about 10x). Each figure is the median of 3 timed rounds after a warm-up.
import { createHash, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { md5 as nobleMd5 } from '@noble/hashes/legacy.js';
import { Gunzip as FflateGunzip, gunzipSync as fflateGunzipSync } from 'fflate';
import forge from 'node-forge';
import { runCeiling } from './lib/ceiling.mjs';
import { loadLine, MiB, machine, machineLine, num, requireBuild, runCli, table } from './lib/common.mjs';

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? Number(argv[i + 1]) : fallback;
};
const ROUND_MS = opt('round-ms', 400);
const RECORDS = opt('records', 3200);
const JSON_OUT = argv.includes('--json');
const CHUNK = 64 * 1024;
const started = performance.now();

requireBuild();
const loadAtStart = loadLine();

// ---- data: one realistic log file, from the simulator ----
const tmp = mkdtempSync(join(tmpdir(), 'trailproof-primitives-'));
let gz;
try {
  const r = await runCli([
    'simulate',
    '--local-root',
    tmp,
    '--bucket',
    'bench-bucket',
    '--account',
    '111122223333',
    '--regions',
    'us-east-1',
    '--start-time',
    '2024-05-01T00:00:00Z',
    '--hours',
    '1',
    '--files-per-hour',
    '1',
    '--records-per-file',
    String(RECORDS),
  ]);
  if (r.code !== 0) throw new Error(`trailproof simulate failed (${r.code}): ${r.stderr.trim()}`);
  const file = walk(tmp).find((f) => f.endsWith('.json.gz'));
  gz = readFileSync(file);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const json = zlib.gunzipSync(gz);
const chunks = [];
for (let i = 0; i < gz.length; i += CHUNK) chunks.push(gz.subarray(i, i + CHUNK));

function walk(dir) {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

// ---- timing ----
/** ops/s of a synchronous fn: warm-up, then the median of 3 rounds of at least ROUND_MS. */
function rate(fn) {
  const round = (ms) => {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      fn();
      n += 1;
      t = performance.now();
    } while (t - t0 < ms);
    return n / ((t - t0) / 1000);
  };
  round(ROUND_MS / 2);
  return median([round(ROUND_MS), round(ROUND_MS), round(ROUND_MS)]);
}

async function rateAsync(fn) {
  const round = async (ms) => {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    do {
      await fn();
      n += 1;
      t = performance.now();
    } while (t - t0 < ms);
    return n / ((t - t0) / 1000);
  };
  await round(ROUND_MS / 2);
  return median([await round(ROUND_MS), await round(ROUND_MS), await round(ROUND_MS)]);
}

function median(xs) {
  return xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

// ---- the candidates ----
const nodeGunzipStream = () =>
  new Promise((resolve, reject) => {
    const g = zlib.createGunzip();
    let n = 0;
    g.on('data', (c) => (n += c.length));
    g.on('end', () => resolve(n));
    g.on('error', reject);
    for (const c of chunks) g.write(c);
    g.end();
  });

const nodeGunzipStreamHash = () =>
  new Promise((resolve, reject) => {
    const g = zlib.createGunzip();
    const h = createHash('sha256');
    g.on('data', (c) => h.update(c));
    g.on('end', () => resolve(h.digest('hex')));
    g.on('error', reject);
    for (const c of chunks) g.write(c);
    g.end();
  });

function fflateGunzipStream(onData = () => {}) {
  const g = new FflateGunzip((data) => onData(data));
  chunks.forEach((c, i) => g.push(c, i === chunks.length - 1));
}

function fflateNobleStreamHash() {
  const h = nobleSha256.create();
  fflateGunzipStream((d) => h.update(d));
  return Buffer.from(h.digest()).toString('hex');
}

// Sanity: every candidate computes the same thing before anything is timed.
const want = createHash('sha256').update(json).digest('hex');
const same = [
  Buffer.from(nobleSha256(json)).toString('hex'),
  createHash('sha256').update(fflateGunzipSync(gz)).digest('hex'),
  await nodeGunzipStreamHash(),
  fflateNobleStreamHash(),
];
if (same.some((h) => h !== want)) throw new Error('the candidates disagree on the SHA-256 of the log');

// RSA-2048, PKCS#1 v1.5, SHA-256 over a CloudTrail data-signing string (what digests sign).
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const der = publicKey.export({ type: 'pkcs1', format: 'der' });
const signingString = Buffer.from(
  [
    '2024-05-01T01:00:00Z',
    'bench-bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/111122223333_CloudTrail-Digest_us-east-1_bench_us-east-1_20240501T010000Z.json.gz',
    createHash('sha256').update('digest').digest('hex'),
    'a'.repeat(512),
  ].join('\n'),
);
const signature = nodeSign('sha256', signingString, privateKey);
const forgePriv = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }));
const forgePub = forge.pki.publicKeyFromPem(publicKey.export({ type: 'pkcs1', format: 'pem' }));
const signingBinary = signingString.toString('binary');
const signatureBinary = signature.toString('binary');
const forgeMd = () => {
  const md = forge.md.sha256.create();
  md.update(signingBinary);
  return md;
};
if (!forgePub.verify(forgeMd().digest().bytes(), signatureBinary)) throw new Error('node-forge rejects node:crypto signature');
if (!nodeVerify('sha256', signingString, publicKey, Buffer.from(forgePriv.sign(forgeMd()), 'binary'))) {
  throw new Error('node:crypto rejects node-forge signature');
}
// The verifier imports each key once (DER PKCS#1), then verifies many digests with it.
const importedKey = createPublicKey({ key: der, format: 'der', type: 'pkcs1' });

const m = machine();
const jsonMiB = json.length / MiB;
process.stderr.write(`primitives: ${machineLine(m)}; ${loadAtStart}\n`);
process.stderr.write(
  `data: one simulated log, ${num(json.length / 1024)} KiB JSON, ${num(gz.length / 1024)} KiB gzip (${(json.length / gz.length).toFixed(1)}x)\n`,
);

const rows = [];
function row(name, unit, native, portable, nativeName, portableName) {
  rows.push({ name, unit, native, portable, nativeName, portableName });
  process.stderr.write('.');
}
const mbps = (r) => r * jsonMiB;

row('SHA-256', 'MiB/s', mbps(rate(() => createHash('sha256').update(json).digest())), mbps(rate(() => nobleSha256(json))), 'node:crypto', '@noble/hashes');
row('gunzip, whole buffer', 'MiB/s', mbps(rate(() => zlib.gunzipSync(gz))), mbps(rate(() => fflateGunzipSync(gz))), 'zlib.gunzipSync', 'fflate.gunzipSync');
row(
  'gunzip, stream (64 KiB chunks)',
  'MiB/s',
  mbps(await rateAsync(nodeGunzipStream)),
  mbps(rate(() => fflateGunzipStream())),
  'zlib.createGunzip',
  'fflate.Gunzip',
);
row(
  'gunzip + SHA-256, 1 core',
  'MiB/s',
  mbps(rate(() => createHash('sha256').update(zlib.gunzipSync(gz)).digest())),
  mbps(rate(() => nobleSha256(fflateGunzipSync(gz)))),
  'gunzipSync + createHash',
  'fflate + noble',
);
row(
  'gunzip + SHA-256, stream, 1 core',
  'MiB/s',
  mbps(await rateAsync(nodeGunzipStreamHash)),
  mbps(rate(fflateNobleStreamHash)),
  'createGunzip -> createHash',
  'fflate.Gunzip -> noble',
);
// The ceiling's own loop (bench/lib/ceiling-worker.mjs), off the main thread: 1 worker, then one per core.
for (const threads of [1, m.cores]) {
  const r = await runCeiling({ threads, gz, durationMs: ROUND_MS * 3 });
  row(`gunzip + SHA-256, ${threads} worker thread${threads > 1 ? 's' : ''}`, 'MiB/s', r.bytes / MiB / (r.ms / 1000), NaN, 'gunzipSync + createHash', '');
}
row(
  'RSA-2048 verify (PKCS#1 v1.5, SHA-256)',
  'ops/s',
  rate(() => nodeVerify('sha256', signingString, importedKey, signature)),
  rate(() => forgePub.verify(forgeMd().digest().bytes(), signatureBinary)),
  'crypto.verify',
  'forge verify',
);
row(
  'RSA-2048 sign (PKCS#1 v1.5, SHA-256)',
  'ops/s',
  rate(() => nodeSign('sha256', signingString, privateKey)),
  rate(() => forgePriv.sign(forgeMd())),
  'crypto.sign',
  'forge sign',
);
row(
  'MD5 of a DER public key (fingerprint)',
  'ops/s',
  rate(() => createHash('md5').update(der).digest('hex')),
  rate(() => Buffer.from(nobleMd5(der)).toString('hex')),
  "createHash('md5')",
  '@noble/hashes md5',
);
process.stderr.write('\n');

// trailproof's own loop against the ceiling's, both native, on a log of the size CloudTrail writes most
// (~100 KiB of JSON): the log workers inflate with one reused zlib engine and output buffer
// (MemberInflater, src/crypto/gzip-sync.ts) instead of a new engine and output per file (gunzipSync).
const { MemberInflater } = await import('../dist/crypto/gzip-sync.js');
const small = zlib.gzipSync(Buffer.from(JSON.stringify({ Records: JSON.parse(json.toString()).Records.slice(0, 80) })));
const smallMiB = zlib.gunzipSync(small).length / MiB;
const inflater = MemberInflater.create();
if (!inflater) throw new Error('MemberInflater is not available on this runtime');
const viaInflater = () => {
  const h = createHash('sha256');
  inflater.member(small, (c) => h.update(c));
  return h.digest('hex');
};
if (viaInflater() !== createHash('sha256').update(zlib.gunzipSync(small)).digest('hex')) throw new Error('MemberInflater hashes differently');
const hotPath = {
  logKiB: (smallMiB * MiB) / 1024,
  gunzipSync: rate(() => createHash('sha256').update(zlib.gunzipSync(small)).digest()) * smallMiB,
  memberInflater: rate(viaInflater) * smallMiB,
};

const elapsed = (performance.now() - started) / 1000;
if (JSON_OUT) {
  process.stdout.write(
    `${JSON.stringify({ machine: m, loadAtStart, logBytes: json.length, gzipBytes: gz.length, rows, hotPath, seconds: elapsed }, null, 2)}\n`,
  );
} else {
  process.stdout.write(`\ntrailproof primitives on ${machineLine(m)}\n`);
  process.stdout.write(`log: ${num(json.length / 1024)} KiB JSON, ${num(gz.length / 1024)} KiB gzip; median of 3 rounds of ${ROUND_MS} ms\n\n`);
  process.stdout.write(
    table([
      ['operation', 'unit', 'native', 'portable', 'native/portable', 'native is', 'portable is'],
      ...rows.map((r) => [
        r.name,
        r.unit,
        num(r.native, r.native < 100 ? 1 : 0),
        num(r.portable, r.portable < 100 ? 1 : 0),
        Number.isFinite(r.portable) ? `${(r.native / r.portable).toFixed(1)}x` : 'n/a',
        r.nativeName,
        r.portableName || '-',
      ]),
    ]),
  );
  process.stdout.write(
    `\ngunzip + SHA-256 of a ${num(hotPath.logKiB)} KiB log, 1 core: ${num(hotPath.gunzipSync)} MiB/s with zlib.gunzipSync (a new engine and output per file), ` +
      `${num(hotPath.memberInflater)} MiB/s with one reused engine and output buffer (MemberInflater, the log workers' loop): ` +
      `${(hotPath.memberInflater / hotPath.gunzipSync).toFixed(2)}x\n`,
  );
  process.stdout.write(`\n(${elapsed.toFixed(1)} s; ${loadAtStart} at the start)\n`);
}

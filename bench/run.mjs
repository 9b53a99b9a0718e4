#!/usr/bin/env node
// trailproof end to end against the machine's ceiling (issue 5). See bench/README.md.
//
//   npm run build && node bench/run.mjs --quick       # ~200 MiB of logs in ~2,000 files, ~1 minute
//   npm run build && node bench/run.mjs               # >= 2 GiB in >= 20,000 files, two regions
//   scripts/with-s3.sh node bench/run.mjs --quick     # also the S3 section (a throw-away Ceph RGW)
//
// Options: --size-mb N (uncompressed MiB), --files N, --files-per-hour N (per region, default 60),
// --fresh (rebuild the prepared trail), --repeat N (best of N for sign and validate-logs; default 3
// in quick mode, 1 in full mode), --concurrency N (passed to sign and validate-logs), --s3-files N
// (default 2000), --s3-records N (records per S3 log file, default 20), --json (the results as JSON
// on stdout), --check (exit 1 when a target fails).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCeiling } from './lib/ceiling.mjs';
import {
  BENCH_DIR,
  BUSY_NOTE,
  CLI,
  load,
  REPO_DIR,
  loadLine,
  machine,
  machineLine,
  MiB,
  num,
  requireBuild,
  runCli,
  seconds,
  table,
  checkedCli,
  fail,
  iso,
  log,
  sameParams,
  walkFiles,
} from './lib/common.mjs';

// ---------------------------------------------------------------------------------------------
// options

const argv = process.argv.slice(2);
const KNOWN = new Set(['quick', 'fresh', 'json', 'check', 'size-mb', 'files', 'files-per-hour', 'repeat', 'concurrency', 's3-files', 's3-records', 'help']);
const flags = {};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (!a.startsWith('--') || !KNOWN.has(a.slice(2))) usage(`unknown argument ${a}`);
  const name = a.slice(2);
  if (['quick', 'fresh', 'json', 'check', 'help'].includes(name)) flags[name] = true;
  else {
    const v = Number(argv[++i]);
    if (!Number.isSafeInteger(v) || v < 1) usage(`--${name} needs a whole number >= 1`);
    flags[name] = v;
  }
}
if (flags.help) usage();

function usage(problem) {
  process.stderr.write(
    'usage: node bench/run.mjs [--quick] [--size-mb N] [--files N] [--files-per-hour N] [--fresh] [--repeat N]\n' +
      '                          [--concurrency N] [--s3-files N] [--s3-records N] [--json] [--check]\n' +
      (problem ? `\nbench: ${problem}\n` : ''),
  );
  process.exit(problem ? 2 : 0);
}

const QUICK = flags.quick === true;
const MODE =
  flags['size-mb'] !== undefined || flags.files !== undefined || flags['files-per-hour'] !== undefined
    ? QUICK
      ? 'quick, custom size'
      : 'custom size'
    : QUICK
      ? 'quick'
      : 'full';
const SIZE_MIB = flags['size-mb'] ?? (QUICK ? 200 : 2048);
const FILES = flags.files ?? (QUICK ? 2000 : 20000);
const FILES_PER_HOUR = Math.min(flags['files-per-hour'] ?? 60, 600);
// Best of 3 by default for every measurement, the ceiling included: each side gets the same chance against the noise.
const REPEAT = flags.repeat ?? 3;
const S3_FILES = flags['s3-files'] ?? 2000;
const S3_RECORDS = flags['s3-records'] ?? 20;
const CONCURRENCY = flags.concurrency;

const REGIONS = ['us-east-1', 'eu-west-1'];
const ACCOUNT = '111122223333';
const BUCKET = 'bench-bucket';
const TRAIL = 'bench';
const ARN = `arn:aws:cloudtrail:${REGIONS[0]}:${ACCOUNT}:trail/${TRAIL}`;
const START = Date.UTC(2024, 4, 1); // 2024-05-01T00:00:00Z
const KEYS_VALID_FROM = '2024-04-30T00:00:00Z';
// A range inside the keys' validity (so the run is not stopped for want of keys) with no digest.
const EMPTY_RANGE = ['2024-04-30T01:00:00Z', '2024-04-30T12:00:00Z'];
const WORK = join(BENCH_DIR, '.work');
// Digests of earlier sign runs are moved here, not deleted, until every measurement is done: ext4 makes
// a file created within minutes of many deletions expensive (its inode search skips recently deleted
// inodes), a cost of the bench's own clean-up that a signer writing its hourly digests never meets.
const TRASH = join(WORK, 'trash');

const TARGETS = { local: 0.85, sign: 0.8, rssMiB: 200, s3: 5, emptyS: 0.5 };

requireBuild();
const load0 = load();
const m = machine();
log(`${MODE} mode on ${machineLine(m)}; ${loadLine(load0)}`);

// ---------------------------------------------------------------------------------------------
// helpers

/**
 * A simulated trail with its key store, reused when its parameters match (params.json is written
 * last: a half-built trail is rebuilt). Resolves with { dir, root, keys, params, hours }.
 */
async function prepareTrail(name, { regions, files, fph, records, sizeMiB, bucket }) {
  const dir = join(WORK, name);
  const root = join(dir, 'root');
  const keys = join(dir, 'keys');
  // The records per file for a target size: measured on a small sample of the same simulator.
  if (records === undefined) records = recordsFor(sizeMiB, files);
  const hours = Math.ceil(files / (regions.length * fph));
  const perHour = Math.ceil(files / (regions.length * hours));
  const params = { version: 1, regions, bucket, account: ACCOUNT, start: iso(START), hours, filesPerHour: perHour, records, seed: 1 };
  const ready = !flags.fresh && sameParams(join(dir, 'params.json'), params);
  if (ready) {
    log(`reusing the prepared trail in ${dir}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`simulating ${hours} h x ${perHour} files/h x ${regions.length} regions x ${records} records into ${root}`);
    const t0 = performance.now();
    await checkedCli(
      [
        'simulate',
        '--local-root',
        root,
        '--bucket',
        bucket,
        '--account',
        ACCOUNT,
        '--regions',
        regions.join(','),
        '--start-time',
        iso(START),
        '--hours',
        String(hours),
        '--files-per-hour',
        String(perHour),
        '--records-per-file',
        String(records),
        '--seed',
        '1',
        '--concurrency',
        String(Math.max(4, m.cores * 2)),
      ],
      'trailproof simulate',
    );
    for (const region of regions) {
      await checkedCli(['keys', 'create', '--keys-dir', keys, '--region', region, '--valid-from', KEYS_VALID_FROM], 'trailproof keys create');
    }
    writeFileSync(join(dir, 'params.json'), `${JSON.stringify(params, null, 2)}\n`);
    log(`prepared in ${seconds(performance.now() - t0)}`);
  }
  return { dir, root, keys, params, hours, ready };
}

let bytesPerRecord; // set by ensureCalibrated()
function recordsFor(sizeMiB, files) {
  return Math.min(10_000, Math.max(1, Math.ceil((sizeMiB * MiB) / files / bytesPerRecord)));
}

// ---------------------------------------------------------------------------------------------
main().catch((err) => fail(err?.stack ?? String(err)));

async function main() {
  mkdirSync(WORK, { recursive: true });
  rmSync(TRASH, { recursive: true, force: true });
  mkdirSync(TRASH, { recursive: true });
  await ensureCalibrated();
  const results = { mode: MODE, cli: CLI, commit: gitCommit(), machine: m, loadAtStart: load0.one, date: new Date().toISOString(), sections: {} };

  const trailName = `trail-${FILES}f-${SIZE_MIB}m-${FILES_PER_HOUR}ph`;
  const resultsFile = join(WORK, `results-${trailName}.json`);
  const trail = await prepareTrail(trailName, {
    regions: REGIONS,
    files: FILES,
    fph: FILES_PER_HOUR,
    sizeMiB: SIZE_MIB,
    bucket: BUCKET,
  });
  const end = START + trail.hours * 3_600_000;
  const bucketDir = join(trail.root, BUCKET);
  const logDir = join(bucketDir, 'AWSLogs', ACCOUNT, 'CloudTrail');
  const digestDir = join(bucketDir, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest');
  const logFiles = walkFiles(logDir).filter((f) => f.endsWith('.json.gz'));
  let gzBytes = 0;
  // Warm the page cache: every figure below reads the same files from memory.
  for (const f of logFiles) gzBytes += readFileSync(f).length;
  log(`trail: ${num(logFiles.length)} log files, ${num(gzBytes / MiB, 1)} MiB gzip, ${REGIONS.length} regions, ${trail.hours} hours`);
  results.trail = { files: logFiles.length, gzipMiB: gzBytes / MiB, regions: REGIONS, hours: trail.hours, recordsPerFile: trail.params.records };

  const conc = CONCURRENCY ? ['--concurrency', String(CONCURRENCY)] : [];

  // ---- sign, from scratch: no digest in the bucket ----
  let sign;
  for (let i = 0; i < REPEAT; i++) {
    if (existsSync(digestDir)) renameSync(digestDir, join(TRASH, `digests-${Date.now()}-${i}`));
    log(`sign${REPEAT > 1 ? ` (${i + 1}/${REPEAT})` : ''}...`);
    const r = await checkedCli(
      [
        'sign',
        '--keys-dir',
        trail.keys,
        '--trail-arn',
        ARN,
        '--s3-bucket',
        BUCKET,
        '--regions',
        REGIONS.join(','),
        '--local-root',
        trail.root,
        '--until',
        iso(end),
        ...conc,
      ],
      'trailproof sign',
    );
    if (!sign || r.ms < sign.ms) sign = r;
  }

  // ---- what the digests reference ----
  const referenced = readDigests(digestDir, trail.root);
  if (referenced.length !== logFiles.length) {
    fail(`the digests reference ${referenced.length} log files, the trail holds ${logFiles.length}`);
  }
  const paths = referenced.map((r) => r.path);

  // ---- the ceiling: read + gunzip + SHA-256 on all cores, nothing else (best of 3) ----
  let ceiling;
  for (let i = 0; i < Math.max(3, REPEAT); i++) {
    const r = await runCeiling({ files: paths });
    if (!ceiling || r.ms < ceiling.ms) ceiling = r;
  }
  const wrong = referenced.filter((r, i) => ceiling.hashes[i] !== r.hash).length;
  if (wrong > 0) fail(`the ceiling's SHA-256 differs from the digest's for ${wrong} files`);
  const uncompressedMiB = ceiling.bytes / MiB;
  const rate = (ms) => uncompressedMiB / (ms / 1000);
  log(`ceiling: ${seconds(ceiling.ms)}, ${num(rate(ceiling.ms))} MiB/s on ${m.cores} threads`);

  // ---- validate-logs --local-root, each region, as the real CLI ----
  const validate = { ms: 0, cpuMs: 0, rssKiB: 0, runs: [] };
  for (const region of REGIONS) {
    let best;
    for (let i = 0; i < REPEAT; i++) {
      log(`validate-logs --local-root --region ${region}${REPEAT > 1 ? ` (${i + 1}/${REPEAT})` : ''}...`);
      const r = await checkedCli(
        [
          'validate-logs',
          '--trail-arn',
          ARN,
          '--start-time',
          iso(START),
          '--end-time',
          iso(end),
          '--s3-bucket',
          BUCKET,
          '--local-root',
          trail.root,
          '--keys-dir',
          trail.keys,
          '--region',
          region,
          ...conc,
        ],
        `validate-logs --region ${region}`,
      );
      const want = referenced.filter((x) => x.region === region).length;
      if (!r.stdout.includes(`${want}/${want} log files valid`))
        fail(`validate-logs --region ${region}: expected ${want}/${want} log files valid:\n${r.stdout}`);
      if (!best || r.ms < best.ms) best = r;
    }
    validate.ms += best.ms;
    validate.cpuMs += best.cpuMs;
    validate.rssKiB = Math.max(validate.rssKiB, best.rssKiB);
    validate.runs.push({ region, ms: best.ms, cpuMs: best.cpuMs, rssKiB: best.rssKiB, code: best.code });
  }

  // ---- an empty range (start-up, keys, one listing): median of 3 ----
  const empties = [];
  for (let i = 0; i < 3; i++) {
    const r = await checkedCli(
      [
        'validate-logs',
        '--trail-arn',
        ARN,
        '--start-time',
        EMPTY_RANGE[0],
        '--end-time',
        EMPTY_RANGE[1],
        '--s3-bucket',
        BUCKET,
        '--local-root',
        trail.root,
        '--keys-dir',
        trail.keys,
      ],
      'validate-logs on an empty range',
    );
    if (!r.stdout.includes('No digests found')) fail(`validate-logs on an empty range found digests:\n${r.stdout}`);
    empties.push(r.ms);
  }
  const emptyMs = empties.sort((a, b) => a - b)[1];

  // ---- S3 ----
  const s3 = await s3Section();

  // ---- report ----
  const ratio = (ms) => ceiling.ms / ms;
  const cpuRatio = (cpuMs) => ceiling.cpuMs / cpuMs;
  const cpuS = (cpuMs) => (Number.isFinite(cpuMs) ? `${(cpuMs / 1000).toFixed(2)} s` : 'n/a');
  results.sections = {
    ceiling: { ms: ceiling.ms, cpuMs: ceiling.cpuMs, mibPerS: rate(ceiling.ms), threads: m.cores, uncompressedMiB, files: paths.length },
    validateLocal: {
      ms: validate.ms,
      cpuMs: validate.cpuMs,
      mibPerS: rate(validate.ms),
      ratio: ratio(validate.ms),
      cpuRatio: cpuRatio(validate.cpuMs),
      peakRssMiB: validate.rssKiB / 1024,
      runs: validate.runs,
    },
    sign: {
      ms: sign.ms,
      cpuMs: sign.cpuMs,
      mibPerS: rate(sign.ms),
      ratio: ratio(sign.ms),
      cpuRatio: cpuRatio(sign.cpuMs),
      peakRssMiB: sign.rssKiB / 1024,
      code: sign.code,
    },
    emptyRange: { ms: emptyMs, runsMs: empties },
    s3,
  };
  const targets = [
    ['validate-logs --local-root >= 85% of the ceiling', `${pct(ratio(validate.ms))}`, ratio(validate.ms) >= TARGETS.local],
    ['validate-logs peak RSS < 200 MiB', `${num(validate.rssKiB / 1024)} MiB`, rssPass(validate.rssKiB)],
    ['sign >= 80% of the ceiling', `${pct(ratio(sign.ms))}`, ratio(sign.ms) >= TARGETS.sign],
    ['sign peak RSS < 200 MiB', `${num(sign.rssKiB / 1024)} MiB`, rssPass(sign.rssKiB)],
    [
      'validate-logs on S3 >= 5x the sequential loop',
      s3.speedup !== undefined ? `${s3.speedup.toFixed(1)}x` : 'n/a',
      s3.speedup !== undefined ? s3.speedup >= TARGETS.s3 : null,
    ],
    ['validate-logs on an empty range < 0.5 s', seconds(emptyMs), emptyMs / 1000 < TARGETS.emptyS],
  ];
  results.targets = targets.map(([name, figure, pass]) => ({ name, figure, result: pass === null ? 'SKIPPED' : pass ? 'PASS' : 'FAIL' }));
  const load1 = load();
  results.loadAtEnd = load1.one;
  rmSync(TRASH, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);

  if (flags.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const out = [];
    out.push(`trailproof bench (${MODE}) on ${machineLine(m)}`);
    out.push(`load average ${load0.one.toFixed(2)} at the start, ${load1.one.toFixed(2)} at the end${load0.busy || load1.busy ? ` (${BUSY_NOTE})` : ''}`);
    out.push(
      `trail: ${num(paths.length)} log files in ${REGIONS.length} regions (${REGIONS.join(', ')}), ${trail.hours} hourly digests per region, ` +
        `${num(uncompressedMiB, 1)} MiB uncompressed, ${num(gzBytes / MiB, 1)} MiB gzip (${(uncompressedMiB / (gzBytes / MiB)).toFixed(1)}x), warm page cache`,
    );
    out.push('');
    out.push(
      table([
        ['measurement', 'wall', 'MiB/s', 'of ceiling', 'CPU', 'CPU of ceiling', 'peak RSS', 'exit'],
        [
          `ceiling: read + gunzipSync + SHA-256, ${m.cores} worker threads (best of ${Math.max(3, REPEAT)})`,
          seconds(ceiling.ms),
          num(rate(ceiling.ms)),
          '100%',
          cpuS(ceiling.cpuMs),
          '100%',
          '-',
          '-',
        ],
        [
          `validate-logs --local-root (${REGIONS.length} regions, one CLI run each${REPEAT > 1 ? `, best of ${REPEAT}` : ''})`,
          seconds(validate.ms),
          num(rate(validate.ms)),
          pct(ratio(validate.ms)),
          cpuS(validate.cpuMs),
          pct(cpuRatio(validate.cpuMs)),
          `${num(validate.rssKiB / 1024)} MiB`,
          '0',
        ],
        ...validate.runs.map((r) => [`  --region ${r.region}`, seconds(r.ms), '', '', cpuS(r.cpuMs), '', `${num(r.rssKiB / 1024)} MiB`, String(r.code)]),
        [
          `sign from scratch (${REGIONS.length} regions, one CLI run${REPEAT > 1 ? `, best of ${REPEAT}` : ''})`,
          seconds(sign.ms),
          num(rate(sign.ms)),
          pct(ratio(sign.ms)),
          cpuS(sign.cpuMs),
          pct(cpuRatio(sign.cpuMs)),
          `${num(sign.rssKiB / 1024)} MiB`,
          String(sign.code),
        ],
        ['validate-logs on an empty range (median of 3)', seconds(emptyMs), '-', '-', '-', '-', '-', '0'],
      ]).trimEnd(),
    );
    out.push('');
    if (s3.skipped) {
      out.push(`S3: skipped: ${s3.skipped}`);
      if (s3.sequential)
        out.push(
          `    (sequential loop alone: ${seconds(s3.sequential.ms)} for ${num(s3.sequential.objects)} objects, ${num(s3.sequential.objects / (s3.sequential.ms / 1000))} objects/s)`,
        );
      if (s3.parallel)
        out.push(
          `    (${s3.parallel.inFlight} requests in flight: ${seconds(s3.parallel.ms)}, ${num(s3.parallel.objects / (s3.parallel.ms / 1000))} objects/s)`,
        );
    } else {
      out.push(
        `S3 (${s3.endpoint}, bucket ${s3.bucket}: ${num(s3.logFiles)} log files of ~${num(s3.avgGzipBytes / 1024, 1)} KiB gzip + ${num(s3.digests)} digests)`,
      );
      out.push(
        table([
          ['measurement', 'wall', 'objects/s', 'peak RSS'],
          [
            'validate-logs (the CLI, S3 store; process start-up and SDK load included)',
            seconds(s3.cli.ms),
            num(s3.objects / (s3.cli.ms / 1000)),
            `${num(s3.cli.rssKiB / 1024)} MiB`,
          ],
          [
            'sequential loop: list, then GetObject + gunzip + SHA-256 one object at a time',
            seconds(s3.sequential.ms),
            num(s3.objects / (s3.sequential.ms / 1000)),
            '-',
          ],
          [
            `  for reference: the same loop with ${s3.parallel.inFlight} requests in flight (no target)`,
            seconds(s3.parallel.ms),
            num(s3.objects / (s3.parallel.ms / 1000)),
            '-',
          ],
        ]).trimEnd(),
      );
      out.push(`speed-up: ${s3.speedup.toFixed(1)}x`);
    }
    out.push('');
    out.push('targets (issue 5)');
    out.push(table([['target', 'figure', 'result'], ...results.targets.map((t) => [t.name, t.figure, t.result])]).trimEnd());
    out.push('');
    out.push(`results: ${resultsFile}`);
    process.stdout.write(`\n${out.join('\n')}\n`);
  }
  if (flags.check && results.targets.some((t) => t.result === 'FAIL')) process.exit(1);
}

/** null (SKIPPED) when the peak RSS could not be measured. */
function rssPass(kib) {
  return Number.isFinite(kib) && kib > 0 ? kib / 1024 < TARGETS.rssMiB : null;
}

/** The checked-out commit, with "+dirty" when the tree has changes (what the figures measured). */
function gitCommit() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_DIR, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+dirty' : ''}`;
}

function pct(x) {
  if (!Number.isFinite(x)) return 'n/a';
  return `${(x * 100).toFixed(0)}%`;
}

/** Every digest of the trail: the log files it references, with their hashes and local paths. */
function readDigests(digestDir, root) {
  const out = [];
  const seen = new Set();
  for (const f of walkFiles(digestDir)
    .filter((p) => p.endsWith('.json.gz'))
    .sort()) {
    const digest = JSON.parse(gunzipSync(readFileSync(f)).toString('utf8'));
    const region = /CloudTrail-Digest\/([^/]+)\//.exec(f.replaceAll('\\', '/'))?.[1];
    for (const lf of digest.logFiles) {
      const id = `${lf.s3Bucket}/${lf.s3Object}`;
      if (seen.has(id)) fail(`log file referenced twice: ${id}`);
      seen.add(id);
      out.push({ path: join(root, lf.s3Bucket, lf.s3Object), hash: lf.hashValue, region });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// calibration (uncompressed bytes per simulated record)

async function ensureCalibrated() {
  const cached = join(WORK, 'calibrate.json');
  const key = JSON.stringify({ regions: REGIONS, version: 1 });
  try {
    const c = JSON.parse(readFileSync(cached, 'utf8'));
    if (c.key === key && !flags.fresh) {
      bytesPerRecord = c.bytesPerRecord;
      return;
    }
  } catch {
    // measure below
  }
  const dir = join(WORK, 'calibrate');
  rmSync(dir, { recursive: true, force: true });
  const records = 200;
  await checkedCli(
    [
      'simulate',
      '--local-root',
      dir,
      '--bucket',
      BUCKET,
      '--account',
      ACCOUNT,
      '--regions',
      REGIONS.join(','),
      '--start-time',
      iso(START),
      '--hours',
      '1',
      '--files-per-hour',
      '6',
      '--records-per-file',
      String(records),
      '--seed',
      '7',
    ],
    'calibration',
  );
  const files = walkFiles(dir).filter((f) => f.endsWith('.json.gz'));
  const bytes = files.reduce((n, f) => n + gunzipSync(readFileSync(f)).length, 0);
  rmSync(dir, { recursive: true, force: true });
  bytesPerRecord = bytes / (files.length * records);
  writeFileSync(cached, JSON.stringify({ key, bytesPerRecord }));
}

// ---------------------------------------------------------------------------------------------
// S3: validate-logs against a real server, and the AWS CLI's way (one object after another)

async function s3Section() {
  const endpoint = process.env.TRAILPROOF_S3_ENDPOINT;
  if (!endpoint) return { skipped: 'TRAILPROOF_S3_ENDPOINT is not set (run under scripts/with-s3.sh, or set it with AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)' };
  if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) return { skipped: 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set' };
  let sdk;
  try {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    sdk = await import('@aws-sdk/client-s3');
  } catch (err) {
    return { skipped: `@aws-sdk/client-s3 cannot be loaded: ${err.message}` };
  }
  const region = REGIONS[0];
  const bucket = `tp-bench-${S3_FILES}f-${S3_RECORDS}r`;
  const trail = await prepareTrail(`s3-trail-${S3_FILES}f-${S3_RECORDS}r`, {
    regions: [region],
    files: S3_FILES,
    fph: FILES_PER_HOUR,
    records: S3_RECORDS,
    bucket,
  });
  const end = START + trail.hours * 3_600_000;
  const bucketDir = join(trail.root, bucket);
  const digestDir = join(bucketDir, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest');
  if (!trail.ready || walkFiles(digestDir).length === 0) {
    rmSync(digestDir, { recursive: true, force: true });
    await checkedCli(
      ['sign', '--keys-dir', trail.keys, '--trail-arn', ARN, '--s3-bucket', bucket, '--regions', region, '--local-root', trail.root, '--until', iso(end)],
      'trailproof sign (S3 trail)',
    );
  }

  // Checksums only where required, as trailproof's S3 store does (src/aws/s3-store.ts): the same work per object.
  const client = new sdk.S3Client({
    endpoint,
    forcePathStyle: true,
    region: process.env.AWS_REGION || 'us-east-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    // ---- upload (skipped when the bucket already holds this exact trail) ----
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

    // ---- the sequential loop: what the AWS CLI does, one request at a time ----
    log('sequential GetObject loop...');
    const sequential = await sequentialLoop(sdk, client, bucket, region);
    const logFiles = sequential.logFiles;
    const result = {
      endpoint,
      bucket,
      logFiles,
      digests: sequential.digests,
      objects: sequential.objects,
      avgGzipBytes: sequential.logGzipBytes / logFiles,
      sequential: { ms: sequential.ms, objects: sequential.objects },
    };

    // ---- the same work with 32 requests in flight: what this server allows (a reference, no target) ----
    log('parallel GetObject loop (32 in flight)...');
    const parallel = await sequentialLoop(sdk, client, bucket, region, 32);
    result.parallel = { ms: parallel.ms, objects: parallel.objects, inFlight: 32 };
    if (sequential.mismatches + parallel.mismatches > 0) {
      return { ...result, skipped: `the loops found ${sequential.mismatches + parallel.mismatches} hash mismatches: the uploaded trail is wrong` };
    }

    // ---- the CLI on S3 ----
    log('validate-logs on S3...');
    const env = { ...process.env, AWS_REGION: process.env.AWS_REGION || 'us-east-1' };
    const r = await runCli(
      [
        'validate-logs',
        '--endpoint-url',
        endpoint,
        '--trail-arn',
        ARN,
        '--start-time',
        iso(START),
        '--end-time',
        iso(end),
        '--s3-bucket',
        bucket,
        '--keys-dir',
        trail.keys,
        ...(CONCURRENCY ? ['--concurrency', String(CONCURRENCY)] : []),
      ],
      { env },
    );
    if (r.code !== 0) {
      const why = r.stderr.trim().split('\n').filter(Boolean).pop() ?? r.stdout.trim().split('\n').pop();
      return { ...result, skipped: `validate-logs on S3 is not usable yet (exit ${r.code}): ${why}` };
    }
    if (!r.stdout.includes(`${logFiles}/${logFiles} log files valid`)) {
      return {
        ...result,
        skipped: `validate-logs on S3 did not report ${logFiles}/${logFiles} log files valid: ${r.stdout.trim().split('\n').slice(-2).join(' / ')}`,
      };
    }
    return { ...result, cli: { ms: r.ms, rssKiB: r.rssKiB, code: r.code }, speedup: sequential.ms / r.ms };
  } finally {
    client.destroy();
  }
}

/**
 * List the digests, then for each: GetObject, gunzip, parse; for each of its log files: GetObject,
 * gunzip, SHA-256, compare. One request at a time (inFlight 1, the AWS CLI's way), or with
 * `inFlight` requests at once: all digests first, then all their log files.
 */
async function sequentialLoop(sdk, client, bucket, region, inFlight = 1) {
  const t0 = performance.now();
  const prefix = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${region}/`;
  const keys = [];
  let token;
  do {
    const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  let objects = 0;
  let logFiles = 0;
  let logGzipBytes = 0;
  let mismatches = 0;
  const get = async (key) => {
    const o = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
    objects += 1;
    return Buffer.from(await o.Body.transformToByteArray());
  };
  const checkLog = async (lf) => {
    const gz = await get(lf.s3Object);
    logGzipBytes += gz.length;
    logFiles += 1;
    if (createHash('sha256').update(gunzipSync(gz)).digest('hex') !== lf.hashValue) mismatches += 1;
  };
  keys.sort().reverse();
  if (inFlight === 1) {
    for (const key of keys) {
      const digest = JSON.parse(gunzipSync(await get(key)).toString('utf8'));
      for (const lf of digest.logFiles) await checkLog(lf);
    }
  } else {
    const digests = [];
    await pool(keys, inFlight, async (key) => digests.push(JSON.parse(gunzipSync(await get(key)).toString('utf8'))));
    await pool(
      digests.flatMap((d) => d.logFiles),
      inFlight,
      checkLog,
    );
  }
  return { ms: performance.now() - t0, objects, digests: keys.length, logFiles, logGzipBytes, mismatches };
}

async function pool(items, n, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

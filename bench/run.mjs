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
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCeiling } from './lib/ceiling.mjs';
import { formatS3Bench, runS3Bench, s3Targets } from './lib/s3-bench.mjs';
import { ACCOUNT, ARN, prepareTrail as prepareSharedTrail, START, WORK } from './lib/trail.mjs';
import {
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
  seconds,
  table,
  checkedCli,
  fail,
  iso,
  log,
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
const BUCKET = 'bench-bucket';
// A range inside the keys' validity (so the run is not stopped for want of keys) with no digest.
const EMPTY_RANGE = ['2024-04-30T01:00:00Z', '2024-04-30T12:00:00Z'];
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

/** The trail of the local measurements (records per file from the calibration when not given). */
function prepareTrail(name, { records, sizeMiB, files, ...rest }) {
  return prepareSharedTrail(name, { ...rest, files, records: records ?? recordsFor(sizeMiB, files), fresh: flags.fresh === true });
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

  // ---- S3 (bench/lib/s3-bench.mjs; bench/s3.mjs runs it alone) ----
  const s3 = await runS3Bench({
    files: S3_FILES,
    records: S3_RECORDS,
    fph: FILES_PER_HOUR,
    repeat: REPEAT,
    inFlight: 64,
    concurrency: CONCURRENCY,
    latencyMs: 10,
    latencyFiles: 500,
    fresh: flags.fresh === true,
    awsCli: false,
    sequential: true,
  });

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
      s3.sequential ? `${s3.sequential.speedup.toFixed(1)}x` : 'n/a',
      s3.sequential ? s3.sequential.speedup >= TARGETS.s3 : null,
    ],
    ...s3Targets(s3),
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
    out.push(...formatS3Bench(s3));
    out.push('');
    out.push('targets (issues 5 and 15)');
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

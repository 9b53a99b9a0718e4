#!/usr/bin/env node
// trailproof audit on an organization archive (issue 11): the ceiling, `trailproof audit`, and
// validate-logs once per chain. See bench/README.md, section `bench/audit.mjs`.
//
//   npm run build && node bench/audit.mjs --quick          # 10 accounts x 2 regions x 6 hours
//   npm run build && node bench/audit.mjs                  # 50 accounts x 4 regions x 24 hours
//   scripts/with-s3.sh node bench/audit.mjs --quick        # also the S3 section (a throw-away Ceph RGW)
//
// Options: --accounts N, --regions N (1 to 8), --hours N, --files-per-hour N, --records-per-file N
// (the local archive), --repeat N (best of N, default 3), --sweep-repeat N (best of N for each
// --chains-at-once/--concurrency setting, default 2), --no-sweep, --no-validate (skip the per-chain
// validate-logs runs), --s3-accounts N, --s3-hours N, --fresh (rebuild the archive), --json.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCeiling } from './lib/ceiling.mjs';
import { loadKeys, runFloor } from './lib/floor.mjs';
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
const BOOLEAN = ['quick', 'fresh', 'json', 'no-sweep', 'no-validate', 'help'];
const NUMERIC = ['accounts', 'regions', 'hours', 'files-per-hour', 'records-per-file', 'repeat', 'sweep-repeat', 's3-accounts', 's3-hours'];
const flags = {};
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  const name = a.startsWith('--') ? a.slice(2) : '';
  if (BOOLEAN.includes(name)) flags[name] = true;
  else if (NUMERIC.includes(name)) {
    const v = Number(argv[++i]);
    if (!Number.isSafeInteger(v) || v < 1) usage(`--${name} needs a whole number >= 1`);
    flags[name] = v;
  } else usage(`unknown argument ${a}`);
}
if (flags.help) usage();

function usage(problem) {
  process.stderr.write(
    'usage: node bench/audit.mjs [--quick] [--accounts N] [--regions N] [--hours N] [--files-per-hour N]\n' +
      '                            [--records-per-file N] [--repeat N] [--sweep-repeat N] [--no-sweep] [--no-validate]\n' +
      '                            [--s3-accounts N] [--s3-hours N] [--fresh] [--json]\n' +
      (problem ? `\nbench: ${problem}\n` : ''),
  );
  process.exit(problem ? 2 : 0);
}

const QUICK = flags.quick === true;
const REGION_POOL = ['us-east-1', 'eu-west-1', 'us-west-2', 'ap-southeast-2', 'eu-central-1', 'ap-northeast-1', 'sa-east-1', 'ca-central-1'];
if ((flags.regions ?? 0) > REGION_POOL.length) usage(`--regions: at most ${REGION_POOL.length}`);
// Full: 50 x 4 x 24 = 200 chains, 4,800 digests; 4 files an hour of 16 records per chain (a quiet
// member account's region: CloudTrail writes a file about every 5 minutes only where there is
// traffic) gives 19,200 log files of ~21 KiB JSON (~3.5 KiB gzip), ~400 MiB uncompressed.
const LOCAL = {
  accounts: flags.accounts ?? (QUICK ? 10 : 50),
  regions: flags.regions ?? (QUICK ? 2 : 4),
  hours: flags.hours ?? (QUICK ? 6 : 24),
  fph: flags['files-per-hour'] ?? (QUICK ? 12 : 4),
  records: flags['records-per-file'] ?? (QUICK ? 40 : 16),
};
// S3: a small archive of small objects (the request count is what matters there).
const S3P = { accounts: flags['s3-accounts'] ?? 10, regions: 2, hours: flags['s3-hours'] ?? 6, fph: 4, records: 16 };
const REPEAT = flags.repeat ?? 3;
const SWEEP_REPEAT = flags['sweep-repeat'] ?? 2;
const SWEEP_CHAINS = [1, 2, 4, 8];
const SWEEP_CONCURRENCY = [64, 128, 512, 1024];
const DEFAULTS = { chainsAtOnce: 4, concurrency: 512 };

const BUCKET = 'tp-bench-org';
const START = Date.UTC(2024, 4, 1); // 2024-05-01T00:00:00Z
const WORK = join(BENCH_DIR, '.work');
const TARGETS = { ratio: 0.8, rssMB: 250 };

const accountsOf = (p) => Array.from({ length: p.accounts }, (_, i) => String(210000000000 + i * 1001));
const regionsOf = (p) => REGION_POOL.slice(0, p.regions);
const arnOf = (p) => `arn:aws:cloudtrail:us-east-1:${accountsOf(p)[0]}:trail/org`;
const endOf = (p) => START + p.hours * 3_600_000;

requireBuild();
const load0 = load();
const m = machine();
log(`${QUICK ? 'quick' : 'full'} mode on ${machineLine(m)}; ${loadLine(load0)}`);

// ---------------------------------------------------------------------------------------------
// helpers

function pct(x) {
  return Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a';
}

const mb = (kib) => (Number.isFinite(kib) ? `${num((kib * 1024) / 1e6)} MB` : 'n/a');
const cpuS = (cpuMs) => (Number.isFinite(cpuMs) ? `${(cpuMs / 1000).toFixed(2)} s` : 'n/a');

function gitCommit() {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_DIR, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_DIR, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() ? '+dirty' : ''}`;
}

/**
 * A copy of the repository's TEST-ONLY key store (keys/: us-east-1 with a rotation at
 * 2024-05-01T03:00:00Z, eu-west-1), folders 0700 and private keys 0600 as the key store requires,
 * plus a ten-year key for each further region (`keys create`).
 */
async function prepareKeys(dir, regions) {
  rmSync(dir, { recursive: true, force: true });
  cpSync(join(REPO_DIR, 'keys'), dir, { recursive: true });
  rmSync(join(dir, 'README.md'), { force: true });
  chmodSync(dir, 0o700);
  for (const r of readdirSync(dir)) {
    chmodSync(join(dir, r), 0o700);
    for (const f of readdirSync(join(dir, r))) chmodSync(join(dir, r, f), f.endsWith('.pem') ? 0o600 : 0o644);
  }
  for (const region of regions) {
    if (existsSync(join(dir, region))) continue;
    await checkedCli(
      ['keys', 'create', '--keys-dir', dir, '--region', region, '--valid-from', '2024-01-01T00:00:00Z', '--validity-days', '3650', '--rotation-days', '3600'],
      `trailproof keys create --region ${region}`,
    );
  }
}

/** simulate once per account (seed = account index + 1), then one sign run for every account and region. */
async function makeArchive(p, { root, keys, bucket, endpoint, env }) {
  const where = endpoint ? ['--endpoint-url', endpoint] : ['--local-root', root];
  const accounts = accountsOf(p);
  const regions = regionsOf(p).join(',');
  const t0 = performance.now();
  log(
    `simulating ${p.accounts} accounts x ${p.regions} regions x ${p.hours} h x ${p.fph} files/h x ${p.records} records${endpoint ? ` into ${endpoint}/${bucket}` : ` into ${root}`}`,
  );
  for (const [i, account] of accounts.entries()) {
    await checkedCli(
      [
        'simulate',
        ...where,
        '--bucket',
        bucket,
        '--account',
        account,
        '--regions',
        regions,
        '--start-time',
        iso(START),
        '--hours',
        String(p.hours),
        '--files-per-hour',
        String(p.fph),
        '--records-per-file',
        String(p.records),
        '--seed',
        String(i + 1),
        '--concurrency',
        endpoint ? '32' : '8',
      ],
      `trailproof simulate --account ${account}`,
      { env },
    );
  }
  log(`simulated in ${seconds(performance.now() - t0)}; signing...`);
  const until = iso(endOf(p));
  const t1 = performance.now();
  await checkedCli(
    [
      'sign',
      '--keys-dir',
      keys,
      '--trail-arn',
      arnOf(p),
      '--s3-bucket',
      bucket,
      ...where,
      '--account-id',
      accounts.join(','),
      '--regions',
      regions,
      '--until',
      until,
      '--now',
      until,
    ],
    'trailproof sign',
    { env },
  );
  log(`signed in ${seconds(performance.now() - t1)}`);
}

/** The JSON lines of an audit run: its summary, checked (exit 0, no error finding, everything valid). */
function checkAudit(r, p, logFiles, what) {
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const summary = lines.find((l) => l.kind === 'summary');
  const chains = p.accounts * p.regions;
  const digests = chains * p.hours;
  const problems = [];
  if (r.code !== 0) problems.push(`exit ${r.code}`);
  if (!summary) problems.push('no summary line');
  else {
    if (summary.findings.error !== 0) problems.push(`${summary.findings.error} error findings`);
    if (summary.chains !== chains) problems.push(`${summary.chains} chains, expected ${chains}`);
    if (summary.digests.valid !== digests || summary.digests.total !== digests)
      problems.push(`digests ${summary.digests.valid}/${summary.digests.total} valid, expected ${digests}/${digests}`);
    if (summary.logs.valid !== logFiles || summary.logs.total !== logFiles)
      problems.push(`logs ${summary.logs.valid}/${summary.logs.total} valid, expected ${logFiles}/${logFiles}`);
  }
  if (problems.length > 0) {
    const findings = lines
      .filter((l) => l.kind === 'finding')
      .slice(0, 5)
      .map((f) => `  ${f.severity} ${f.code}: ${f.message}`);
    fail(`${what}: ${problems.join(', ')}\n${r.stderr.trim()}\n${findings.join('\n')}\n${JSON.stringify(summary)}`);
  }
  return summary;
}

async function bestOf(n, fn) {
  let best;
  for (let i = 0; i < n; i++) {
    const r = await fn(i);
    if (!best || r.ms < best.ms) best = r;
  }
  return best;
}

/**
 * validate-logs once per chain, one process after another (what a user of the AWS CLI scripts).
 * `logsPerChain`: Map "account|region" -> log files; every run must say all valid.
 */
async function validatePerChain(p, common, logsPerChain, env) {
  const t0 = performance.now();
  let cpuMs = 0;
  let rssKiB = 0;
  for (const account of accountsOf(p)) {
    for (const region of regionsOf(p)) {
      const r = await checkedCli(
        [
          'validate-logs',
          '--trail-arn',
          arnOf(p),
          '--account-id',
          account,
          '--region',
          region,
          '--start-time',
          iso(START),
          '--end-time',
          iso(endOf(p)),
          ...common,
        ],
        `validate-logs --account-id ${account} --region ${region}`,
        { env },
      );
      const want = logsPerChain.get(`${account}|${region}`) ?? 0;
      if (!r.stdout.includes(`${p.hours}/${p.hours} digest files valid`) || !r.stdout.includes(`${want}/${want} log files valid`)) {
        fail(`validate-logs ${account} ${region}: expected ${p.hours}/${p.hours} digests and ${want}/${want} log files valid:\n${r.stdout}`);
      }
      cpuMs += r.cpuMs;
      rssKiB = Math.max(rssKiB, r.rssKiB);
    }
  }
  return { ms: performance.now() - t0, cpuMs, rssKiB, runs: p.accounts * p.regions };
}

// ---------------------------------------------------------------------------------------------
main().catch((err) => fail(err?.stack ?? String(err)));

async function main() {
  mkdirSync(WORK, { recursive: true });
  const results = { quick: QUICK, cli: CLI, commit: gitCommit(), machine: m, loadAtStart: load0.one, date: new Date().toISOString(), params: LOCAL };
  const loads = [load0.one];
  const sample = () => loads.push(load().one);

  // ---- the local archive (cached) ----
  const name = `audit-${LOCAL.accounts}a-${LOCAL.regions}r-${LOCAL.hours}h-${LOCAL.fph}ph-${LOCAL.records}rec`;
  const dir = join(WORK, name);
  const root = join(dir, 'root');
  const keys = join(dir, 'keys');
  const params = { version: 1, ...LOCAL, bucket: BUCKET, start: iso(START), accountsList: accountsOf(LOCAL), regionsList: regionsOf(LOCAL) };
  if (!flags.fresh && sameParams(join(dir, 'params.json'), params)) {
    log(`reusing the prepared archive in ${dir}`);
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await prepareKeys(keys, regionsOf(LOCAL));
    await makeArchive(LOCAL, { root, keys, bucket: BUCKET });
    writeFileSync(join(dir, 'params.json'), `${JSON.stringify(params, null, 2)}\n`);
  }

  // ---- what is there: every log file, every digest (reading them warms the page cache) ----
  const all = walkFiles(join(root, BUCKET, 'AWSLogs'));
  const logPaths = all.filter((f) => /\/CloudTrail\/.*\.json\.gz$/.test(f));
  const digestPaths = all.filter((f) => /\/CloudTrail-Digest\/.*\.json\.gz$/.test(f)).sort();
  let gzBytes = 0;
  for (const f of all) {
    const n = readFileSync(f).length;
    if (f.endsWith('.json.gz') && f.includes('/CloudTrail/')) gzBytes += n;
  }
  const referenced = [];
  const logsPerChain = new Map();
  for (const f of digestPaths) {
    const d = JSON.parse(gunzipSync(readFileSync(f)).toString('utf8'));
    const [, account, region] = /AWSLogs\/(\d{12})\/CloudTrail-Digest\/([^/]+)\//.exec(f);
    for (const lf of d.logFiles) referenced.push({ path: join(root, lf.s3Bucket, lf.s3Object), hash: lf.hashValue });
    logsPerChain.set(`${account}|${region}`, (logsPerChain.get(`${account}|${region}`) ?? 0) + d.logFiles.length);
  }
  const chains = LOCAL.accounts * LOCAL.regions;
  if (digestPaths.length !== chains * LOCAL.hours) fail(`${digestPaths.length} digests, expected ${chains * LOCAL.hours}: rebuild with --fresh`);
  if (referenced.length !== logPaths.length)
    fail(`the digests reference ${referenced.length} log files, the archive holds ${logPaths.length}: rebuild with --fresh`);
  log(`archive: ${chains} chains, ${num(digestPaths.length)} digests, ${num(logPaths.length)} log files, ${num(gzBytes / MiB, 1)} MiB gzip`);

  // ---- the ceiling ----
  const paths = referenced.map((r) => r.path);
  const ceiling = await bestOf(REPEAT, () => runCeiling({ files: paths }));
  const wrong = referenced.filter((r, i) => ceiling.hashes[i] !== r.hash).length;
  if (wrong > 0) fail(`the ceiling's SHA-256 differs from the digest's for ${wrong} files`);
  const uncompressedMiB = ceiling.bytes / MiB;
  const rate = (ms) => uncompressedMiB / (ms / 1000);
  log(`ceiling: ${seconds(ceiling.ms)}, ${num(rate(ceiling.ms))} MiB/s`);
  // ---- the digests' floor, and the most of the ceiling any audit can reach here ----
  const floorKeys = loadKeys(keys);
  const floor = await bestOf(REPEAT, async () => runFloor({ bucketDir: join(root, BUCKET), digestPaths, keys: floorKeys }));
  if (floor.verified !== digestPaths.length) fail(`the floor verified ${floor.verified} of ${digestPaths.length} digests`);
  // The floor's CPU spread over every core on top of the ceiling: the least wall time of a run
  // that does the ceiling's work and the digests' bare minimum, with nothing else and no idle time.
  const bound = ceiling.ms / (ceiling.ms + floor.cpuMs / m.cores);
  log(`floor: ${cpuS(floor.cpuMs)} CPU (${num(floor.listed)} objects listed, ${num(floor.digests)} digests); bound ${pct(bound)} of the ceiling`);
  sample();

  // ---- trailproof audit ----
  const auditArgs = [
    'audit',
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--keys-dir',
    keys,
    '--start-time',
    iso(START),
    '--end-time',
    iso(endOf(LOCAL)),
    '--output',
    'json',
  ];
  const runAudit = async (extra, what) => {
    const r = await runCli([...auditArgs, ...extra]);
    checkAudit(r, LOCAL, logPaths.length, what);
    return r;
  };
  const sweep = [];
  if (!flags['no-sweep']) {
    for (const n of SWEEP_CHAINS) {
      log(`audit --chains-at-once ${n} (best of ${SWEEP_REPEAT})...`);
      const r = await bestOf(SWEEP_REPEAT, () => runAudit(['--chains-at-once', String(n)], `audit --chains-at-once ${n}`));
      sweep.push({ chainsAtOnce: n, concurrency: DEFAULTS.concurrency, ms: r.ms, cpuMs: r.cpuMs, rssKiB: r.rssKiB });
    }
    for (const c of SWEEP_CONCURRENCY) {
      if (c === DEFAULTS.concurrency) continue; // measured above with the default --chains-at-once
      log(`audit --concurrency ${c} (best of ${SWEEP_REPEAT})...`);
      const r = await bestOf(SWEEP_REPEAT, () => runAudit(['--concurrency', String(c)], `audit --concurrency ${c}`));
      sweep.push({ chainsAtOnce: DEFAULTS.chainsAtOnce, concurrency: c, ms: r.ms, cpuMs: r.cpuMs, rssKiB: r.rssKiB });
    }
    sample();
  }
  log(`audit, defaults (best of ${REPEAT})...`);
  const audit = await bestOf(REPEAT, () => runAudit([], 'audit'));
  sample();
  log('audit, defaults, once more with its threads sampled (where its CPU goes)...');
  const threads = await auditThreads(auditArgs, m.cores);
  sample();

  // ---- validate-logs once per chain ----
  let perChain;
  if (!flags['no-validate']) {
    perChain = await bestOf(REPEAT, (i) => {
      log(`validate-logs once per chain, ${chains} runs (${i + 1}/${REPEAT})...`);
      return validatePerChain(LOCAL, ['--s3-bucket', BUCKET, '--local-root', root, '--keys-dir', keys], logsPerChain);
    });
    sample();
  }

  // ---- S3 ----
  const s3 = await s3Section();
  sample();

  // ---- report ----
  const best = sweep.length > 0 ? sweep.reduce((a, b) => (b.ms < a.ms ? b : a)) : undefined;
  results.archive = { chains, digests: digestPaths.length, logFiles: logPaths.length, uncompressedMiB, gzipMiB: gzBytes / MiB };
  results.ceiling = { ms: ceiling.ms, cpuMs: ceiling.cpuMs, mibPerS: rate(ceiling.ms), threads: m.cores };
  results.floor = { cpuMs: floor.cpuMs, listed: floor.listed, digests: floor.digests, bound, auditOfBound: ceiling.ms / audit.ms / bound };
  results.audit = { ms: audit.ms, cpuMs: audit.cpuMs, mibPerS: rate(audit.ms), ratio: ceiling.ms / audit.ms, peakRssMB: (audit.rssKiB * 1024) / 1e6 };
  results.audit.threads = threads;
  results.sweep = sweep;
  if (perChain) results.validatePerChain = { ...perChain, speedup: perChain.ms / audit.ms, peakRssMB: (perChain.rssKiB * 1024) / 1e6 };
  results.s3 = s3;
  const load1 = load();
  results.loadAtEnd = load1.one;
  results.loads = loads;
  results.targets = [
    ['audit --local-root >= 80% of the ceiling', pct(ceiling.ms / audit.ms), ceiling.ms / audit.ms >= TARGETS.ratio],
    ['audit peak RSS < 250 MB', mb(audit.rssKiB), Number.isFinite(audit.rssKiB) ? (audit.rssKiB * 1024) / 1e6 < TARGETS.rssMB : null],
  ].map(([t, figure, pass]) => ({ name: t, figure, result: pass === null ? 'SKIPPED' : pass ? 'PASS' : 'FAIL' }));
  const resultsFile = join(WORK, `results-${name}.json`);
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);

  if (flags.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const busy = loads.some((l) => l > m.cores * 0.25 + 0.5);
  const out = [];
  out.push(`trailproof audit bench (${QUICK ? 'quick' : 'full'}) on ${machineLine(m)}`);
  out.push(`load average ${loads.map((l) => l.toFixed(2)).join(', ')} (start .. end)${busy ? ` (${BUSY_NOTE})` : ''}`);
  out.push(
    `archive: ${LOCAL.accounts} accounts x ${LOCAL.regions} regions x ${LOCAL.hours} hours = ${chains} chains, ${num(digestPaths.length)} digests, ` +
      `${num(logPaths.length)} log files (${LOCAL.fph}/h of ${LOCAL.records} records), ${num(uncompressedMiB, 1)} MiB uncompressed, ${num(gzBytes / MiB, 1)} MiB gzip, warm page cache`,
  );
  out.push('');
  const row = (label, r, extra = {}) => [
    label,
    seconds(r.ms),
    num(rate(r.ms)),
    pct(ceiling.ms / r.ms),
    cpuS(r.cpuMs),
    extra.rss ?? mb(r.rssKiB),
    extra.speedup ?? '',
  ];
  out.push(
    table([
      ['measurement', 'wall', 'MiB/s', 'of ceiling', 'CPU', 'peak RSS', 'audit speed-up'],
      [
        `ceiling: read + gunzipSync + SHA-256, ${m.cores} worker threads (best of ${REPEAT})`,
        seconds(ceiling.ms),
        num(rate(ceiling.ms)),
        '100%',
        cpuS(ceiling.cpuMs),
        '-',
        '',
      ],
      [
        `floor: list the bucket, and read + gunzip + parse + SHA-256 + RSA every digest, 1 thread, no logic (best of ${REPEAT})`,
        seconds(floor.ms),
        '',
        '',
        cpuS(floor.cpuMs),
        '-',
        '',
      ],
      [
        `bound: the ceiling plus the floor's CPU spread over ${m.cores} cores`,
        seconds(ceiling.ms / bound),
        num(rate(ceiling.ms / bound)),
        pct(bound),
        '',
        '',
        '',
      ],
      row(`audit --local-root, defaults (--chains-at-once ${DEFAULTS.chainsAtOnce}, --concurrency ${DEFAULTS.concurrency}), best of ${REPEAT}`, audit),
      ...(perChain
        ? [
            row(`validate-logs once per chain (${perChain.runs} processes in a row), best of ${REPEAT}`, perChain, {
              speedup: `${(perChain.ms / audit.ms).toFixed(1)}x`,
            }),
          ]
        : []),
    ]).trimEnd(),
  );
  if (sweep.length > 0) {
    out.push('');
    out.push(
      `audit settings (best of ${SWEEP_REPEAT} each; the defaults are --chains-at-once ${DEFAULTS.chainsAtOnce}, --concurrency ${DEFAULTS.concurrency} on a local root)`,
    );
    out.push(
      table([
        ['--chains-at-once', '--concurrency', 'wall', 'MiB/s', 'of ceiling', 'CPU', 'peak RSS'],
        ...sweep.map((s) => [
          String(s.chainsAtOnce),
          String(s.concurrency),
          seconds(s.ms),
          num(rate(s.ms)),
          pct(ceiling.ms / s.ms),
          cpuS(s.cpuMs),
          mb(s.rssKiB),
        ]),
      ]).trimEnd(),
    );
    out.push(`fastest: --chains-at-once ${best.chainsAtOnce} --concurrency ${best.concurrency} (${seconds(best.ms)})`);
  }
  out.push('');
  if (s3.skipped) out.push(`S3: skipped: ${s3.skipped}`);
  else {
    out.push(
      `S3 (${s3.endpoint}, bucket ${s3.bucket}: ${s3.params.accounts} accounts x ${s3.params.regions} regions x ${s3.params.hours} hours = ${s3.chains} chains, ` +
        `${num(s3.logFiles)} log files of ${s3.params.records} records + ${num(s3.digests)} digests)`,
    );
    out.push(
      table([
        ['measurement', 'wall', 'objects/s', 'CPU', 'peak RSS'],
        [`audit --endpoint-url (best of ${REPEAT})`, seconds(s3.audit.ms), num(s3.objects / (s3.audit.ms / 1000)), cpuS(s3.audit.cpuMs), mb(s3.audit.rssKiB)],
        [
          `validate-logs --endpoint-url once per chain (${s3.chains} processes in a row, best of ${REPEAT})`,
          seconds(s3.perChain.ms),
          num(s3.objects / (s3.perChain.ms / 1000)),
          cpuS(s3.perChain.cpuMs),
          mb(s3.perChain.rssKiB),
        ],
      ]).trimEnd(),
    );
    out.push(`audit speed-up over validate-logs per chain on S3: ${s3.speedup.toFixed(1)}x`);
  }
  if (threads) {
    out.push('');
    out.push(
      `where the audit's CPU goes (one more run, its threads sampled from /proc): log workers ${cpuS(threads.workersMs)} ` +
        `(the ceiling: ${cpuS(ceiling.cpuMs)} for the same logs), main thread ${cpuS(threads.mainMs)}, ` +
        `V8's compiler and garbage-collector threads ${cpuS(threads.helpersMs)}; the floor: ${cpuS(floor.cpuMs)}`,
    );
  }
  out.push('');
  out.push('targets (issue 11)');
  out.push(table([['target', 'figure', 'result'], ...results.targets.map((t) => [t.name, t.figure, t.result])]).trimEnd());
  out.push(
    `no audit of this archive can pass ${pct(bound)} of the ceiling on this machine (bound above); the audit reaches ${pct(results.floor.auditOfBound)} of that bound`,
  );
  out.push('');
  out.push(`results: ${resultsFile}`);
  process.stdout.write(`\n${out.join('\n')}\n`);
}

/**
 * One audit run with bench/lib/thread-cpu.mjs loaded: CPU by thread. The log workers are the
 * `cores` busiest threads besides the main one (the pool starts one per core); the rest are V8's
 * (compiler, garbage collector) and libuv's. Undefined where /proc is not there.
 */
async function auditThreads(args, cores) {
  const r = await runCli(args, { nodeArgs: ['--import', join(BENCH_DIR, 'lib', 'thread-cpu.mjs')] });
  const m = /@@threads (\d+)((?: \d+:\d+)*)/.exec(r.stderr);
  if (r.code !== 0 || !m) return undefined;
  const others = m[2]
    .trim()
    .split(' ')
    .filter(Boolean)
    .map((t) => Number(t.split(':')[1]))
    .sort((a, b) => b - a);
  const workersMs = others.slice(0, cores).reduce((a, b) => a + b, 0);
  const helpersMs = others.slice(cores).reduce((a, b) => a + b, 0);
  return { mainMs: Number(m[1]), workersMs, helpersMs, totalMs: r.cpuMs };
}

// ---------------------------------------------------------------------------------------------
// S3: a smaller archive written to the server by simulate and sign themselves

async function s3Section() {
  const endpoint = process.env.TRAILPROOF_S3_ENDPOINT;
  if (!endpoint) return { skipped: 'TRAILPROOF_S3_ENDPOINT is not set (run under scripts/with-s3.sh)' };
  if (!process.env.AWS_ACCESS_KEY_ID || !process.env.AWS_SECRET_ACCESS_KEY) return { skipped: 'AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are not set' };
  let sdk;
  try {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    sdk = await import('@aws-sdk/client-s3');
  } catch (err) {
    return { skipped: `@aws-sdk/client-s3 cannot be loaded: ${err.message}` };
  }
  const env = { ...process.env, AWS_REGION: process.env.AWS_REGION || 'us-east-1' };
  const p = S3P;
  const bucket = `tp-audit-${p.accounts}a-${p.regions}r-${p.hours}h-${p.fph}f-${p.records}r`;
  const keys = join(WORK, `audit-s3-keys-${p.regions}r`);
  const client = new sdk.S3Client({
    endpoint,
    forcePathStyle: true,
    region: env.AWS_REGION,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    // The archive is made once per server (a marker object names it); the key store must be the one that signed it.
    const MARKER = 'trailproof-bench-marker';
    const want = JSON.stringify({ version: 1, ...p, start: iso(START), keys: existsSync(keys) ? keyFingerprints(keys) : null });
    let ready = false;
    try {
      const got = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: MARKER }));
      ready = (await got.Body.transformToString()) === want;
    } catch {
      // no bucket or no marker
    }
    if (!ready) {
      try {
        await client.send(new sdk.CreateBucketCommand({ Bucket: bucket }));
      } catch (err) {
        if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes(err.name)) throw err;
        return { skipped: `bucket ${bucket} exists without this archive's marker: empty or delete it` };
      }
      await prepareKeys(keys, regionsOf(p));
      await makeArchive(p, { keys, bucket, endpoint, env });
      const marker = JSON.stringify({ version: 1, ...p, start: iso(START), keys: keyFingerprints(keys) });
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: MARKER, Body: marker }));
    }
    // Count what is there, per chain.
    const logsPerChain = new Map();
    let logFiles = 0;
    let digests = 0;
    let token;
    do {
      const page = await client.send(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: 'AWSLogs/', ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const mm = /^AWSLogs\/(\d{12})\/(CloudTrail|CloudTrail-Digest)\/([^/]+)\/.*\.json\.gz$/.exec(o.Key);
        if (!mm) continue;
        if (mm[2] === 'CloudTrail-Digest') digests += 1;
        else {
          logFiles += 1;
          logsPerChain.set(`${mm[1]}|${mm[3]}`, (logsPerChain.get(`${mm[1]}|${mm[3]}`) ?? 0) + 1);
        }
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const chains = p.accounts * p.regions;
    log(`S3 archive: ${chains} chains, ${digests} digests, ${logFiles} log files`);

    const audit = await bestOf(REPEAT, async (i) => {
      log(`audit --endpoint-url (${i + 1}/${REPEAT})...`);
      const r = await runCli(
        [
          'audit',
          '--endpoint-url',
          endpoint,
          '--s3-bucket',
          bucket,
          '--keys-dir',
          keys,
          '--start-time',
          iso(START),
          '--end-time',
          iso(endOf(p)),
          '--output',
          'json',
        ],
        { env },
      );
      checkAudit(r, p, logFiles, 'audit on S3');
      return r;
    });
    const perChain = await bestOf(REPEAT, (i) => {
      log(`validate-logs --endpoint-url once per chain, ${chains} runs (${i + 1}/${REPEAT})...`);
      return validatePerChain(p, ['--endpoint-url', endpoint, '--s3-bucket', bucket, '--keys-dir', keys], logsPerChain, env);
    });
    return {
      endpoint,
      bucket,
      params: p,
      chains,
      digests,
      logFiles,
      objects: digests + logFiles,
      audit: { ms: audit.ms, cpuMs: audit.cpuMs, rssKiB: audit.rssKiB },
      perChain: { ms: perChain.ms, cpuMs: perChain.cpuMs, rssKiB: perChain.rssKiB },
      speedup: perChain.ms / audit.ms,
    };
  } finally {
    client.destroy();
  }
}

function keyFingerprints(dir) {
  return createHash('sha256')
    .update(
      walkFiles(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => readFileSync(f, 'utf8'))
        .join('\n'),
    )
    .digest('hex');
}

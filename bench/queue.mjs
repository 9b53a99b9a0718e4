#!/usr/bin/env node
// The distributed audit (issue 13): (1) scheduling and joining: segments/s of the coordinator and
// Redis, with empty segments (a worker that answers every job at once: bench/lib/empty-worker.mjs);
// (2) throughput: `audit --queue` with 2 worker processes against the local `audit`, same archive.
//
//   npm run build && node bench/queue.mjs --quick     # 2,000 empty segments; 10 accounts x 2 regions x 12 h
//   npm run build && node bench/queue.mjs             # 20,000 empty segments; 50 accounts x 2 regions x 24 h
//
// Options: --segments N (empty segments), --accounts N, --hours N, --files-per-hour N,
// --records-per-file N, --repeat N (best of N, default 2). Needs /usr/bin/redis-server.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, checkedCli, fail, iso, load, loadLine, log, machineLine, num, requireBuild, runCli, seconds, table } from './lib/common.mjs';

const argv = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const QUICK = argv.includes('--quick');
const P = {
  segments: flag('segments', QUICK ? 2000 : 20000),
  accounts: flag('accounts', QUICK ? 10 : 50),
  hours: flag('hours', QUICK ? 12 : 24),
  fph: flag('files-per-hour', 4),
  records: flag('records-per-file', QUICK ? 50 : 100),
  repeat: flag('repeat', 2),
};
const REGIONS = ['us-east-1', 'eu-west-1'];
const START = Date.parse('2024-05-01T00:00:00Z');

requireBuild();
log(`${QUICK ? 'quick' : 'full'} mode on ${machineLine()}; ${loadLine(load())}`);
const { BullJobQueue, Coordinator, parseRedisUrl, QueueKey } = await import('../dist/distributed/index.js');
const { WIRE_VERSION } = await import('../dist/distributed/wire.js');
const { generateAccounts } = await import('../dist/simulate/accounts.js');

const work = mkdtempSync(join(tmpdir(), 'trailproof-bench-queue-'));
const children = [];
const cleanup = () => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function start(cmd, args, ready) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (ready(out)) {
        clearInterval(timer);
        resolve(child);
      }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(timer);
      reject(new Error(`${cmd} exited with ${code}: ${out.slice(-400)}`));
    });
  });
}

const port = await freePort();
await start('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', work, '--save', '', '--appendonly', 'no'], (o) =>
  o.includes('Ready to accept connections'),
);
const url = `redis://127.0.0.1:${port}/0`;
log(`redis-server on ${url}`);
// The queue key the coordinators and workers share (--queue-key): only its owner may read it.
const secret = randomBytes(32);
const keyFile = join(work, 'queue.key');
writeFileSync(keyFile, secret, { mode: 0o600 });

// ---------------------------------------------------------------------------------------------
// (1) scheduling and joining, empty segments

async function scheduling(segments) {
  const emptyWorker = await start(process.execPath, [join(BENCH_DIR, 'lib', 'empty-worker.mjs'), String(port), secret.toString('hex')], (o) =>
    o.includes('ready'),
  );
  const queue = await BullJobQueue.open({
    target: parseRedisUrl(url),
    key: new QueueKey(secret),
    results: null,
    keepSeconds: 3600,
    attempts: 1,
    sweepMs: 2000,
    unreachableMs: 30000,
  });
  const perChain = 100;
  const chains = Math.ceil(segments / perChain);
  const { run } = await queue.startRun(`bench${Date.now()}`, {
    v: WIRE_VERSION,
    bucket: 'b',
    store: ['s3'],
    inventory: null,
    keys: '{"PublicKeyList":[]}',
    end: 0,
    results: null,
    inlineMax: 1 << 20,
  });
  const coordinator = new Coordinator(queue, { run, segmentHours: 1, ahead: 4000 });
  const t0 = performance.now();
  // perChain one-hour segments per chain: from START to START + perChain - 1 hours (the listing's end is one hour on).
  const end = (START + (perChain - 2) * 3_600_000) * 1000;
  const planned = Array.from({ length: chains }, (_, i) => ({
    id: `chain-${i}`,
    scope: { account: String(100000000000 + i), sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 't' },
    start: START * 1000,
    newestStamp: '99991231T000000Z',
  }));
  await coordinator.plan(planned, end);
  let next = 0;
  const lane = async () => {
    while (next < planned.length) await coordinator.chain(planned[next++].id);
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  const ms = performance.now() - t0;
  await queue.close();
  emptyWorker.kill('SIGTERM');
  return { segments: coordinator.stats.segments, ms };
}

// ---------------------------------------------------------------------------------------------
// (2) distributed vs local throughput

async function buildArchive() {
  const root = join(work, 'root');
  const keys = join(work, 'keys');
  const bucket = 'bench-queue-bucket';
  await checkedCli(
    [
      'keys',
      'create',
      '--keys-dir',
      keys,
      '--region',
      'us-east-1',
      '--valid-from',
      '2024-01-01T00:00:00Z',
      '--validity-days',
      '3650',
      '--rotation-days',
      '3600',
    ],
    'keys create',
  );
  await checkedCli(
    [
      'keys',
      'create',
      '--keys-dir',
      keys,
      '--region',
      'eu-west-1',
      '--valid-from',
      '2024-01-01T00:00:00Z',
      '--validity-days',
      '3650',
      '--rotation-days',
      '3600',
    ],
    'keys create',
  );
  const t0 = performance.now();
  await checkedCli(
    [
      'simulate',
      '--local-root',
      root,
      '--bucket',
      bucket,
      '--accounts',
      String(P.accounts),
      '--regions',
      REGIONS.join(','),
      '--start-time',
      iso(START),
      '--hours',
      String(P.hours),
      '--files-per-hour',
      String(P.fph),
      '--records-per-file',
      String(P.records),
    ],
    'simulate',
  );
  const accounts = generateAccounts(P.accounts);
  const until = iso(START + P.hours * 3_600_000);
  await checkedCli(
    [
      'sign',
      '--keys-dir',
      keys,
      '--trail-arn',
      `arn:aws:cloudtrail:us-east-1:${accounts[0]}:trail/bench`,
      '--s3-bucket',
      bucket,
      '--local-root',
      root,
      '--account-id',
      accounts.join(','),
      '--regions',
      REGIONS.join(','),
      '--until',
      until,
      '--now',
      until,
    ],
    'sign',
  );
  log(`archive built in ${seconds(performance.now() - t0)}`);
  return { root, keys, bucket, until };
}

function auditArgs(a) {
  return [
    'audit',
    '--s3-bucket',
    a.bucket,
    '--local-root',
    a.root,
    '--keys-dir',
    a.keys,
    '--start-time',
    iso(START),
    '--end-time',
    a.until,
    '--output',
    'json',
  ];
}

async function timed(args) {
  const r = await runCli(args);
  if (r.code !== 0) fail(`trailproof ${args.slice(0, 2).join(' ')} exited ${r.code}: ${r.stderr.slice(-400)}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop());
  return { ms: r.ms, out: r.stdout, logs: summary.logs.total, digests: summary.digests.total };
}

const best = (runs) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));

const sched = await scheduling(P.segments);
log(`scheduling: ${sched.segments} empty segments in ${seconds(sched.ms)}`);

const archive = await buildArchive();
const local = [];
for (let i = 0; i < P.repeat; i++) local.push(await timed(auditArgs(archive)));
// Two worker processes on this machine: first as started with no options (each takes one log thread
// per core, so the machine runs twice as many hashing threads as it has cores), then as an operator
// would start two workers on one machine: its cores divided between them (--log-threads).
const SHARED_THREADS = Math.max(1, Math.floor(availableParallelism() / 2));
async function distributedRuns(workerArgs) {
  const workers = [];
  for (let i = 0; i < 2; i++)
    workers.push(
      await start(process.execPath, [join(BENCH_DIR, '..', 'dist', 'cli', 'main.js'), 'worker', '--queue', url, '--queue-key', keyFile, ...workerArgs], (o) =>
        o.includes('taking segments'),
      ),
    );
  const runs = [];
  for (let i = 0; i < P.repeat; i++) runs.push(await timed([...auditArgs(archive), '--queue', url, '--queue-key', keyFile]));
  for (const w of workers) w.kill('SIGTERM');
  return runs;
}
const l = best(local);
const oversubscribed = best(await distributedRuns([]));
const d = best(await distributedRuns(['--log-threads', String(SHARED_THREADS)]));
if (oversubscribed.out !== l.out) fail('the distributed report differs from the local one');
if (d.out !== l.out) fail('the distributed report differs from the local one');

process.stdout.write(`\nDistributed audit (bench/queue.mjs${QUICK ? ' --quick' : ''}) on ${machineLine()}\n${loadLine(load())}\n\n`);
process.stdout.write(
  table([
    ['measure', 'figure', 'target'],
    [
      'scheduling + joining, empty segments',
      `${num(sched.segments / (sched.ms / 1000))} segments/s (${num(sched.segments)} in ${seconds(sched.ms)})`,
      '>= 2,000 segments/s',
    ],
    ['local audit', `${num(l.logs / (l.ms / 1000))} log files/s (${num(l.logs)} logs, ${num(l.digests)} digests in ${seconds(l.ms)})`, ''],
    [
      'audit --queue, 2 worker processes, no options',
      `${num(oversubscribed.logs / (oversubscribed.ms / 1000))} log files/s (${seconds(oversubscribed.ms)}; same report bytes): ${((l.ms / oversubscribed.ms) * 100).toFixed(0)}% of local`,
      '',
    ],
    [
      `audit --queue, 2 worker processes, --log-threads ${SHARED_THREADS}`,
      `${num(d.logs / (d.ms / 1000))} log files/s (${seconds(d.ms)}; same report bytes)`,
      '',
    ],
    ['distributed (--log-threads) / local throughput', `${((l.ms / d.ms) * 100).toFixed(0)}%`, '>= 85%'],
  ]),
);
process.stdout.write(
  `\n(${P.accounts} accounts x ${REGIONS.length} regions x ${P.hours} h x ${P.fph} files/h x ${P.records} records; segments of 24 h; best of ${P.repeat})\n`,
);
// Open handles (connections being closed) must not keep the bench alive: the exit handler stops the servers.
process.exit(0);

// The S3 section (issues 5 and 15): validate-logs on S3 against the raw concurrent loop
// (raw-s3-loop.mjs) on the same objects in the same run, interleaved, without and with added latency
// (latency-proxy.mjs); the start-up (process start to first request, first-request-hook.mjs); the
// AWS CLI (aws-cli-ref.mjs) when it is installed; issue 5's one-at-a-time SDK loop when asked.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awsCliVersion, runAwsCli, startKeysEndpoint } from './aws-cli-ref.mjs';
import { iso, log, num, runCli, runNode, seconds, table } from './common.mjs';
import { startLatencyProxy } from './latency-proxy.mjs';
import { benchSdk, prepareS3Trail, S3_REGION, sequentialLoop } from './s3-data.mjs';
import { ACCOUNT, ARN, START, WORK } from './trail.mjs';

const RAW_LOOP = fileURLToPath(new URL('./raw-s3-loop.mjs', import.meta.url));
const HOOK = fileURLToPath(new URL('./first-request-hook.mjs', import.meta.url));
/** trailproof's default number of S3 requests in flight (src/cli/tuning.ts) on this machine. */
const TRAILPROOF_DEFAULT_IN_FLIGHT = 'default (128)';

/**
 * o: { files, records, fph, repeat, inFlight (raw loop), concurrency (trailproof, optional),
 * latencyMs, latencyFiles, fresh, awsCli (boolean), sequential (boolean) }.
 */
export async function runS3Bench(o) {
  const set = await benchSdk();
  if (set.skipped) return { skipped: set.skipped };
  let proxy;
  try {
    const data = await prepareS3Trail(set, o);
    const out = { endpoint: set.endpoint, bucket: data.bucket, avgLogGzipBytes: data.avgLogGzipBytes, inFlight: o.inFlight, concurrency: o.concurrency };
    const full = windowOf(data, START, data.end);
    const hours = Math.max(1, Math.ceil(o.latencyFiles / o.fph));
    const narrow = windowOf(data, START, Math.min(data.end, START + (hours - 1) * 3_600_000));
    const aws = o.awsCli ? awsCliVersion() : undefined;
    out.awsCli = aws ?? null;
    const keysEndpoint = aws ? await startKeysEndpoint(data.trail.keys, START - 86_400_000, data.end) : undefined;
    try {
      log(`S3, no added latency: ${num(full.logs)} logs + ${num(full.digests.length)} digests, ${o.repeat} interleaved pairs...`);
      out.direct = await compare(o, data, full, set.endpoint);
      if (aws) out.direct.awsCli = await awsCli(data, full, set.endpoint, keysEndpoint.endpoint);
      const target = new URL(set.endpoint);
      proxy = await startLatencyProxy({ host: target.hostname, port: Number(target.port || 80), delayMs: o.latencyMs });
      log(`S3, ${o.latencyMs} ms each way: ${num(narrow.logs)} logs + ${num(narrow.digests.length)} digests, ${o.repeat} interleaved pairs...`);
      out.latency = await compare(o, data, narrow, proxy.endpoint);
      out.latency.delayMs = o.latencyMs;
      if (aws) out.latency.awsCli = await awsCli(data, narrow, proxy.endpoint, keysEndpoint.endpoint);
    } finally {
      await keysEndpoint?.close();
    }
    if (o.sequential) {
      log('S3, one-at-a-time SDK loop (issue 5)...');
      const seq = await sequentialLoop(set.sdk, set.client, data.bucket);
      if (seq.mismatches > 0) throw new Error(`the sequential loop found ${seq.mismatches} hash mismatches: the uploaded trail is wrong`);
      out.sequential = { ms: seq.ms, objects: seq.objects, speedup: seq.ms / out.direct.trailproof.best.ms };
    }
    return out;
  } finally {
    set.client.destroy();
    await proxy?.close();
  }
}

/**
 * The digests validate-logs reads for [start, end] (the time in a digest's name is when it was
 * delivered: up to an hour after the end of what it covers), and their logs.
 */
function windowOf(data, start, end) {
  const digests = data.digests.filter((d) => d.time > start && d.time <= end + 3_600_000);
  return { start, end, digests, logs: digests.reduce((n, d) => n + d.logs, 0) };
}

/** The raw loop and trailproof, `repeat` times each, interleaved (ABBA...): both see the same moments of the machine. */
async function compare(o, data, w, endpoint) {
  const keysFile = join(WORK, `raw-digests-${w.digests.length}.txt`);
  writeFileSync(keysFile, `${w.digests.map((d) => d.key).join('\n')}\n`);
  const objects = w.logs + w.digests.length;
  const raw = [];
  const tp = [];
  for (let i = 0; i < o.repeat; i++) {
    const order = i % 2 === 0 ? ['raw', 'tp'] : ['tp', 'raw'];
    for (const which of order) {
      if (which === 'raw') raw.push(await rawRun(o, data, w, endpoint, keysFile, objects));
      else tp.push(await trailproofRun(o, data, w, endpoint, objects));
    }
  }
  rmSync(keysFile, { force: true });
  const best = (runs) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
  const ratios = raw.map((r, i) => r.ms / tp[i].ms).sort((a, b) => a - b);
  return {
    objects,
    logs: w.logs,
    digests: w.digests.length,
    raw: { runs: raw, best: best(raw) },
    trailproof: { runs: tp, best: best(tp) },
    ratio: best(raw).ms / best(tp).ms,
    medianPairRatio: ratios[Math.floor(ratios.length / 2)],
  };
}

/** Runs a measured process with the first-request hook; adds `startupMs` (spawn to its first request). */
async function measured(run) {
  const file = join(WORK, `first-request-${process.pid}.json`);
  rmSync(file, { force: true });
  let spawnAt = NaN;
  const r = await run({ nodeArgs: ['--import', HOOK], env: { ...process.env, TRAILPROOF_BENCH_FIRST_REQUEST: file }, onSpawn: (t) => (spawnAt = t) });
  let startupMs = NaN;
  try {
    startupMs = JSON.parse(readFileSync(file, 'utf8')).at - spawnAt;
  } catch {
    // no request was made
  }
  rmSync(file, { force: true });
  return { ...r, startupMs };
}

async function rawRun(o, data, w, endpoint, keysFile, objects) {
  const prefix = `AWSLogs/${ACCOUNT}/CloudTrail-Digest/${S3_REGION}/`;
  const args = [
    '--endpoint',
    endpoint,
    '--bucket',
    data.bucket,
    '--region',
    S3_REGION,
    '--prefix',
    prefix,
    '--digests',
    keysFile,
    '--in-flight',
    String(o.inFlight),
  ];
  const r = await measured((opts) => runNode(RAW_LOOP, args, opts));
  if (r.code !== 0) throw new Error(`the raw loop failed (exit ${r.code}): ${r.stderr.trim()}`);
  const got = JSON.parse(r.stdout.trim().split('\n').pop());
  if (got.mismatches !== 0 || got.objects !== objects)
    throw new Error(`the raw loop read ${got.objects} objects (${got.mismatches} mismatches), expected ${objects}`);
  return { ms: r.ms, cpuMs: r.cpuMs, rssKiB: r.rssKiB, startupMs: r.startupMs, objects };
}

async function trailproofRun(o, data, w, endpoint, objects) {
  const args = ['validate-logs', '--endpoint-url', endpoint, '--trail-arn', ARN, '--start-time', iso(w.start), '--end-time', iso(w.end)];
  args.push('--s3-bucket', data.bucket, '--keys-dir', data.trail.keys, ...(o.concurrency ? ['--concurrency', String(o.concurrency)] : []));
  const r = await measured((opts) => runCli(args, { ...opts, env: { ...opts.env, AWS_REGION: process.env.AWS_REGION || S3_REGION } }));
  const d = w.digests.length;
  if (r.code !== 0 || !r.stdout.includes(`${w.logs}/${w.logs} log files valid`) || !r.stdout.includes(`${d}/${d} digest files valid`)) {
    throw new Error(
      `validate-logs on S3 did not find ${d}/${d} digests and ${w.logs}/${w.logs} logs valid (exit ${r.code}):\n${r.stderr.trim()}\n${r.stdout.trim()}`,
    );
  }
  return { ms: r.ms, cpuMs: r.cpuMs, rssKiB: r.rssKiB, startupMs: r.startupMs, objects };
}

async function awsCli(data, w, s3Endpoint, cloudTrailEndpoint) {
  log(`aws cloudtrail validate-logs (${num(w.logs)} logs)...`);
  const r = await runAwsCli({ arn: ARN, bucket: data.bucket, start: w.start, end: w.end, s3Endpoint, cloudTrailEndpoint, region: S3_REGION });
  if (r.code !== 0 || !r.stdout.includes(`${w.logs}/${w.logs} log files valid`)) {
    return {
      skipped: `aws cloudtrail validate-logs did not report ${w.logs}/${w.logs} log files valid (exit ${r.code}): ${r.stderr.trim().split('\n').pop()}`,
    };
  }
  return { ms: r.ms };
}

const ms1 = (x) => (Number.isFinite(x) ? `${(x / 1000).toFixed(2)} s` : 'n/a');
const perObj = (r) => (Number.isFinite(r.cpuMs) ? `${(r.cpuMs / r.objects).toFixed(2)} ms` : 'n/a');
const startup = (r) => (Number.isFinite(r.startupMs) ? `${(r.startupMs / 1000).toFixed(3)} s` : 'n/a');
const rate = (r, objects) => num(objects / (r.ms / 1000));
const pct = (x) => `${(x * 100).toFixed(0)}%`;

/** The section as text lines. */
export function formatS3Bench(s) {
  if (s.skipped) return [`S3: skipped: ${s.skipped}`];
  const out = [`S3 (${s.endpoint}, bucket ${s.bucket}: log files of ~${num(s.avgLogGzipBytes / 1024, 1)} KiB gzip; Ceph RGW on the same machine)`];
  const rows = [['measurement', 'objects', 'in flight', 'wall', 'objects/s', 'CPU', 'CPU/object', 'first request', 'of raw loop']];
  for (const [name, c] of [
    ['no added latency', s.direct],
    [`${s.latency.delayMs} ms each way`, s.latency],
  ]) {
    const raw = c.raw.best;
    const tp = c.trailproof.best;
    rows.push([
      `${name}: raw loop (best of ${c.raw.runs.length})`,
      num(c.objects),
      String(s.inFlight),
      seconds(raw.ms),
      rate(raw, c.objects),
      ms1(raw.cpuMs),
      perObj(raw),
      startup(raw),
      '100%',
    ]);
    rows.push([
      `${name}: trailproof validate-logs (best of ${c.trailproof.runs.length})`,
      num(c.objects),
      s.concurrency ? String(s.concurrency) : TRAILPROOF_DEFAULT_IN_FLIGHT,
      seconds(tp.ms),
      rate(tp, c.objects),
      ms1(tp.cpuMs),
      perObj(tp),
      startup(tp),
      pct(c.ratio),
    ]);
    if (c.awsCli && !c.awsCli.skipped) {
      rows.push([
        `${name}: aws cloudtrail validate-logs (${s.awsCli})`,
        num(c.objects),
        '1',
        seconds(c.awsCli.ms),
        rate(c.awsCli, c.objects),
        '-',
        '-',
        '-',
        pct(raw.ms / c.awsCli.ms),
      ]);
    }
  }
  out.push(table(rows).trimEnd());
  for (const [name, c] of [
    ['no added latency', s.direct],
    [`${s.latency.delayMs} ms each way`, s.latency],
  ]) {
    const pairs = c.raw.runs.map((r, i) => `${(r.ms / 1000).toFixed(2)}/${(c.trailproof.runs[i].ms / 1000).toFixed(2)}`).join(', ');
    out.push(`${name}: every pair (raw/trailproof wall, s): ${pairs}; median pair ratio ${pct(c.medianPairRatio)}`);
    if (c.awsCli?.skipped) out.push(`${name}: AWS CLI: ${c.awsCli.skipped}`);
    else if (c.awsCli) out.push(`${name}: trailproof ${(c.awsCli.ms / c.trailproof.best.ms).toFixed(1)}x faster than the AWS CLI`);
  }
  if (!s.awsCli) out.push('AWS CLI: not measured (no `aws` on the PATH, or --no-aws-cli)');
  if (s.sequential)
    out.push(
      `issue 5: one-at-a-time SDK loop ${seconds(s.sequential.ms)} for ${num(s.sequential.objects)} objects: trailproof ${s.sequential.speedup.toFixed(1)}x`,
    );
  return out;
}

/** Issue 15's targets, as [name, figure, pass]. */
export function s3Targets(s) {
  if (s.skipped) return [['S3 targets (issue 15)', 'n/a', null]];
  const startups = [...s.direct.trailproof.runs, ...s.latency.trailproof.runs].map((r) => r.startupMs).sort((a, b) => a - b);
  const median = startups[Math.floor(startups.length / 2)];
  return [
    ['validate-logs on S3 >= 90% of the raw loop, no added latency', pct(s.direct.ratio), s.direct.ratio >= 0.9],
    [`validate-logs on S3 >= 90% of the raw loop, ${s.latency.delayMs} ms each way`, pct(s.latency.ratio), s.latency.ratio >= 0.9],
    ['process start to first S3 request < 0.3 s (median of the runs)', `${(median / 1000).toFixed(3)} s`, median < 300],
  ];
}

// Shared by the bench scripts: where things are, the machine, child processes with peak RSS, tables.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const REPO_DIR = fileURLToPath(new URL('../..', import.meta.url));
// TRAILPROOF_BENCH_CLI: another build's CLI to measure (default: this repository's dist/).
export const CLI = process.env.TRAILPROOF_BENCH_CLI || fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const MiB = 1024 * 1024;

export function requireBuild() {
  if (!existsSync(CLI)) {
    process.stderr.write(`bench: ${CLI} is missing: run \`npm run build\` first\n`);
    process.exit(2);
  }
}

export function machine() {
  let cpu = 'unknown';
  let shaNi = false;
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    cpu = /^model name\s*:\s*(.*)$/m.exec(info)?.[1]?.trim() ?? cpu;
    shaNi = /^flags\s*:.*\bsha_ni\b/m.test(info);
  } catch {
    // not Linux
  }
  return {
    cores: availableParallelism(),
    cpu,
    shaNi,
    memGiB: totalmem() / 1024 ** 3,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export function machineLine(m = machine()) {
  return `${m.cores} cores, ${m.cpu}${m.shaNi ? ' (SHA extensions)' : ''}, ${m.memGiB.toFixed(1)} GiB, Node ${m.node}, ${m.platform}`;
}

// GNU time reports the peak RSS of the child it waits for (getrusage ru_maxrss, KiB).
let gnuTime;
function haveGnuTime() {
  if (gnuTime === undefined) {
    const r = spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' });
    gnuTime = r.status === 0 && /^\d+\s*$/.test(r.stderr.trim().split('\n').pop() ?? '');
  }
  return gnuTime;
}

/** Peak RSS from /proc while the child runs (fallback when GNU time is absent): VmHWM, sampled. */
function sampleHwm(pid) {
  let peak = 0;
  const read = () => {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]));
    } catch {
      // gone
    }
  };
  const timer = setInterval(read, 20);
  return () => {
    clearInterval(timer);
    return peak;
  };
}

/**
 * Runs `node dist/cli/main.js ...args` and resolves with { code, ms, rssKiB, cpuMs, stdout, stderr }.
 * The wall time is measured here, around the whole child (start-up included); peak RSS and CPU time
 * (user + system, all threads) come from GNU time (CPU time NaN without it).
 */
export function runCli(args, options) {
  return runNode(CLI, args, options);
}

/**
 * runCli for any Node script (the bench's own reference loops): the same figures, measured the same
 * way (`nodeArgs` go before the script). `onSpawn(t)` is called with the wall-clock time (ms since the epoch, sub-millisecond) just
 * before the child is started: the bench's "process start".
 */
export function runNode(script, args, { env = process.env, cwd = REPO_DIR, onSpawn, nodeArgs = [] } = {}) {
  const useTime = haveGnuTime();
  const cmd = useTime ? '/usr/bin/time' : process.execPath;
  const argv = useTime ? ['-f', '\n@@peak-rss-kib %M %U %S', process.execPath, ...nodeArgs, script, ...args] : [...nodeArgs, script, ...args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    onSpawn?.(performance.timeOrigin + t0);
    const child = spawn(cmd, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = useTime ? null : sampleHwm(child.pid);
    const out = [];
    const err = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      let stderr = Buffer.concat(err).toString('utf8');
      let rssKiB = stop ? stop() : NaN;
      let cpuMs = NaN;
      if (useTime) {
        const m = /\n?@@peak-rss-kib (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(stderr);
        if (m) {
          rssKiB = Number(m[1]);
          cpuMs = (Number(m[2]) + Number(m[3])) * 1000;
          stderr = stderr.slice(0, m.index);
        }
        // GNU time prints "Command exited with non-zero status N" before the format: drop it.
        stderr = stderr.replace(/\n?Command (exited with non-zero status \d+|terminated by signal \d+)\s*$/, '');
      }
      resolve({ code: code ?? (signal ? 128 : 255), signal, ms, rssKiB, cpuMs, stdout: Buffer.concat(out).toString('utf8'), stderr });
    });
  });
}

/** A plain-text table: rows of cells, the first row the header; numbers right-aligned. */
export function table(rows) {
  const widths = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, String(c).length)));
  const right = (c) => /^[-+]?[\d,.]+( ?[a-zA-Z/%x]+)?$|^n\/a$|^-$/.test(String(c));
  const line = (row) =>
    row
      .map((c, i) => (right(c) && i > 0 ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n') + '\n';
}

/** 1234567.8 -> "1,234,568"; small values keep `digits` decimals. */
export function num(x, digits = 0) {
  if (!Number.isFinite(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function seconds(ms) {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 3 : 2)} s`;
}

/** The 1-minute load average now, and whether other work visibly shares the cores. */
export function load() {
  const [one] = loadavg();
  return { one, busy: one > availableParallelism() * 0.25 + 0.5 };
}

export const BUSY_NOTE = 'BUSY: other processes share the CPU, figures are pessimistic and noisy';

/** "load average 0.12 on 2 cores", with the BUSY note when it applies. */
export function loadLine(l = load()) {
  return `load average ${l.one.toFixed(2)} on ${availableParallelism()} cores${l.busy ? ` (${BUSY_NOTE})` : ''}`;
}

/** One progress line on stderr. */
export const log = (t) => process.stderr.write(`bench: ${t}\n`);
export const iso = (ms) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Stops the bench with one line (exit 1). */
export function fail(t) {
  process.stderr.write(`bench: ${t}\n`);
  process.exit(1);
}

/** Every file below `dir` (none when it is not there). */
export function walkFiles(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, out);
    else out.push(p);
  }
  return out;
}

/** runCli, stopping the bench when the command fails. */
export async function checkedCli(args, what, options) {
  const r = await runCli(args, options);
  if (r.code !== 0) fail(`${what} failed (exit ${r.code}):\n${r.stderr.trim()}\n${r.stdout.trim().split('\n').slice(-5).join('\n')}`);
  return r;
}

/** Does the JSON file hold exactly these parameters (a prepared data set to reuse)? */
export function sameParams(file, params) {
  try {
    return JSON.stringify(JSON.parse(readFileSync(file, 'utf8'))) === JSON.stringify(params);
  } catch {
    return false;
  }
}

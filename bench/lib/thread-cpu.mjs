// Loaded with `node --import` into a trailproof run (bench/audit.mjs): at exit, prints the CPU time
// of each of the process's threads, read from /proc/self/task (Linux), as one stderr line
// `@@threads <main ms> <tid>:<ms> ...`. Threads that end before the process (the log workers,
// terminated at the end of the run) are sampled every 20 ms, so their figure can miss up to 20 ms.
import { readdirSync, readFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const TICK_MS = 10; // USER_HZ 100: /proc counts CPU time in 10 ms ticks
const seen = new Map();

function sample() {
  let tasks;
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      seen.set(tid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // the thread ended between the listing and the read: its last sample stands
    }
  }
}

if (isMainThread) {
  setInterval(sample, 20).unref();
  process.on('exit', () => {
    sample();
    const main = seen.get(String(process.pid)) ?? 0;
    const others = [...seen].filter(([tid]) => tid !== String(process.pid)).map(([tid, ms]) => `${tid}:${ms}`);
    process.stderr.write(`\n@@threads ${main} ${others.join(' ')}\n`);
  });
}

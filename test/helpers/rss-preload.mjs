// Loaded with `node --import` by tests that measure a CLI run's memory: at exit, the process's peak
// resident set size (kB) goes to the file named by TRAILPROOF_TEST_RSS_FILE (nothing is printed).
// VmHWM, not resourceUsage().maxRSS: Linux carries maxRSS over from the forking parent (the test
// runner) across exec, VmHWM belongs to this process's own address space.
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.TRAILPROOF_TEST_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(file, hwm ? hwm[1] : String(process.resourceUsage().maxRSS));
  });
}

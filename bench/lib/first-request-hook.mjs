// Loaded with `node --import` into a measured process (bench/lib/s3-bench.mjs): writes to the file
// named by TRAILPROOF_BENCH_FIRST_REQUEST the time its first HTTP request starts, as JSON
// { at: epoch ms, sinceStart: ms since the process's time origin }. Nothing else: the process runs as
// it would without it (one diagnostics channel subscription, one small write).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';

const file = process.env.TRAILPROOF_BENCH_FIRST_REQUEST;
if (file) {
  const onStart = () => {
    unsubscribe('http.client.request.start', onStart);
    const now = performance.now();
    writeFileSync(file, JSON.stringify({ at: performance.timeOrigin + now, sinceStart: now }));
  };
  subscribe('http.client.request.start', onStart);
}

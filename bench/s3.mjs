#!/usr/bin/env node
// validate-logs on S3 against the raw concurrent loop, without and with added network latency, the
// start-up to the first request, and the AWS CLI when installed (issue 15). See bench/README.md.
//
//   npm run build && scripts/with-s3.sh node bench/s3.mjs
//
// Options: --files N (log files, default 4000), --records N (records per file, default 20),
// --files-per-hour N (default 60), --repeat N (interleaved pairs, default 3), --in-flight N (the raw
// loop's requests at once, default 64), --concurrency N (passed to validate-logs), --latency-ms N
// (each way, default 10), --latency-files N (log files of the latency runs, default 500),
// --no-aws-cli, --sequential (also issue 5's one-at-a-time SDK loop), --fresh, --json, --check.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { load, loadLine, log, machineLine, requireBuild, table } from './lib/common.mjs';
import { formatS3Bench, runS3Bench, s3Targets } from './lib/s3-bench.mjs';
import { WORK } from './lib/trail.mjs';

const BOOLEAN = ['no-aws-cli', 'sequential', 'fresh', 'json', 'check', 'help'];
const NUMERIC = { files: 4000, records: 20, 'files-per-hour': 60, repeat: 3, 'in-flight': 64, concurrency: undefined, 'latency-ms': 10, 'latency-files': 500 };
const flags = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const name = argv[i].startsWith('--') ? argv[i].slice(2) : '';
  if (BOOLEAN.includes(name)) flags[name] = true;
  else if (name in NUMERIC) {
    const v = Number(argv[++i]);
    if (!Number.isSafeInteger(v) || v < (name === 'latency-ms' ? 0 : 1)) usage(`--${name} needs a whole number`);
    flags[name] = v;
  } else usage(`unknown argument ${argv[i]}`);
}
if (flags.help) usage();

function usage(problem) {
  process.stderr.write(
    'usage: scripts/with-s3.sh node bench/s3.mjs [--files N] [--records N] [--files-per-hour N] [--repeat N] [--in-flight N]\n' +
      '         [--concurrency N] [--latency-ms N] [--latency-files N] [--no-aws-cli] [--sequential] [--fresh] [--json] [--check]\n' +
      (problem ? `\nbench: ${problem}\n` : ''),
  );
  process.exit(problem ? 2 : 0);
}

const opt = (name) => flags[name] ?? NUMERIC[name];
requireBuild();
const load0 = load();
log(`${machineLine()}; ${loadLine(load0)}`);
mkdirSync(WORK, { recursive: true });
const s3 = await runS3Bench({
  files: opt('files'),
  records: opt('records'),
  fph: opt('files-per-hour'),
  repeat: opt('repeat'),
  inFlight: opt('in-flight'),
  concurrency: opt('concurrency'),
  latencyMs: opt('latency-ms'),
  latencyFiles: opt('latency-files'),
  fresh: flags.fresh === true,
  awsCli: flags['no-aws-cli'] !== true,
  sequential: flags.sequential === true,
}).catch((err) => {
  process.stderr.write(`bench: ${err?.stack ?? err}\n`);
  process.exit(1);
});
const targets = s3Targets(s3).map(([name, figure, pass]) => ({ name, figure, result: pass === null ? 'SKIPPED' : pass ? 'PASS' : 'FAIL' }));
const load1 = load();
const results = { machine: machineLine(), loadAtStart: load0.one, loadAtEnd: load1.one, date: new Date().toISOString(), s3, targets };
writeFileSync(join(WORK, 'results-s3.json'), `${JSON.stringify(results, null, 2)}\n`);
if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
else {
  const out = [`trailproof S3 bench on ${machineLine()}`, `${loadLine(load0)} at the start; ${loadLine(load1)} at the end`, '', ...formatS3Bench(s3), ''];
  out.push('targets (issue 15)', table([['target', 'figure', 'result'], ...targets.map((t) => [t.name, t.figure, t.result])]).trimEnd());
  process.stdout.write(`\n${out.join('\n')}\n`);
}
if (flags.check && targets.some((t) => t.result === 'FAIL')) process.exit(1);

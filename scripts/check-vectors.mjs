#!/usr/bin/env node
// `npm run vectors`: the built CLI against the reference vectors kept in this repository.
//
// For every case folder that has an `expected/` folder, and for each mode that has an
// `<mode>.args.json` there, runs `trailproof validate-logs <args> --local-root ... --public-keys ...`
// and compares stdout, stderr (bytes) and the exit code with `<mode>.stdout`, `.stderr`, `.rc`.
// Prints one line per difference and `vectors: N/M identical`; exits 1 unless all are identical.
//
//   node scripts/check-vectors.mjs [--dir DIR] [--show]
//     --dir DIR  the vectors folder (default: test/vectors of this repository)
//     --show     print the first differing line of each stream that differs
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
const argv = process.argv.slice(2);
const dirAt = argv.indexOf('--dir');
const vectors = resolve(dirAt >= 0 && argv[dirAt + 1] ? argv[dirAt + 1] : join(repo, 'test', 'vectors'));
const show = argv.includes('--show');
const cli = join(repo, 'dist', 'cli', 'main.js');

if (!existsSync(cli)) {
  console.log(`vectors: 0/0 identical (${cli} is missing: run npm run build first)`);
  process.exit(1);
}

/** Every (case, mode) that has an expected answer, in name order. */
function runsOf(folder) {
  const runs = [];
  for (const name of readdirSync(folder).sort()) {
    const expected = join(folder, name, 'expected');
    if (!existsSync(expected)) continue;
    for (const file of readdirSync(expected).sort()) {
      const m = /^(.+)\.args\.json$/.exec(file);
      if (m) runs.push({ name, mode: m[1], expected });
    }
  }
  return runs;
}

function run({ name, mode, expected }) {
  const spec = JSON.parse(readFileSync(join(expected, `${mode}.args.json`), 'utf8'));
  const args = [
    cli,
    'validate-logs',
    ...spec.args,
    '--local-root',
    join(vectors, name, spec.local_root),
    '--public-keys',
    join(vectors, name, spec.public_keys),
  ];
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      args,
      { encoding: 'buffer', maxBuffer: 256 << 20, timeout: 120_000, env: { ...process.env, NO_COLOR: '1' } },
      (_err, stdout, stderr) => done({ stdout, stderr, status: child.exitCode }),
    );
  });
}

function firstDifference(want, got) {
  const a = want.toString('utf8').split('\n');
  const b = got.toString('utf8').split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: want ${JSON.stringify(a[i] ?? '<end>')}, got ${JSON.stringify(b[i] ?? '<end>')}`;
  }
  return 'same lines, different bytes';
}

const runs = runsOf(vectors);
const results = new Array(runs.length);
let next = 0;
// The CLI uses every core for its log workers: a few runs at a time are enough.
const lanes = Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));
await Promise.all(
  Array.from({ length: lanes }, async () => {
    while (next < runs.length) {
      const i = next++;
      results[i] = await run(runs[i]);
    }
  }),
);

let identical = 0;
runs.forEach((r, i) => {
  const got = results[i];
  const problems = [];
  for (const stream of ['stdout', 'stderr']) {
    const want = readFileSync(join(r.expected, `${r.mode}.${stream}`));
    if (!want.equals(got[stream])) problems.push(show ? `${stream} (${firstDifference(want, got[stream])})` : stream);
  }
  const rc = Number(readFileSync(join(r.expected, `${r.mode}.rc`), 'utf8').trim());
  if (got.status !== rc) problems.push(`exit code ${got.status}, want ${rc}`);
  if (problems.length === 0) identical++;
  else console.log(`DIFF ${r.name} ${r.mode}: ${problems.join('; ')}`);
});
console.log(`vectors: ${identical}/${runs.length} identical`);
process.exit(runs.length > 0 && identical === runs.length ? 0 : 1);

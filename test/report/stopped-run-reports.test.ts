import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyKeyStore, TEST_KEYS } from '../../src/cli/demo.js';
import { auditCommand } from '../../src/cli/audit.js';
import { validateLogsCommand } from '../../src/cli/validate-logs.js';
import { parseDate } from '../../src/format/time.js';
import { simulateDelivery } from '../../src/simulate/deliver.js';
import { LocalStore } from '../../src/store/local.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { tempDir } from '../helpers/cli.js';
import { runInProcess } from '../helpers/in-process.js';

/**
 * A report file (JUnit, HTML, the GitHub step summary, the JSON summary line) never says "pass"
 * (exit code 0) for a run whose process exits otherwise (review): validate-logs --witness with a
 * witness record that cannot be parsed, and audit --state whose state cannot be written, stopped
 * with exit 255 after the report files had been closed saying exit code 0.
 */
const BUCKET = 'verdict-bucket';
const ACCOUNT = '111122223333';
const ARN = `arn:aws:cloudtrail:us-east-1:${ACCOUNT}:trail/vx`;

let dir: { path: string; cleanup: () => void };
let root: string;
let keys: string;
let witness: string;

const range = ['--start-time', '2024-05-01T00:00:00Z', '--end-time', '2024-05-01T03:00:00Z'];

beforeAll(async () => {
  dir = tempDir();
  root = join(dir.path, 'root');
  keys = join(dir.path, 'keys');
  witness = join(dir.path, 'witness');
  await copyKeyStore(TEST_KEYS, keys);
  await simulateDelivery(new LocalStore(root), {
    bucket: BUCKET,
    account: ACCOUNT,
    regions: ['us-east-1'],
    start: parseDate('2024-05-01T00:00:00Z').clock,
    hours: 3,
    filesPerHour: 1,
    recordsPerFile: 2,
    seed: 'vx',
  });
  const r = await runInProcess([
    'sign',
    '--keys-dir',
    keys,
    '--trail-arn',
    ARN,
    '--s3-bucket',
    BUCKET,
    '--local-root',
    root,
    '--until',
    '2024-05-01T03:00:00Z',
    '--witness',
    witness,
  ]);
  expect(r.status, r.err).toBe(0);
}, 120_000);

afterAll(() => dir?.cleanup());

/** Whatever a report file says about the exit code, if it was written at all. */
function claimedExitCodes(junit: string, html: string, summary: string): number[] {
  const out: number[] = [];
  if (existsSync(html)) for (const m of readFileSync(html, 'utf8').matchAll(/"exitCode":(\d+)/g)) out.push(Number(m[1]));
  if (existsSync(summary)) for (const m of readFileSync(summary, 'utf8').matchAll(/exit code (\d+)/g)) out.push(Number(m[1]));
  if (existsSync(junit) && !/<failure|<error/.test(readFileSync(junit, 'utf8'))) out.push(0);
  return out;
}

describe('a run that stops (exit 255) never leaves a report that says it passed', () => {
  it('validate-logs --witness with an unreadable record: no passing JUnit, HTML, step summary or JSON summary', async () => {
    // The witness record becomes unparseable: validate-logs must stop (fail closed).
    const folder = join(witness, BUCKET, 'AWSLogs', ACCOUNT, 'CloudTrail-Digest', 'us-east-1', '2024', '05', '01');
    for (const name of readdirSync(folder)) writeFileSync(join(folder, name), '{"schema":1}');
    const junit = join(dir.path, 'v.xml');
    const html = join(dir.path, 'v.html');
    const summary = join(dir.path, 'v.md');
    const args = ['--trail-arn', ARN, ...range, '--s3-bucket', BUCKET, '--local-root', root, '--keys-dir', keys, '--witness', witness];
    const output = memoryOutput();
    const status = await validateLogsCommand([...args, '--junit', junit, '--html', html], {
      output,
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    }).catch(() => 255);
    expect(status).toBe(255);
    expect(claimedExitCodes(junit, html, summary)).not.toContain(0);

    const r = await runInProcess(['validate-logs', ...args, '--output', 'json']);
    expect(r.status).toBe(255);
    // README: a run that stops ends with {"kind":"error"} instead of a summary.
    const kinds = r.out
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    expect(kinds).not.toContain('summary');
  });

  it('audit --state whose state cannot be written: no passing JUnit, HTML or step summary', async () => {
    const junit = join(dir.path, 'a.xml');
    const html = join(dir.path, 'a.html');
    const summary = join(dir.path, 'a.md');
    const state = join(dir.path, 'no-such-folder', 'state.json');
    const args = ['--s3-bucket', BUCKET, '--local-root', root, '--keys-dir', keys, ...range, '--state', state];
    const output = memoryOutput();
    const status = await auditCommand([...args, '--junit', junit, '--html', html], {
      output,
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary },
    }).catch(() => 255);
    expect(status).toBe(255);
    expect(claimedExitCodes(junit, html, summary)).not.toContain(0);
  });
});

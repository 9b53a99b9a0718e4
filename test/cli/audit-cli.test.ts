import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoAuditArgs, runCli, tempDir } from '../helpers/cli.js';
import { STACK_FRAME } from '../helpers/trail-builder.js';

/**
 * `trailproof audit` as users run it (one spawn per behaviour), on the demo's archive: one log
 * changed and one digest deleted by the demo itself.
 */
let dir: { path: string; cleanup: () => void };
const base = () => demoAuditArgs(join(dir.path, 'd'));

beforeAll(() => {
  dir = tempDir();
  const demo = runCli(['demo', '--dir', join(dir.path, 'd')]);
  expect(demo.status, demo.err).toBe(0);
});
afterAll(() => dir?.cleanup());

describe('trailproof audit', () => {
  it('text: a line per chain, its findings, totals; exit 1 on errors; nothing on stderr (not a TTY)', () => {
    const r = runCli(base());
    expect(r.status).toBe(1);
    expect(r.err).toBe('');
    const lines = r.out.split('\n');
    expect(lines[0]).toBe('Auditing s3://trailproof-demo-bucket from 2024-05-01T00:00:00Z to 2024-05-01T06:00:00Z');
    expect(lines.filter((l) => /^111122223333 (us-east-1|eu-west-1) demo-trail \(home us-east-1\): /.test(l))).toHaveLength(2);
    expect(r.out).toMatch(/^ {2}ERROR missing-digest: /m);
    expect(r.out).toMatch(/^ {2}ERROR log-invalid: .*hash value doesn't match$/m);
    expect(r.out).toMatch(/^Totals: 2 chains, 12 digests \(1 INVALID\), 33 logs \(1 INVALID\); findings: 3 errors, 0 warnings, 0 info$/m);
  });

  it('--fail-on never: the same findings, exit 0', () => {
    const r = runCli([...base(), '--fail-on', 'never', '--output', 'json']);
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.out.trim().split('\n').pop()!) as { kind: string; findings: { error: number }; exitCode: number };
    expect(summary).toMatchObject({ kind: 'summary', findings: { error: 3 }, exitCode: 0 });
  });

  it('a bad argument is a one-line usage error (exit 2), a missing root a one-line stop (exit 255)', () => {
    const usage = runCli([...base(), '--fail-on', 'sometimes']);
    expect(usage.status).toBe(2);
    expect(usage.err).toContain("argument --fail-on: invalid choice 'sometimes'");
    const stop = runCli([
      'audit',
      '--s3-bucket',
      'b',
      '--local-root',
      join(dir.path, 'nope'),
      '--keys-dir',
      join(dir.path, 'd', 'keys'),
      '--start-time',
      '2024-05-01',
    ]);
    expect(stop.status).toBe(255);
    expect(stop.err.trim().split('\n')).toHaveLength(1);
    expect(stop.err).not.toMatch(STACK_FRAME);
  });
});

describe('the progress line', () => {
  it('says chains done/total, files/s and the ETA, and ends with a newline on the last chain', async () => {
    const { progressLine } = await import('../../src/cli/audit.js');
    expect(progressLine(1, 4, 3000, 1000)).toBe('\r1/4 chains, 3,000 files/s, ETA 3s');
    expect(progressLine(1, 100, 10, 2000)).toBe('\r1/100 chains, 5 files/s, ETA 3m18s');
    expect(progressLine(4, 4, 12, 4000).endsWith('ETA 0s\n')).toBe(true);
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finding, type ChainRef } from '../../src/audit/types.js';
import { auditCommand } from '../../src/cli/audit.js';
import { reproduce } from '../../src/cli/report-files.js';
import { validateLogsCommand } from '../../src/cli/validate-logs.js';
import { GithubReport, MAX_ANNOTATIONS } from '../../src/report/github.js';
import { memoryReport } from '../../src/report/output.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { buildReportFixture, validateArgs, type ReportFixture } from './fixture.js';

/**
 * GitHub Actions: with GITHUB_ACTIONS=true, at most 10 annotations (errors first) on stderr and a
 * Markdown step summary appended to $GITHUB_STEP_SUMMARY; without it, nothing at all changes.
 */
let dir: { path: string; cleanup: () => void };
let fx: ReportFixture;

beforeAll(async () => {
  dir = tempDir();
  fx = await buildReportFixture(dir.path);
}, 180_000);
afterAll(() => dir?.cleanup());

const annotations = (err: string) => err.split('\n').filter((l) => /^::(error|warning)/.test(l));

describe('audit under GitHub Actions', () => {
  it('annotations on stderr, one per error, and the step summary appended (chains, totals, findings, the command to run locally)', async () => {
    const summaryFile = join(dir.path, 'summary.md');
    writeFileSync(summaryFile, '# earlier step\n');
    const output = memoryOutput();
    const status = await auditCommand(fx.args.slice(1), { output, env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile } });
    expect(status).toBe(1);
    const plain = memoryOutput();
    await auditCommand(fx.args.slice(1), { output: plain, env: {} });
    expect(output.stdout).toBe(plain.stdout);
    expect(plain.stderr).toBe('');
    const json = memoryOutput();
    await auditCommand([...fx.args.slice(1), '--output', 'json'], { output: json, env: {} });
    const errors = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((r) => r.kind === 'finding' && r.severity === 'error');
    const lines = annotations(output.stderr);
    expect(lines).toHaveLength(Math.min(MAX_ANNOTATIONS, errors.length));
    expect(lines.map((l) => l.replace(/^::error title=[^:]*::/, ''))).toEqual(errors.slice(0, MAX_ANNOTATIONS).map((e) => e.message));
    expect(lines[0]).toMatch(/^::error title=trailproof \S+ in \d{12} [a-z0-9-]+ org-trail::/);
    const md = readFileSync(summaryFile, 'utf8');
    expect(md.startsWith('# earlier step\n## ❌ trailproof audit: s3://org-archive-bucket\n')).toBe(true);
    expect(md).toContain(`**4** chain(s)`);
    expect(md).toContain(`**${errors.length} errors**`);
    expect(md).toMatch(/\| 482396712912 us-east-1 org-trail \| 8 \(2 INVALID\) \| 12 \|/);
    expect(md).toContain('1 chain(s) without findings.');
    for (const e of errors) expect(md).toContain(String(e.code));
    expect(md).toContain(`\`\`\`sh\ntrailproof audit --s3-bucket org-archive-bucket --local-root ${fx.root} `);
  });

  it('spawned: GITHUB_ACTIONS from the environment; validate-logs stdout unchanged, its annotations after its stderr', () => {
    const c = fx.chains[0]!;
    const args = ['validate-logs', ...validateArgs(fx, c)];
    const summaryFile = join(dir.path, 'validate-summary.md');
    const plain = runCli(args, { env: { GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' } });
    const gh = runCli(args, { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summaryFile } });
    expect(gh.status).toBe(plain.status);
    expect(gh.stdout.equals(plain.stdout)).toBe(true);
    expect(gh.err.startsWith(plain.err)).toBe(true);
    expect(annotations(plain.err)).toEqual([]);
    expect(
      annotations(gh.err.slice(plain.err.length))
        .map((l) => l.split('::')[1])
        .sort(),
    ).toEqual([
      'error title=trailproof digest-invalid in 482396712912 us-east-1 org-trail',
      'error title=trailproof missing-digest in 482396712912 us-east-1 org-trail',
    ]);
    expect(readFileSync(summaryFile, 'utf8')).toContain('## ❌ trailproof validate-logs: s3://org-archive-bucket');
  });

  it('validate-logs in-process: nothing written anywhere without GITHUB_ACTIONS=true', async () => {
    const c = fx.chains[3]!;
    const output = memoryOutput();
    const summaryFile = join(dir.path, 'untouched.md');
    const status = await validateLogsCommand(validateArgs(fx, c), { output, env: { GITHUB_ACTIONS: 'false', GITHUB_STEP_SUMMARY: summaryFile } });
    expect(status).toBe(0);
    expect(output.stderr).toBe('');
    expect(() => readFileSync(summaryFile)).toThrow(/ENOENT/);
  });
});

describe('GithubReport', () => {
  const chain: ChainRef = { account: '111122223333', region: 'us-east-1', trail: 't', homeRegion: 'us-east-1', organizationId: null, prefix: null };
  const run = (codes: Array<Parameters<typeof finding>[0]>, message = (i: number) => `m${i}`) => {
    const ann = memoryReport();
    const w = new GithubReport(ann, null, { command: 'trailproof audit', reproduce: 'trailproof audit' });
    w.header('b');
    codes.forEach((c, i) => w.finding(finding(c, chain, message(i))));
    w.summary({
      bucket: 'b',
      prefix: null,
      requestedStart: 0,
      requestedEnd: 0,
      chains: 1,
      digests: { valid: 0, invalid: 0 },
      logs: { valid: 0, invalid: 0 },
      findings: { error: 0, warning: 0, info: 0 },
      fatal: null,
      exitCode: 1,
    });
    return ann.text.trim().split('\n');
  };

  it('the 10 most severe, errors before warnings, first come first within a severity; info never', () => {
    const lines = run([...Array(3).fill('chain-stops'), 'pending', ...Array(12).fill('missing-digest')]);
    expect(lines).toHaveLength(10);
    expect(lines.every((l) => l.startsWith('::error '))).toBe(true);
    expect(lines.map((l) => l.split('::')[2])).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 4}`));
    const mixed = run(['chain-stops', 'missing-digest', 'chain-restart', 'pending', 'digest-invalid']);
    expect(mixed.map((l) => `${l.split(' ')[0]} ${l.split('::')[2]}`)).toEqual(['::error m1', '::error m4', '::warning m0', '::warning m2']);
  });

  it('hostile text cannot start another workflow command or close the title', () => {
    const [line, ...rest] = run(['digest-invalid'], () => 'x\n::add-mask::secret\r\n%0A');
    expect(rest).toEqual([]);
    expect(line).toBe('::error title=trailproof digest-invalid in 111122223333 us-east-1 t::x%0A::add-mask::secret%0D%0A%250A');
  });

  it('reproduce: the command line shell-quoted, without the report files', () => {
    expect(reproduce('audit', ['--s3-bucket', 'b', '--junit', 'r.xml', '--html=t.html', '--start-time', "it's now"])).toBe(
      "trailproof audit --s3-bucket b --start-time 'it'\\''s now'",
    );
  });
});

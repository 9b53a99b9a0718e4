import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finding, type AuditSink, type ChainRef } from '../../src/audit/types.js';
import { auditCommand } from '../../src/cli/audit.js';
import { reproduce } from '../../src/cli/report-files.js';
import { validateLogsCommand } from '../../src/cli/validate-logs.js';
import { GithubReport, MAX_ANNOTATIONS } from '../../src/report/github.js';
import { memoryReport } from '../../src/report/output.js';
import { memoryOutput } from '../../src/verifier/output.js';
import { runCli, tempDir } from '../helpers/cli.js';
import { auditSummary, buildReportFixture, validateArgs, type ReportFixture } from './fixture.js';

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
    expect(lines[0]).toMatch(/^::error title=trailproof \S+ in \d{12} [a-z0-9-]+ org-trail \(home us-east-1\)::/);
    const md = readFileSync(summaryFile, 'utf8');
    expect(md.startsWith('# earlier step\n## ❌ trailproof audit: `s3://org-archive-bucket`\n')).toBe(true);
    expect(md).toContain(`**4** chain(s)`);
    expect(md).toContain(`**${errors.length} errors**`);
    expect(md).toMatch(/\| `482396712912 us-east-1 org-trail \(home us-east-1\)` \| 8 \(2 INVALID\) \| 12 \|/);
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
      'error title=trailproof digest-invalid in 482396712912 us-east-1 org-trail (home us-east-1)',
      'error title=trailproof missing-digest in 482396712912 us-east-1 org-trail (home us-east-1)',
    ]);
    expect(readFileSync(summaryFile, 'utf8')).toContain('## ❌ trailproof validate-logs: `s3://org-archive-bucket`');
  });

  it('validate-logs under GitHub Actions: a digest field holding a newline cannot run a workflow command', async () => {
    const c = fx.chains[3]!;
    const root = join(dir.path, 'hostile');
    cpSync(fx.root, root, { recursive: true });
    // Read before the signature is checked: an unsigned edit is enough to put it in the report.
    const file = join(root, fx.archive.bucket, c.digestKeys[3]!);
    const body = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as Record<string, unknown>;
    body.digestPublicKeyFingerprint = 'X\n::add-mask::INVALID\n  ::stop-commands::zz\r::notice::hi';
    writeFileSync(file, gzipSync(JSON.stringify(body)));
    const args = validateArgs(fx, c).map((a) => (a === fx.root ? root : a));
    const gh = memoryOutput();
    expect(await validateLogsCommand(args, { output: gh, env: { GITHUB_ACTIONS: 'true' } })).toBe(1);
    expect(gh.stderr.split(/[\r\n]/).filter((l) => /^\s*::(add-mask|stop-commands|notice)/.test(l))).toEqual([]);
    expect(gh.stderr).toContain('X\n\\x3a:add-mask::INVALID\n  \\x3a:stop-commands::zz\r\\x3a:notice::hi');
    expect(annotations(gh.stderr)).not.toEqual([]);
    // Elsewhere the report is the AWS CLI's, byte for byte: the field as it is.
    const plain = memoryOutput();
    await validateLogsCommand(args, { output: plain, env: {} });
    expect(plain.stderr).toContain('X\n::add-mask::INVALID\n  ::stop-commands::zz\r::notice::hi');
    expect(plain.stdout).toBe(gh.stdout);
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
    w.summary(auditSummary());
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
    expect(line).toBe('::error title=trailproof digest-invalid in 111122223333 us-east-1 t (home us-east-1)::x%0A::add-mask::secret%0D%0A%250A');
  });

  it('the step summary shows hostile text as text: no link, image, emphasis, mention, HTML, bidi reordering or extra row', () => {
    const summary = memoryReport();
    const w: AuditSink = new GithubReport(memoryReport(), summary, { command: 'trailproof audit', reproduce: 'trailproof audit' });
    const hostile = 'pipe | ✅ passed | **bold** [link](https://evil.example) ![i](https://evil.example/i.png) @org/team <b>x</b> `code` gnp\u202eexe.js\nrow';
    w.header('b', undefined, 0, 0);
    w.chainStart(chain);
    w.finding(finding('unexpected-object', chain, hostile));
    w.chainEnd({
      chain: { ...chain, trail: hostile },
      digests: { valid: 0, invalid: 0 },
      backfillDigests: { valid: 0, invalid: 0 },
      logs: { valid: 0, invalid: 0 },
      findings: { error: 0, warning: 0, info: 1 },
      newestEnd: null,
      fatal: null,
    });
    w.summary(auditSummary({ findings: { error: 0, warning: 0, info: 1 }, exitCode: 0 }));
    const md = summary.text;
    // Each hostile cell is one code span (Markdown shows its characters as they are), its pipes escaped.
    const span =
      '``pipe \\| ✅ passed \\| **bold** [link](https://evil.example) ![i](https://evil.example/i.png) @org/team <b>x</b> `code` gnp\\u202eexe.js\\x0arow``';
    expect(md).toContain(`| ${span} |`);
    expect(md).not.toContain('\u202e');
    // The table keeps its shape: every row of the findings table has the header's 5 pipes (escaped ones aside).
    const rows = md.split('\n').filter((l) => l.startsWith('| info'));
    expect(rows).toHaveLength(1);
    expect(rows[0]!.replace(/\\\|/g, '').split('|')).toHaveLength(6);
  });

  it('reproduce: the command line shell-quoted, without the report files', () => {
    expect(reproduce('audit', ['--s3-bucket', 'b', '--junit', 'r.xml', '--html=t.html', '--start-time', "it's now"])).toBe(
      "trailproof audit --s3-bucket b --start-time 'it'\\''s now'",
    );
  });
});

import { printable } from '../format/printable.js';
import { chainName, type AuditSink, type AuditSummary, type ChainSummary, type Finding, type Severity } from '../audit/types.js';
import { formatDisplay } from '../format/time.js';
import type { ReportOutput } from './output.js';
import { clip } from './xml.js';

/**
 * GitHub Actions (cli/ turns it on when GITHUB_ACTIONS=true): at most 10 `::error`/`::warning`
 * workflow commands, the most severe first (GitHub shows 10 of each kind per step and drops the
 * rest), and a Markdown summary appended to $GITHUB_STEP_SUMMARY: totals, the chains with
 * findings, the first findings, and the command to run locally. Everything kept is bounded (the
 * step summary's limit is 1 MiB).
 */
export const MAX_ANNOTATIONS = 10;
const MAX_CHAIN_ROWS = 50;
const MAX_FINDING_ROWS = 20;
const RANK: Record<Severity, number> = { error: 2, warning: 1, info: 0 };

export interface GithubOptions {
  /** `trailproof audit` or `trailproof validate-logs`. */
  readonly command: string;
  /** The command line to run locally (shell-quoted by the caller). */
  readonly reproduce: string;
}

export class GithubReport implements AuditSink {
  private bucket = '';
  private readonly top: Finding[] = [];
  private readonly firstFindings: Finding[] = [];
  private readonly chainRows: string[] = [];
  private chainsWithFindings = 0;
  private cleanChains = 0;

  /** `annotations`: where the runner reads workflow commands (stderr: it reads both streams); `summary`: the step summary file, or null. */
  constructor(
    private readonly annotations: ReportOutput,
    private readonly summaryFile: ReportOutput | null,
    private readonly o: GithubOptions,
  ) {}

  header(bucket: string): void {
    this.bucket = bucket;
  }
  chainStart(): void {}
  event(): void {}

  finding(f: Finding): void {
    if (this.firstFindings.length < MAX_FINDING_ROWS) this.firstFindings.push(f);
    if (f.severity === 'info') return;
    // The 10 most severe, first come first kept within a severity.
    if (this.top.length < MAX_ANNOTATIONS) this.top.push(f);
    else {
      let weakest = -1;
      for (let i = 0; i < this.top.length; i++) if (weakest < 0 || RANK[this.top[i]!.severity] <= RANK[this.top[weakest]!.severity]) weakest = i;
      if (RANK[f.severity] > RANK[this.top[weakest]!.severity]) {
        this.top.splice(weakest, 1);
        this.top.push(f);
      }
    }
  }

  chainEnd(s: ChainSummary): void {
    const n = s.findings.error + s.findings.warning + s.findings.info;
    if (n === 0 && s.fatal === null) {
      this.cleanChains++;
      return;
    }
    this.chainsWithFindings++;
    if (this.chainRows.length >= MAX_CHAIN_ROWS) return;
    const c = (x: { valid: number; invalid: number }) => `${x.valid + x.invalid}${x.invalid > 0 ? ` (${x.invalid} INVALID)` : ''}`;
    const digests = { valid: s.digests.valid + s.backfillDigests.valid, invalid: s.digests.invalid + s.backfillDigests.invalid };
    this.chainRows.push(
      `| ${cell(chainName(s.chain))} | ${c(digests)} | ${c(s.logs)} | ${s.findings.error} | ${s.findings.warning} | ${s.findings.info} |${s.fatal ? ` stopped: ${cell(s.fatal)}` : ''}`,
    );
  }

  summary(s: AuditSummary): void {
    const sorted = [...this.top].sort((a, b) => RANK[b.severity] - RANK[a.severity]);
    for (const f of sorted) {
      const title = `trailproof ${f.code}${f.chain ? ` in ${chainName(f.chain)}` : ''}`;
      this.annotations.write(`::${f.severity === 'error' ? 'error' : 'warning'} title=${property(title)}::${data(clip(f.message, 2000))}\n`);
    }
    if (!this.summaryFile) return;
    const ok = s.fatal === null && s.exitCode === 0;
    const lines = [
      `## ${ok ? '✅' : '❌'} ${this.o.command}: ${cell(`s3://${this.bucket}${s.prefix ? `/${s.prefix}` : ''}`)}`,
      '',
      `${formatDisplay(s.requestedStart)} to ${formatDisplay(s.requestedEnd)}: **${s.chains}** chain(s), ${s.digests.valid + s.digests.invalid} digests (${s.digests.invalid} INVALID), ${s.logs.valid + s.logs.invalid} logs (${s.logs.invalid} INVALID); findings: **${s.findings.error} errors**, ${s.findings.warning} warnings, ${s.findings.info} info; exit code ${s.exitCode}.`,
    ];
    if (s.fatal !== null) lines.push('', `**The run stopped:** ${cell(s.fatal)}`);
    if (this.chainRows.length > 0) {
      lines.push(
        '',
        '### Chains with findings',
        '',
        '| chain | digests | logs | errors | warnings | info |',
        '| --- | ---: | ---: | ---: | ---: | ---: |',
        ...this.chainRows,
      );
      if (this.chainsWithFindings > this.chainRows.length)
        lines.push('', `... and ${this.chainsWithFindings - this.chainRows.length} more chain(s) with findings.`);
    }
    if (this.cleanChains > 0) lines.push('', `${this.cleanChains} chain(s) without findings.`);
    if (this.firstFindings.length > 0) {
      lines.push('', `### First findings`, '', '| severity | code | chain | message |', '| --- | --- | --- | --- |');
      for (const f of this.firstFindings)
        lines.push(`| ${f.severity} | ${f.code} | ${f.chain ? cell(chainName(f.chain)) : ''} | ${cell(clip(f.message, 500))} |`);
      const total = s.findings.error + s.findings.warning + s.findings.info;
      if (total > this.firstFindings.length)
        lines.push('', `... ${total - this.firstFindings.length} more: run it locally, or keep the \`--junit\`/\`--html\` report as an artifact.`);
    }
    const fence = '`'.repeat(Math.max(3, longestRun(this.o.reproduce, '`') + 1));
    lines.push('', '### Reproduce locally', '', `${fence}sh`, this.o.reproduce, fence, '');
    this.summaryFile.write(`${lines.join('\n')}\n`);
  }
}

/**
 * Text for a stream the runner reads for workflow commands (a step's stdout and stderr): a line that
 * would be one (`::` after leading blanks) gets its first `:` written as `\\x3a`. Hostile keys and
 * digest fields reach the report's lines (validate-logs writes them as the AWS CLI does), and one
 * holding a newline could otherwise run `::add-mask::` or `::stop-commands::`. No line the AWS CLI
 * writes starts with `::`, so the report is otherwise unchanged.
 */
export function inert(text: string): string {
  return text.replace(/(^|[\r\n])([^\S\r\n]*)::/g, '$1$2\\x3a:');
}

/** Workflow command data: `%`, CR and LF escaped (so hostile text cannot start a new command line). */
export function data(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command property: also `:` and `,`. */
export function property(s: string): string {
  return data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * Hostile text in the step summary: a code span, where Markdown shows every character as it is (no
 * emphasis, link, image, mention or HTML), made printable (report/printable.ts), its `|` escaped for
 * the table, its fence longer than any run of backticks in it.
 */
function cell(s: string): string {
  const t = printable(s).replace(/\|/g, '\\|');
  const fence = '`'.repeat(longestRun(t, '`') + 1);
  const pad = t.startsWith('`') || t.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

function longestRun(s: string, c: string): number {
  let best = 0;
  let run = 0;
  for (const ch of s) {
    run = ch === c ? run + 1 : 0;
    best = Math.max(best, run);
  }
  return best;
}

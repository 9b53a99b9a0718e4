import { appendFileSync, closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AuditSink } from '../audit/types.js';
import { TrailproofError } from '../errors.js';
import { GithubReport, inert } from '../report/github.js';
import { HtmlReport } from '../report/html.js';
import { JunitReport } from '../report/junit.js';
import { memoryReport, TeeSink, type ReportOutput } from '../report/output.js';
import { describeFsError } from '../util/errno.js';
import type { Output } from '../verifier/output.js';
import { str, type OptionSpec, type ParsedArgs } from './args.js';

/**
 * The report files of audit and validate-logs (`--junit FILE`, `--html FILE`) and, under GitHub
 * Actions (GITHUB_ACTIONS=true, read here only), the annotations and the step summary. Each file
 * is opened before the run (a path that cannot be written stops it at once, exit 255), written as
 * the run goes into a temporary file beside it, and renamed into place when the run is over: the
 * file is whole or absent, never half a report. Never stdout: validate-logs' stdout stays the AWS
 * CLI's, byte for byte.
 */
export const REPORT_OPTIONS: OptionSpec[] = [
  { name: 'junit', value: 'FILE', description: 'also write JUnit XML to FILE (one testsuite per chain; CI test reporters)' },
  { name: 'html', value: 'FILE', description: 'also write a self-contained HTML timeline to FILE (no network needed to open it)' },
];

export interface ReportFiles {
  /** The writers to add to the command's own report (none: nothing was asked). */
  readonly sinks: readonly AuditSink[];
  /** Whether a writer needs the digest records (runAudit's `records`). */
  readonly records: boolean;
  /** Close and rename every file (the run is over). */
  close(): void;
  /** Remove the temporary files (the run threw). */
  abort(): void;
}

export interface ReportContext {
  readonly command: 'audit' | 'validate-logs';
  readonly argv: readonly string[];
  readonly failOn: 'error' | 'warning' | 'never';
  /** Where workflow commands go: stderr (the runner reads both streams; stdout stays the report's). */
  readonly annotate: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** What the report is about, for titles: `s3://bucket` or the trail ARN. */
  readonly subject: string;
}

export function openReportFiles(args: ParsedArgs, c: ReportContext): ReportFiles {
  const files: FileOutput[] = [];
  const sinks: AuditSink[] = [];
  const command = `trailproof ${c.command}`;
  try {
    const junit = str(args, 'junit');
    if (junit !== undefined) {
      const f = new FileOutput(junit, '--junit');
      files.push(f);
      sinks.push(new JunitReport(f, { name: `${command} ${c.subject}`, failOn: c.failOn }));
    }
    const html = str(args, 'html');
    if (html !== undefined) {
      const f = new FileOutput(html, '--html');
      files.push(f);
      sinks.push(new HtmlReport(f, { title: `${command} ${c.subject}`, command, failOn: c.failOn }));
    }
  } catch (err) {
    for (const f of files) f.abort();
    throw err;
  }
  let summary: (ReportOutput & { text: string }) | null = null;
  const summaryPath = c.env.GITHUB_STEP_SUMMARY;
  if (c.env.GITHUB_ACTIONS === 'true') {
    summary = summaryPath ? memoryReport() : null;
    sinks.push(new GithubReport({ write: c.annotate }, summary, { command, reproduce: reproduce(c.command, c.argv) }));
  }
  return {
    sinks,
    records: files.length > 0,
    close() {
      for (const f of files) f.close();
      if (summary && summaryPath) {
        try {
          appendFileSync(summaryPath, summary.text);
        } catch (err) {
          throw new TrailproofError('input', `Cannot append to GITHUB_STEP_SUMMARY ${summaryPath}: ${describeFsError(err)}`);
        }
      }
    },
    abort() {
      for (const f of files) f.abort();
    },
  };
}

/**
 * The command's output as the runner should read it: under GitHub Actions, no line of the report can
 * be a workflow command (report/github.ts `inert`); elsewhere, unchanged. Annotations go to the
 * output given, not to this one.
 */
export function reportOutput(output: Output, env: NodeJS.ProcessEnv): Output {
  if (env.GITHUB_ACTIONS !== 'true') return output;
  return { out: (t) => output.out(inert(t)), err: (t) => output.err(inert(t)), flush: () => output.flush() };
}

/** The command's own sink, or it and the report writers together. */
export function withReports(main: AuditSink, files: ReportFiles): AuditSink {
  return files.sinks.length === 0 ? main : new TeeSink([main, ...files.sinks]);
}

/** Buffered synchronous writes into `.<name>.tmp-<pid>` beside the target, renamed on close. */
class FileOutput implements ReportOutput {
  private readonly tmp: string;
  private fd: number | null;
  private buf: string[] = [];
  private size = 0;

  constructor(
    private readonly path: string,
    private readonly option: string,
  ) {
    this.tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
    try {
      this.fd = openSync(this.tmp, 'w', 0o644);
    } catch (err) {
      throw new TrailproofError('input', `Cannot write ${option} file ${path}: ${describeFsError(err)}`);
    }
  }

  write(text: string): void {
    this.buf.push(text);
    this.size += text.length;
    if (this.size >= 1 << 16) this.flush();
  }

  close(): void {
    if (this.fd === null) return;
    try {
      this.flush();
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
      renameSync(this.tmp, this.path);
    } catch (err) {
      this.abort();
      throw new TrailproofError('input', `Cannot write ${this.option} file ${this.path}: ${describeFsError(err)}`);
    }
  }

  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    rmSync(this.tmp, { force: true });
  }

  private flush(): void {
    if (this.fd === null || this.buf.length === 0) return;
    const bytes = Buffer.from(this.buf.join(''), 'utf8');
    this.buf = [];
    this.size = 0;
    try {
      for (let at = 0; at < bytes.length;) at += writeSync(this.fd, bytes, at);
    } catch (err) {
      throw new TrailproofError('input', `Cannot write ${this.option} file ${this.path}: ${describeFsError(err)}`);
    }
  }
}

/** The command to run locally, shell-quoted, without the report files (the step summary says how to reproduce the verdict). */
export function reproduce(command: string, argv: readonly string[]): string {
  const out: string[] = ['trailproof', command];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--junit' || a === '--html') {
      i++;
      continue;
    }
    if (a.startsWith('--junit=') || a.startsWith('--html=')) continue;
    const shown = withoutPassword(a);
    out.push(/^[A-Za-z0-9_@%+=:,./-]+$/.test(shown) ? shown : `'${shown.replace(/'/g, `'\\''`)}'`);
  }
  return out.join(' ');
}

/** A URL's password (`--queue redis://USER:PASSWORD@HOST`, in `--opt=URL` too) as `REDACTED`: the step summary is read by many. */
function withoutPassword(arg: string): string {
  return arg.replace(/([a-z][a-z0-9+.-]*:\/\/[^/@:?#\s]*:)[^/?#\s]*@/gi, '$1REDACTED@');
}

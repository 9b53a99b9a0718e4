import { DigestRecorder } from '../audit/digest-records.js';
import { finding, type AuditSink, type ChainRef, type Finding, type Severity } from '../audit/types.js';
import type { ChainEvent } from '../chain/events.js';
import { parseDate } from '../format/time.js';
import type { ReportEvent, ReportSink, RunSummary } from '../verifier/types.js';

/**
 * validate-logs (one chain) through the audit's report writers: its own verdicts, nothing more
 * (no audit finding): an INVALID digest is `digest-invalid` (`missing-digest` when it is not
 * found), an INVALID log `log-invalid`, in the window of the digest that lists it. Gaps only
 * colour the timeline, as they do not change validate-logs' exit code. Findings go to the writers
 * as they come; the digest records (with their log counts) when the run is over (`finish`).
 */
export class ValidationReports implements ReportSink {
  private readonly recorder = new DigestRecorder();
  private readonly counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  private start = 0;
  private end = 0;

  constructor(
    private readonly sink: AuditSink,
    private readonly chain: ChainRef,
    private readonly bucket: string,
    private readonly prefix: string | undefined,
  ) {}

  /** ValidateOptions.onChainEvent: the typed digests (window, key fingerprint). */
  readonly onChainEvent = (e: ChainEvent): void => this.recorder.chainEvent(e);

  header(start: number, end: number): void {
    this.start = start;
    this.end = end;
    this.sink.header(this.bucket, this.prefix, start, end);
    this.sink.chainStart(this.chain);
  }

  event(e: ReportEvent): void {
    this.recorder.reportEvent(e);
    if (e.type === 'digest' && !e.valid) {
      const s3 = `s3://${e.bucket}/${e.key}`;
      this.emit(finding(e.reason === 'not found' ? 'missing-digest' : 'digest-invalid', this.chain, `digest ${s3}: ${e.reason ?? ''}`, { s3 }));
    } else if (e.type === 'log' && !e.valid) {
      const s3 = `s3://${e.bucket}/${e.key}`;
      const from = time(e.digestStartTime);
      const to = time(e.digestEndTime);
      this.emit(finding('log-invalid', this.chain, `log ${s3}: ${e.reason ?? ''}`, { s3, ...(from !== null && to !== null ? { from, to } : {}) }));
    }
  }

  summary(): void {}

  /** After runValidation (which skips `summary` when the run stops): the records, the chain and the totals. */
  finish(s: RunSummary): void {
    for (const r of this.recorder.records) this.sink.record?.(this.chain, r);
    this.sink.chainEnd({
      chain: this.chain,
      digests: s.digests,
      backfillDigests: s.backfillDigests,
      logs: s.logs,
      findings: this.counts,
      newestEnd: null,
      fatal: s.fatal,
    });
    const add = (a: { valid: number; invalid: number }, b: { valid: number; invalid: number }) => ({
      valid: a.valid + b.valid,
      invalid: a.invalid + b.invalid,
    });
    this.sink.summary({
      bucket: this.bucket,
      prefix: this.prefix ?? null,
      requestedStart: this.start || s.start,
      requestedEnd: this.end || s.end,
      chains: 1,
      digests: add(s.digests, s.backfillDigests),
      logs: s.logs,
      findings: this.counts,
      fatal: s.fatal,
      exitCode: s.exitCode,
    });
  }

  private emit(f: Finding): void {
    this.counts[f.severity]++;
    this.sink.finding(f);
  }
}

/** One validate-logs report stream to two sinks (the AWS CLI's report, and the report files). */
export function teeReportSink(a: ReportSink, b: ReportSink): ReportSink {
  return {
    header: (start, end) => {
      a.header(start, end);
      b.header(start, end);
    },
    event: (e) => {
      a.event(e);
      b.event(e);
    },
    summary: (s) => {
      a.summary(s);
      b.summary(s);
    },
  };
}

function time(text: string | null): number | null {
  if (text === null) return null;
  try {
    return parseDate(text).clock;
  } catch {
    return null;
  }
}

import { EXIT_FATAL } from '../errors.js';
import { formatDisplay } from '../format/time.js';
import type { Output } from './output.js';
import type { ReportEvent, ReportSink, RunSummary } from './types.js';

/**
 * `--output json`: one JSON object per line on stdout, in report order (schema in the README):
 * every digest, log file and gap whatever --verbose says, then one summary (or one error).
 */
export class JsonReport implements ReportSink {
  constructor(
    private readonly output: Output,
    private readonly trailArn: string,
  ) {}

  private line(value: unknown): void {
    this.output.out(`${JSON.stringify(value)}\n`);
  }

  header(): void {}

  event(e: ReportEvent): void {
    this.line(eventRecord(e));
  }

  summary(s: RunSummary): void {
    const c = (x: { valid: number; invalid: number }) => ({ valid: x.valid, invalid: x.invalid, total: x.valid + x.invalid });
    this.line({
      kind: 'summary',
      trailArn: this.trailArn,
      requestedStart: formatDisplay(s.start),
      requestedEnd: formatDisplay(s.end),
      foundStart: s.foundStart,
      foundEnd: s.foundEnd,
      digests: c(s.digests),
      backfillDigests: c(s.backfillDigests),
      logs: c(s.logs),
      gaps: s.gaps,
      exitCode: s.exitCode,
    });
  }
}

/** The JSON record of one report event (validate-logs --output json; audit --verbose adds the chain). */
export function eventRecord(e: ReportEvent): Record<string, unknown> {
  switch (e.type) {
    case 'digest':
      return {
        kind: e.backfill ? 'backfill-digest' : 'digest',
        s3: `s3://${e.bucket}/${e.key}`,
        bucket: e.bucket,
        key: e.key,
        status: e.valid ? 'valid' : 'INVALID',
        reason: e.reason,
        digestStartTime: e.digestStartTime,
        digestEndTime: e.digestEndTime,
      };
    case 'log':
      return {
        kind: 'log',
        s3: `s3://${e.bucket}/${e.key}`,
        bucket: e.bucket,
        key: e.key,
        status: e.valid ? 'valid' : 'INVALID',
        reason: e.reason,
        digestKey: e.digestKey,
        backfill: e.backfill,
        digestStartTime: e.digestStartTime,
        digestEndTime: e.digestEndTime,
      };
    case 'gap':
      return { kind: 'gap', backfill: e.backfill, status: 'gap', from: formatDisplay(e.from), to: formatDisplay(e.to) };
    case 'fatal':
      return { kind: 'error', message: e.message, exitCode: EXIT_FATAL };
  }
}

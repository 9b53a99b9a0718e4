import { formatDisplay } from '../format/time.js';
import type { Output } from './output.js';
import type { Counts, ReportEvent, ReportSink, RunSummary } from './types.js';

/**
 * The AWS CLI's validate-logs report, byte for byte (behaviour §5). `valid` lines go to stdout in
 * verbose mode only; INVALID and gap lines always go to stderr, each followed by an empty line,
 * and preceded by one when it follows a stdout status line.
 */
export class TextReport implements ReportSink {
  private lastDouble = true;

  constructor(
    private readonly output: Output,
    private readonly verbose: boolean,
    private readonly trailArn: string,
  ) {}

  private status(message: string, error: boolean): void {
    if (error) {
      this.output.err(this.lastDouble ? `${message}\n\n` : `\n${message}\n\n`);
      this.lastDouble = true;
    } else if (this.verbose) {
      this.lastDouble = false;
      this.output.out(`${message}\n`);
    }
  }

  header(start: number, end: number): void {
    this.output.out(`Validating log files for trail ${this.trailArn} between ${formatDisplay(start)} and ${formatDisplay(end)}\n\n`);
  }

  event(e: ReportEvent): void {
    switch (e.type) {
      case 'digest':
      case 'log': {
        // A valid line is written only in verbose mode: do not build it otherwise (one per log file).
        if (e.valid && !this.verbose) return;
        const what = e.type === 'digest' ? `${e.backfill ? '(backfill) ' : ''}Digest file` : 'Log file';
        const where = `s3://${e.bucket}/${e.key}`;
        this.status(`${what}\t${where}\t${e.valid ? 'valid' : `INVALID: ${e.reason ?? ''}`}`, !e.valid);
        return;
      }
      case 'gap':
        this.status(
          `${e.backfill ? '(backfill) ' : ''}No log files were delivered by CloudTrail between ${formatDisplay(e.from)} and ${formatDisplay(e.to)}`,
          true,
        );
        return;
      case 'fatal':
        // The AWS CLI's top-level handler: an empty line, the message, exit 255.
        this.output.err(`\n${e.message}\n`);
        return;
    }
  }

  summary(s: RunSummary): void {
    let text = this.lastDouble ? '' : '\n';
    text += `Results requested for ${formatDisplay(s.start)} to ${formatDisplay(s.end)}\n`;
    const seen = s.digests.valid + s.digests.invalid + s.backfillDigests.valid + s.backfillDigests.invalid;
    if (seen === 0) {
      this.output.out(`${text}No digests found\n`);
      return;
    }
    text += s.foundStart && s.foundEnd ? `Results found for ${s.foundStart} to ${s.foundEnd}:\n` : 'No valid digests found in range\n';
    text += ratio(s.digests, 'digest') + ratio(s.backfillDigests, 'backfill digest') + ratio(s.logs, 'log');
    this.output.out(`${text}\n`);
  }
}

function ratio(c: Counts, name: string): string {
  const total = c.valid + c.invalid;
  if (total === 0) return '';
  return `\n${c.valid}/${total} ${name} files valid` + (c.invalid > 0 ? `, ${c.invalid}/${total} ${name} files INVALID` : '');
}

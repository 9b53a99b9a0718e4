import type { AuditSink, AuditSummary, ChainRef, ChainSummary, DigestRecord, Finding, GapRecord } from '../audit/types.js';
import type { ReportEvent } from '../verifier/types.js';

/**
 * Where a report writer's text goes: a file the user named, the step summary, stderr. The writers
 * are pure; cli/report-files.ts opens the files (and writes them whole or not at all).
 */
export interface ReportOutput {
  write(text: string): void;
}

/** Collects the text in memory (tests, library use). */
export function memoryReport(): ReportOutput & { text: string } {
  const o = {
    text: '',
    write(t: string) {
      o.text += t;
    },
  };
  return o;
}

/** One audit stream to several writers (the text or JSON report on stdout, and the report files). */
export class TeeSink implements AuditSink {
  constructor(private readonly sinks: readonly AuditSink[]) {}

  header(bucket: string, prefix: string | undefined, start: number, end: number): void {
    for (const s of this.sinks) s.header(bucket, prefix, start, end);
  }
  chainStart(chain: ChainRef): void {
    for (const s of this.sinks) s.chainStart(chain);
  }
  event(chain: ChainRef, e: ReportEvent): void {
    for (const s of this.sinks) s.event(chain, e);
  }
  record(chain: ChainRef, r: DigestRecord | GapRecord): void {
    for (const s of this.sinks) s.record?.(chain, r);
  }
  finding(f: Finding): void {
    for (const s of this.sinks) s.finding(f);
  }
  chainEnd(s: ChainSummary): void {
    for (const x of this.sinks) x.chainEnd(s);
  }
  summary(s: AuditSummary): void {
    for (const x of this.sinks) x.summary(s);
  }
}

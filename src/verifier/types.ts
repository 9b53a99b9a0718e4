/** What the report writers receive, in report order. Times are UTC clock micros. */
export type ReportEvent =
  | {
      readonly type: 'digest';
      readonly backfill: boolean;
      readonly bucket: string;
      readonly key: string;
      readonly valid: boolean;
      readonly reason: string | null;
      readonly digestStartTime: string | null;
      readonly digestEndTime: string | null;
    }
  | {
      readonly type: 'log';
      readonly backfill: boolean;
      readonly bucket: string;
      readonly key: string;
      readonly valid: boolean;
      readonly reason: string | null;
      readonly digestKey: string;
      readonly digestStartTime: string | null;
      readonly digestEndTime: string | null;
      /** Valid, but its gzip member ends before the trailer (the reports of validate-logs ignore it; the audit reports it). */
      readonly truncated?: true;
    }
  | { readonly type: 'gap'; readonly backfill: boolean; readonly from: number; readonly to: number }
  | { readonly type: 'fatal'; readonly message: string };

export interface Counts {
  valid: number;
  invalid: number;
}

export interface RunSummary {
  readonly start: number;
  readonly end: number;
  /** Found window; display text keeps each value's own clock (§5). */
  readonly foundStart: string | null;
  readonly foundEnd: string | null;
  readonly digests: Counts;
  readonly backfillDigests: Counts;
  readonly logs: Counts;
  readonly gaps: number;
  readonly fatal: string | null;
  readonly exitCode: number;
}

/** A report writer: text (the AWS CLI's report) or JSON lines. */
export interface ReportSink {
  header(start: number, end: number): void;
  event(e: ReportEvent): void;
  summary(s: RunSummary): void;
}

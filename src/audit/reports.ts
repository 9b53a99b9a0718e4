import { printable } from '../format/printable.js';
import { formatDisplay } from '../format/time.js';
import type { Output } from '../verifier/output.js';
import { eventRecord } from '../verifier/report-json.js';
import type { ReportEvent } from '../verifier/types.js';
import { chainName, type AuditSink, type AuditSummary, type ChainRef, type ChainSummary, type Finding, type Severity } from './types.js';

/**
 * The audit's reports. Text: per chain one summary line, then its findings; then totals. A chain's
 * findings can come after the next chain has started (run.ts holds the ends of a log folder's chains
 * until the folder's findings are known: held-chains.ts), so the text report keeps them by chain. JSON
 * lines (schema version AUDIT_SCHEMA, README "audit --output json"): a header, every finding, every
 * chain, then one summary; with --verbose also validate-logs' own records with the chain's account,
 * region, trail and home region. Chains are named for people by chainName (types.ts).
 */
export const AUDIT_SCHEMA = 1;

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function severities(f: Record<Severity, number>): string {
  return `${plural(f.error, 'error')}, ${plural(f.warning, 'warning')}, ${f.info} info`;
}

function counts(label: string, c: { valid: number; invalid: number }): string {
  return `${plural(c.valid + c.invalid, label)}${c.invalid > 0 ? ` (${c.invalid} INVALID)` : ''}`;
}

export class AuditTextReport implements AuditSink {
  /** The findings of each chain started and not ended (one, or the chains of one log folder), by label. */
  private readonly findings = new Map<string, Finding[]>();

  constructor(
    private readonly output: Output,
    private readonly verbose: boolean,
  ) {}

  /** Writes one line, made printable (keys, trail names and messages are hostile): only its own leading and trailing newlines stay. */
  private put(text: string): void {
    const [, lead, body, trail] = /^(\n*)([\s\S]*?)(\n*)$/.exec(text)!;
    this.output.out(`${lead}${printable(body!)}${trail}`);
  }

  header(bucket: string, prefix: string | undefined, start: number, end: number): void {
    this.put(`Auditing s3://${bucket}${prefix ? `/${prefix}` : ''} from ${formatDisplay(start)} to ${formatDisplay(end)}\n\n`);
  }

  chainStart(chain: ChainRef): void {
    this.findings.set(chainName(chain), []);
  }

  event(_chain: ChainRef, e: ReportEvent): void {
    if (!this.verbose || e.type === 'fatal') return;
    if (e.type === 'gap') this.put(`    gap ${formatDisplay(e.from)} to ${formatDisplay(e.to)}${e.backfill ? ' (backfill)' : ''}\n`);
    else
      this.put(
        `    ${e.type === 'digest' ? (e.backfill ? 'backfill digest' : 'digest') : 'log'} s3://${e.bucket}/${e.key} ${e.valid ? 'valid' : `INVALID: ${e.reason}`}\n`,
      );
  }

  finding(f: Finding): void {
    const held = f.chain === null ? undefined : this.findings.get(chainName(f.chain));
    if (held) held.push(f);
    else this.put(`  ${line(f)}\n`);
  }

  chainEnd(s: ChainSummary): void {
    const digests = { valid: s.digests.valid + s.backfillDigests.valid, invalid: s.digests.invalid + s.backfillDigests.invalid };
    this.put(
      `${chainName(s.chain)}: ${counts('digest', digests)}, ${counts('log', s.logs)}; ${severities(s.findings)}${s.fatal ? `; STOPPED: ${s.fatal}` : ''}\n`,
    );
    for (const f of this.findings.get(chainName(s.chain)) ?? []) this.put(`  ${line(f)}\n`);
    this.findings.delete(chainName(s.chain));
  }

  summary(s: AuditSummary): void {
    this.put(`\nTotals: ${plural(s.chains, 'chain')}, ${counts('digest', s.digests)}, ${counts('log', s.logs)}; findings: ${severities(s.findings)}\n`);
  }
}

function line(f: Finding): string {
  return `${f.severity.toUpperCase()} ${f.code}: ${f.message}`;
}

export class AuditJsonReport implements AuditSink {
  constructor(
    private readonly output: Output,
    private readonly verbose: boolean,
  ) {}

  private line(value: unknown): void {
    this.output.out(`${JSON.stringify(value)}\n`);
  }

  header(bucket: string, prefix: string | undefined, start: number, end: number): void {
    this.line({ kind: 'audit', schema: AUDIT_SCHEMA, bucket, prefix: prefix ?? null, requestedStart: formatDisplay(start), requestedEnd: formatDisplay(end) });
  }

  chainStart(): void {}

  event(chain: ChainRef, e: ReportEvent): void {
    if (this.verbose && e.type !== 'fatal')
      this.line({
        ...eventRecord(e),
        account: chain.account,
        region: chain.region,
        trail: chain.trail,
        homeRegion: chain.homeRegion,
        organizationId: chain.organizationId,
        prefix: chain.prefix,
      });
  }

  finding(f: Finding): void {
    this.line({
      kind: 'finding',
      code: f.code,
      severity: f.severity,
      s3: f.s3,
      account: f.chain?.account ?? null,
      region: f.chain?.region ?? null,
      trail: f.chain?.trail ?? null,
      homeRegion: f.chain?.homeRegion ?? null,
      organizationId: f.chain?.organizationId ?? null,
      prefix: f.chain?.prefix ?? null,
      from: f.from === null ? null : formatDisplay(f.from),
      to: f.to === null ? null : formatDisplay(f.to),
      count: f.count,
      message: f.message,
    });
  }

  chainEnd(s: ChainSummary): void {
    const c = (x: { valid: number; invalid: number }) => ({ valid: x.valid, invalid: x.invalid, total: x.valid + x.invalid });
    this.line({
      kind: 'chain',
      ...s.chain,
      digests: c(s.digests),
      backfillDigests: c(s.backfillDigests),
      logs: c(s.logs),
      findings: s.findings,
      newestDigestEnd: s.newestEnd === null ? null : formatDisplay(s.newestEnd),
      error: s.fatal,
    });
  }

  summary(s: AuditSummary): void {
    const c = (x: { valid: number; invalid: number }) => ({ valid: x.valid, invalid: x.invalid, total: x.valid + x.invalid });
    this.line({
      kind: 'summary',
      schema: AUDIT_SCHEMA,
      bucket: s.bucket,
      prefix: s.prefix,
      requestedStart: formatDisplay(s.requestedStart),
      requestedEnd: formatDisplay(s.requestedEnd),
      chains: s.chains,
      digests: c(s.digests),
      logs: c(s.logs),
      findings: s.findings,
      exitCode: s.exitCode,
    });
  }
}

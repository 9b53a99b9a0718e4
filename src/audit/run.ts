import { EXIT_FATAL, EXIT_INVALID } from '../errors.js';
import { formatDisplay, MICROS_PER_HOUR } from '../format/time.js';
import type { PublicKeySource } from '../keys/types.js';
import type { ReportEvent, ReportSink, RunSummary } from '../verifier/types.js';
import { fatalEvent, runValidation } from '../verifier/validate.js';
import { chainId as chainIdOf } from '../format/archive-keys.js';
import { ChainFindings, type KeyValidity } from './chain-findings.js';
import { DigestRecorder } from './digest-records.js';
import { beginsAfter, discover, objectTallies, reachesRange, walksIn, type DiscoveredChain } from './discover.js';
import { chainsBegunBefore } from './begun-before.js';
import { discoveryWindow } from './discovery-window.js';
import type { AuditOptions } from './options.js';
import { byFolder, folderOf, selected } from './scope.js';
import { folderFindings, type HeldChain } from './held-chains.js';
import { leftOutByFolder, walkForReferences } from './left-out.js';
import { unwalkedDigests } from './digest-coverage.js';
import { outsideFindings } from './outside-findings.js';
import type { ChainMark } from './state.js';
import { checkMark, markFits } from './state-check.js';
import { vanishedChains } from './vanished.js';
import {
  chainName,
  chainRef,
  finding,
  type AuditSink,
  type AuditSummary,
  type ChainSummary,
  type DigestRecord,
  type GapRecord,
  type Finding,
  type Severity,
} from './types.js';

/**
 * `trailproof audit`: every chain of a bucket (and prefix), each validated by the same core as
 * validate-logs (its events are validate-logs' events for that chain), plus the findings the AWS
 * CLI misses (chain-findings.ts, log-findings.ts). Chains run a few at a time over one store (one
 * log worker pool, one connection pool); their reports come out in chain order.
 */
export type { AuditFilters, AuditOptions } from './options.js';

/** The oldest a key's validity is looked up before the range (a key signs for at most that long). */
const KEY_LOOKBACK = 400 * 24 * MICROS_PER_HOUR;

export async function runAudit(o: AuditOptions, sink: AuditSink): Promise<AuditSummary> {
  sink.header(o.bucket, o.prefix, o.start, o.end);
  // The chains in scope: walked when their digests reach the window; ended before it, they are
  // reported without a walk (vanished.ts); begun after it, they have nothing in it, unless their
  // oldest digest read links back (begun-before.ts).
  const walks = (c: DiscoveredChain): boolean => selected(c, o.filters) && walksIn(c, o.start, o.end);
  // The log folders of those chains are read once, by their folder check (folderFindings below).
  const found = await discover(o.store, o.bucket, o.prefix, o.start, o.end, walks);
  const inScope = [...found.chains.entries()].filter(([, c]) => selected(c, o.filters)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const window = discoveryWindow(o.start, o.end);
  const begunBefore = await chainsBegunBefore(
    o,
    inScope.filter(([, c]) => reachesRange(c, o.start) && beginsAfter(c, o.end)),
    window,
  );
  const chains = byFolder(inScope.filter(([id, c]) => walks(c) || begunBefore.has(id)));
  const tallies = objectTallies(found);
  /** Log folders discovery left to the folder check (it read the others, their objects included). */
  const handedOver = new Set(chains.filter(([, c]) => walks(c)).map(([, c]) => folderOf(c)));
  const ended = inScope.filter(([, c]) => !reachesRange(c, o.start)).map(([, c]) => c);
  const validity = await keyValidities(o.keys, o.start, o.end);
  await o.remote?.plan(
    chains.map(([id, c]) => ({ id, scope: c.scope, start: chainStart(o, id), newestStamp: c.newestStamp })),
    o.end,
  );
  const totals = { digests: { valid: 0, invalid: 0 }, logs: { valid: 0, invalid: 0 }, findings: { error: 0, warning: 0, info: 0 } as Record<Severity, number> };
  let fatal: string | null = null;
  /** A finding to the reports, counted in its chain's summary and in the totals. */
  const emit = (under: HeldChain | null, f: Finding): void => {
    sink.finding(f);
    if (under) under.bySeverity[f.severity]++;
    totals.findings[f.severity]++;
  };

  // Log folders: which chains share one (several trails on one prefix), and which is the last.
  const lastOfFolder = new Map<string, string>();
  for (const [id, c] of chains) lastOfFolder.set(folderOf(c), id);
  const leftOut = leftOutByFolder(found, o, chains);

  const runs = chains.map(([id, c]) => ({ id, c }));
  // A chain's run is dropped once reported: what it holds (its referenced logs, verbose events) must
  // not stay for the rest of the run, or memory would grow with the organization's files.
  const results: Array<Promise<ChainRun> | undefined> = [];
  const at = Math.max(1, o.chainsAtOnce ?? 4);
  let next = 0;
  const started = new Map<number, Promise<void>>();
  const launch = (): void => {
    while (next < runs.length && started.size < at) {
      const i = next++;
      const p = auditChain(o, runs[i]!.c, validity, chainStart(o, runs[i]!.id));
      results[i] = p;
      started.set(
        i,
        p.then(
          () => undefined,
          () => undefined,
        ),
      );
    }
  };
  launch();
  // The walked chains of the log folder being reported, waiting for its findings (folder order: adjacent chains).
  const held: HeldChain[] = [];
  for (let i = 0; i < runs.length; i++) {
    const { events, summary, findings, records } = await results[i]!;
    results[i] = undefined;
    started.delete(i);
    launch();
    const { id, c } = runs[i]!;
    const chain = summary.chain;
    sink.chainStart(chain);
    for (const e of events) sink.event(chain, e);
    for (const r of records) sink.record?.(chain, r);
    const mark = o.state?.get(id);
    const all = [
      ...findings.findings,
      ...(mark && summary.fatal === null ? await checkMark(o.store, mark, findings, startMark(o, id) === mark, id, o.bucket) : []),
    ];
    if (summary.fatal === null) all.push(...(await unwalkedDigests(o.store, o.bucket, c, findings, chain, chainStart(o, id), o.end)));
    if (o.witness && summary.fatal === null) all.push(...(await o.witness(c.scope)));
    // Nothing new since the mark: the chain is as recent as its mark (chain-stops and pending read it).
    if (startMark(o, id) && findings.newestEnd === null) findings.newestEnd = mark!.end;
    const here: HeldChain = { id, summary, walked: findings, errors: 0, bySeverity: { error: 0, warning: 0, info: 0 } };
    for (const f of all) emit(here, f);
    here.errors = here.bySeverity.error;
    findings.findings.length = 0; // reported: not held while the folder's other chains are walked
    held.push(here);
    if (summary.fatal !== null) fatal = summary.fatal;
    for (const k of ['valid', 'invalid'] as const) {
      totals.digests[k] += summary.digests[k] + summary.backfillDigests[k];
      totals.logs[k] += summary.logs[k];
    }
    // The folder's last chain (or a stopped run): its findings, filed under their chains, then each chain's end.
    if (lastOfFolder.get(folderOf(c)) === id || fatal !== null) {
      // A left-out chain's digests that cannot be read leave the folder unjudged: the run stops there,
      // and the folder's last chain says so in every report (as a chain whose own walk stopped).
      let stoppedHere: string | null = null;
      if (fatal === null) {
        const others: ChainFindings[] = [];
        try {
          for (const x of leftOut.get(folderOf(c)) ?? []) others.push(await walkForReferences(o, x, validity));
        } catch (err) {
          const e = fatalEvent(err);
          fatal = stoppedHere = e.type === 'fatal' ? e.message : String(err);
        }
        if (fatal === null)
          await folderFindings(o, c, held, Math.max(...held.map((g) => chainStart(o, g.id))), emit, others, {
            window,
            ...(handedOver.has(folderOf(c)) ? { tallies } : {}),
          });
      }
      const last = held[held.length - 1];
      for (const g of held) sink.chainEnd({ ...g.summary, findings: g.bySeverity, ...(g === last && stoppedHere !== null ? { fatal: stoppedHere } : {}) });
      held.length = 0;
    }
    o.onProgress?.(i + 1, runs.length, totals.logs.valid + totals.logs.invalid);
    if (fatal) break;
  }
  let vanished = 0;
  if (fatal === null) {
    // Chains in scope not walked: ended before the window, or recorded (state, witness) and gone.
    const lost = await vanishedChains(o, new Set(runs.map((r) => r.id)), ended, found, new Set(lastOfFolder.keys()));
    for (const v of lost.chains) {
      vanished++;
      sink.chainStart(v.chain);
      for (const f of v.findings) emit(null, f);
      const none = { valid: 0, invalid: 0 };
      sink.chainEnd({ chain: v.chain, digests: none, backfillDigests: none, logs: none, findings: v.bySeverity, newestEnd: null, fatal: null });
    }
    for (const f of [
      ...lost.other,
      ...outsideFindings(
        found,
        o,
        chains.map(([, c]) => c),
      ),
    ])
      emit(null, f);
  }

  const failAt = o.failOn ?? 'error';
  const failing = failAt === 'never' ? 0 : totals.findings.error + (failAt === 'warning' ? totals.findings.warning : 0);
  const summary: AuditSummary = {
    bucket: o.bucket,
    prefix: o.prefix ?? null,
    requestedStart: o.start,
    requestedEnd: o.end,
    chains: runs.length + vanished,
    ...totals,
    fatal,
    exitCode: fatal !== null ? EXIT_FATAL : failing > 0 ? EXIT_INVALID : 0,
  };
  sink.summary(summary);
  return summary;
}

/**
 * The state's mark a chain's walk starts from: one ending inside the window (after its start, by
 * its end). A mark outside it is not a start: before the window, the run starts at --start-time;
 * after its end (an earlier period audited again with the job's state), the whole window is walked,
 * never nothing. Either way the recorded digest must still be there as verified (checkMark).
 */
function startMark(o: AuditOptions, id: string): ChainMark | undefined {
  const mark = o.state?.get(id);
  // A mark that is not this chain's own digest is no start (checkMark says so): the window is walked.
  return mark && markFits(id, mark, o.bucket) && mark.end > o.start && mark.end <= o.end ? mark : undefined;
}

/** Where a chain's walk starts: its mark's end (startMark), else --start-time. */
function chainStart(o: AuditOptions, id: string): number {
  return startMark(o, id)?.end ?? o.start;
}

async function keyValidities(keys: PublicKeySource, start: number, end: number): Promise<(fp: string) => KeyValidity | undefined> {
  const records = await keys.list(start - KEY_LOOKBACK, end + 2 * MICROS_PER_HOUR).catch(() => []);
  const map = new Map(records.flatMap((r) => (r.validity ? [[r.fingerprint, r.validity] as const] : [])));
  return (fp) => map.get(fp);
}

/** One chain through the validate-logs core; its events are kept (verbose reports) to come out in chain order. */
async function auditChain(o: AuditOptions, c: DiscoveredChain, validity: (fp: string) => KeyValidity | undefined, start: number): Promise<ChainRun> {
  const chain = chainRef(c.scope);
  const events: ReportEvent[] = [];
  const findings = new ChainFindings(chain, start, validity, start, o.bucket, o.end);
  const logFindings: Finding[] = [];
  const recorder = o.records ? new DigestRecorder() : undefined;
  const sink: ReportSink = {
    header: () => undefined,
    event: (e: ReportEvent) => {
      if (e.type === 'log' && !e.valid)
        logFindings.push(finding('log-invalid', chain, `log s3://${e.bucket}/${e.key}: ${e.reason}`, { s3: `s3://${e.bucket}/${e.key}` }));
      // validate-logs (as the reference) hashes a member cut before its trailer as far as it goes.
      if (e.type === 'log' && e.valid && e.truncated)
        logFindings.push(
          finding(
            'log-truncated',
            chain,
            `log s3://${e.bucket}/${e.key} ends before its gzip trailer: its content matches the digest, but the object is not as delivered, and gzip readers reject it`,
            {
              s3: `s3://${e.bucket}/${e.key}`,
            },
          ),
        );
      if (o.verbose) events.push(e);
      recorder?.reportEvent(e);
    },
    summary: () => undefined,
  };
  const run: RunSummary = await runValidation(
    {
      store: o.store,
      keys: o.keys,
      scope: c.scope,
      bucket: o.bucket,
      start,
      end: o.end,
      concurrency: o.concurrency,
      readAhead: o.readAhead,
      onChainEvent: (e) => {
        findings.event(e);
        recorder?.chainEvent(e);
      },
      ...(o.remote ? await o.remote.chain(chainIdOf(c.scope)) : {}),
    },
    sink,
  );
  findings.finish();
  findings.findings.push(...logFindings);
  if (
    run.digests.valid + run.digests.invalid + run.backfillDigests.valid + run.backfillDigests.invalid === 0 &&
    run.fatal === null &&
    !startMark(o, chainIdOf(c.scope))
  ) {
    findings.findings.push(finding('no-digests', chain, `no digest of ${chainName(chain)} from ${formatDisplay(o.start)} to ${formatDisplay(o.end)}`));
  }
  const summary: ChainSummary = {
    chain,
    digests: run.digests,
    backfillDigests: run.backfillDigests,
    logs: run.logs,
    findings: { error: 0, warning: 0, info: 0 },
    newestEnd: findings.newestEnd,
    fatal: run.fatal,
  };
  return { events, summary, findings, records: recorder?.records ?? [] };
}

interface ChainRun {
  readonly events: ReportEvent[];
  readonly summary: ChainSummary;
  readonly findings: ChainFindings;
  readonly records: ReadonlyArray<DigestRecord | GapRecord>;
}

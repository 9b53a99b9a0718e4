import type { ChainFindings } from './chain-findings.js';
import type { DiscoveredChain } from './discover.js';
import { logFolderFindings } from './log-findings.js';
import type { AuditOptions } from './options.js';
import type { ChainMark } from './state.js';
import { nextMark } from './state-check.js';
import type { ChainSummary, Finding, Severity } from './types.js';

/**
 * The chains of one log folder between their walk and their end (run.ts). Several trails can
 * deliver into one folder, and the folder's findings (log-findings.ts) are known only once its last
 * chain has been walked; some of them are an earlier chain's (its unchecked-logs, its chain-stops).
 * So each chain of the folder is reported as it is walked (chainStart, its events and records, its
 * own findings), and only its end waits: this small summary, never its events. Then the folder's
 * findings come, each filed under its chain and counted in that chain's summary, and the chains'
 * ends follow in chain order. A folder of one chain reads as before: its findings, then its end.
 */
export interface HeldChain {
  readonly id: string;
  readonly summary: ChainSummary;
  readonly walked: ChainFindings;
  /** Errors among its own findings (the folder's come on top, for its mark). */
  errors: number;
  /** Every finding filed under it so far: its chainEnd's counts. */
  readonly bySeverity: Record<Severity, number>;
}

/**
 * A log folder's findings, checked from `from` (the latest start of its chains), each given to
 * `emit` with the chain it names, chain by chain in chain order. No chain of the folder advances its
 * state mark past an error of the folder: those findings concern every chain in it.
 */
export async function folderFindings(
  o: Pick<AuditOptions, 'store' | 'bucket' | 'end' | 'state'>,
  sample: DiscoveredChain,
  held: readonly HeldChain[],
  from: number,
  emit: (under: HeldChain, f: Finding) => void,
  /** Chains of the folder the filters leave out, walked for their references (left-out.ts). */
  leftOut: readonly ChainFindings[] = [],
  /** What of the folder is read, and where its other objects are tallied (logFolderFindings). */
  read?: Parameters<typeof logFolderFindings>[7],
): Promise<void> {
  const found = await logFolderFindings(
    o.store,
    o.bucket,
    sample,
    held.map((g) => g.walked),
    from,
    o.end,
    leftOut,
    read,
  );
  const errors = found.filter((f) => f.severity === 'error').length;
  if (o.state) for (const g of held) setMark(o.state, g.id, nextMark(g.walked, g.errors + errors, o.state.get(g.id)));
  const owner = (f: Finding): HeldChain => held.find((g) => g.walked.chainRef === f.chain) ?? held[held.length - 1]!;
  for (const g of held) for (const f of found) if (owner(f) === g) emit(g, f);
}

function setMark(state: Map<string, ChainMark>, id: string, mark: ChainMark | undefined): void {
  if (mark) state.set(id, mark);
}

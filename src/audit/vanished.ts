import { chainId } from '../format/archive-keys.js';
import type { DigestScope } from '../format/names.js';
import type { AuditOptions } from './options.js';
import type { DiscoveredChain, Discovery } from './discover.js';
import { folderOf, selected } from './scope.js';
import { unauditedMarkFindings } from './state-check.js';
import { chainRef, finding, scopeOfRef, type ChainRef, type Finding, type Severity } from './types.js';
import { formatDisplay, parseDate } from '../format/time.js';

/**
 * Chains in the run's scope (its prefix, its filters) that are not walked: those that ended before
 * the window (discovered, their newest digest earlier: `chain-stops`), and those the archive lost,
 * recorded by the state file (`--state`) or a witness (`--witness`) but no longer discovered because
 * their digests are gone. A lost chain is checked against its record: gone or changed is an error
 * (`history-rewritten`, `chain-stops`). Each is reported as a chain block of its own, after the
 * walked ones, so that every report (text, JSON, JUnit, HTML) shows it.
 */
export interface VanishedChain {
  readonly chain: ChainRef;
  readonly findings: readonly Finding[];
  readonly bySeverity: Record<Severity, number>;
}

export async function vanishedChains(
  o: AuditOptions,
  audited: ReadonlySet<string>,
  ended: readonly DiscoveredChain[],
  found: Pick<Discovery, 'logsInRange'>,
  walkedFolders: ReadonlySet<string>,
): Promise<{ chains: VanishedChain[]; other: Finding[] }> {
  const covers = (scope: DigestScope): boolean => (o.prefix === undefined || scope.prefix === o.prefix) && selected({ scope }, o.filters);
  const byChain = new Map<string, { chain: ChainRef; findings: Finding[] }>();
  const other: Finding[] = [];
  const add = (id: string, f: Finding): void => {
    if (f.chain === null) {
      other.push(f);
      return;
    }
    const entry = byChain.get(id) ?? { chain: f.chain, findings: [] };
    entry.findings.push(f);
    byChain.set(id, entry);
  };
  for (const c of ended) {
    // A folder shared with a walked chain (another trail): its logs are that chain's to account for.
    const logs = walkedFolders.has(folderOf(c)) ? null : (found.logsInRange.get(folderOf(c)) ?? 0);
    add(chainId(c.scope), endedFinding(c, logs, o.start, o.end));
  }
  if (o.state) {
    for (const f of await unauditedMarkFindings(o.store, o.state, audited, covers, o.bucket)) add(f.chain ? chainId(scopeOfRef(f.chain)) : '', f);
  }
  if (o.witness && o.witnessedChains) {
    for await (const scope of o.witnessedChains()) {
      const id = chainId(scope);
      if (audited.has(id) || !covers(scope)) continue;
      for (const f of await o.witness(scope)) add(id, f);
    }
  }
  const chains = [...byChain.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { chain, findings }]): VanishedChain => {
      const bySeverity: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
      for (const f of findings) bySeverity[f.severity]++;
      return { chain, findings, bySeverity };
    });
  return { chains, other };
}

/**
 * A chain in scope whose newest digest is before the window: it stops before it (`chain-stops`, as
 * for a chain that stops inside it), saying whether its log folder got logs in the window (its
 * newest digests were probably deleted; those logs are also `no-digests`) or not (logging stopped).
 */
function endedFinding(c: DiscoveredChain, logs: number | null, start: number, end: number): Finding {
  let ended: number | undefined;
  try {
    ended = parseDate(c.newestStamp).clock;
  } catch {
    ended = undefined;
  }
  const at = ended === undefined ? c.newestStamp : formatDisplay(ended);
  const why =
    logs === null
      ? 'its log folder is shared with a chain walked in the window (another trail), whose logs cannot be told from its own'
      : logs > 0
        ? `${logs} log file(s) of its folder were delivered in the window: its newest digests were probably deleted`
        : 'no log file of its folder was delivered in the window: logging was probably stopped';
  return finding(
    'chain-stops',
    chainRef(c.scope),
    `the chain's newest digest is stamped ${at}, before the audited window (${formatDisplay(start)} to ${formatDisplay(end)}); ${why}`,
    {
      ...(ended === undefined ? {} : { from: ended }),
      to: end,
    },
  );
}

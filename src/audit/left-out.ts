import { DigestWalker } from '../verifier/walk.js';
import { ChainFindings, type KeyValidity } from './chain-findings.js';
import { walksIn, type Discovery, type DiscoveredChain } from './discover.js';
import type { AuditOptions } from './options.js';
import { folderOf, selected } from './scope.js';
import { chainRef } from './types.js';

/**
 * Chains the filters leave out (`--trail-arn`) that deliver into the log folder of a chain the audit
 * takes: several trails can log into one folder, and a log's name does not say whose it is. Without
 * their digests, every log of theirs would read as referenced by no valid digest (a false
 * unreferenced-log), and without them a planted log could not be told from theirs. So their digests
 * are walked too, for this only: read and checked as any digest (a log counts as referenced only by
 * a valid one), their log files not read and nothing of theirs reported but what the folder check
 * draws from them (log-findings.ts).
 */
export function leftOutByFolder(
  found: Discovery,
  o: Pick<AuditOptions, 'filters' | 'start' | 'end'>,
  taken: ReadonlyArray<readonly [string, DiscoveredChain]>,
): Map<string, DiscoveredChain[]> {
  const folders = new Set(taken.map(([, c]) => folderOf(c)));
  const out = new Map<string, DiscoveredChain[]>();
  if (!o.filters) return out;
  const ids = [...found.chains.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const id of ids) {
    const c = found.chains.get(id)!;
    if (selected(c, o.filters) || !walksIn(c, o.start, o.end)) continue;
    const folder = folderOf(c);
    if (!folders.has(folder)) continue;
    const list = out.get(folder) ?? [];
    list.push(c);
    out.set(folder, list);
  }
  return out;
}

/** A left-out chain's walk over the window, digests only: the log keys its valid digests reference, its missing or invalid windows. */
export async function walkForReferences(
  o: Pick<AuditOptions, 'store' | 'bucket' | 'keys' | 'start' | 'end'>,
  c: DiscoveredChain,
  validity: (fingerprint: string) => KeyValidity | undefined,
): Promise<ChainFindings> {
  const findings = new ChainFindings(chainRef(c.scope), o.start, validity, o.start, o.bucket, o.end);
  const walker = new DigestWalker({ store: o.store, scope: c.scope, bucket: o.bucket, start: o.start, end: o.end, keys: o.keys });
  for (const backfill of [false, true]) for await (const e of walker.walk(backfill)) findings.event(e);
  findings.findings.length = 0; // its own digests' findings are not this audit's
  return findings;
}

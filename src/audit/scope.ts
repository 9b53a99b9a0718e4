import type { DigestScope } from '../format/names.js';
import { folderOf, type DiscoveredChain } from './discover.js';
import type { AuditFilters } from './options.js';

/** Which chains an audit takes, and which log folder each delivers into. */
/**
 * Is a chain one of this trail's? An organization trail's ARN names the management account, and its
 * chains are every member account's: there only the name and home region must match.
 */
export function trailMatches(t: { account: string; region: string; name: string }, s: DigestScope): boolean {
  return (s.organizationId !== undefined || t.account === s.account) && t.region === s.homeRegion && t.name === s.trailName;
}

export function selected(c: Pick<DiscoveredChain, 'scope'>, f: AuditFilters | undefined): boolean {
  const s = c.scope;
  if (f?.accounts && !f.accounts.includes(s.account)) return false;
  if (f?.regions && !f.regions.includes(s.sourceRegion)) return false;
  if (f?.trails && !f.trails.some((t) => trailMatches(t, s))) return false;
  return true;
}

export { folderOf };

/**
 * Chains in id order, each log folder's together (at its first chain's place): a folder's chains are
 * reported and checked as one group (held-chains.ts). Ids of sane names keep a folder's chains
 * adjacent anyway; a prefix holding `|` could sort another folder's chain between them.
 */
export function byFolder<T extends readonly [string, DiscoveredChain]>(sorted: readonly T[]): T[] {
  const groups = new Map<string, T[]>();
  for (const e of sorted) {
    const folder = folderOf(e[1]);
    const group = groups.get(folder);
    if (group) group.push(e);
    else groups.set(folder, [e]);
  }
  return [...groups.values()].flat();
}

import type { DigestScope } from '../format/names.js';
import { logFolderId, type DiscoveredChain } from './discover.js';
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

export function folderOf(c: DiscoveredChain): string {
  return logFolderId({ prefix: c.scope.prefix, organizationId: c.scope.organizationId, account: c.scope.account, region: c.scope.sourceRegion });
}

import { formatDisplay } from '../format/time.js';
import type { Discovery, DiscoveredChain, Tally } from './discover.js';
import { UNEXPECTED_NAMED } from './discover.js';
import type { AuditOptions } from './options.js';
import { folderOf, selected, trailMatches } from './scope.js';
import { finding, type Finding } from './types.js';

/** Findings outside the chains: unexpected objects, links and stray sidecars of a local copy, log folders without any chain, requested scopes with none. */
export function outsideFindings(found: Discovery, o: AuditOptions, audited: DiscoveredChain[]): Finding[] {
  const out: Finding[] = [];
  out.push(
    ...named('unexpected-object', o.bucket, found.unexpected, 'unexpected objects', (key) => [key, 'is neither a CloudTrail log file nor a digest']),
    ...named('symlinked-object', o.bucket, found.links, 'symbolic links', (key) => [
      key,
      'is a symbolic link in the local copy: S3 has none, so it was made after the download, and what it points to is not audited',
    ]),
    ...named('stray-sidecar', o.bucket, found.strays, 'stray metadata sidecars', ({ key, why }) => [
      key,
      `is a metadata sidecar in the local copy: ${
        why === 'absent'
          ? 'its object is not in this copy (deleted, or the sidecar was planted)'
          : "its object is not a digest, and only a digest's metadata is ever read (planted)"
      }`,
    ]),
  );
  const withChain = new Set(audited.map(folderOf));
  // Folders of chains the filters leave out are not this run's; a chain in scope that ended before
  // the window (or begins after it) does not account for logs delivered in it.
  const allChains = new Set([...found.chains.values()].filter((c) => !selected(c, o.filters)).map(folderOf));
  for (const [id, folder] of found.logFolders) {
    const logs = found.logsInRange.get(id) ?? 0;
    if (logs === 0 || withChain.has(id) || allChains.has(id)) continue;
    if (o.filters?.accounts && !o.filters.accounts.includes(folder.account)) continue;
    if (o.filters?.regions && !o.filters.regions.includes(folder.region)) continue;
    out.push(
      finding('no-digests', null, `${logs} log files of ${folder.account} ${folder.region} in range, and no digest of any trail for them`, { count: logs }),
    );
  }
  // Each requested account in each requested region; requested regions alone: each region.
  for (const account of o.filters?.accounts ?? (o.filters?.regions ? [undefined] : [])) {
    for (const region of o.filters?.regions ?? [undefined]) {
      if (audited.some((c) => (account === undefined || c.scope.account === account) && (region === undefined || c.scope.sourceRegion === region))) continue;
      const what = account === undefined ? `in region ${region}` : `for account ${account}${region ? ` in ${region}` : ''}`;
      out.push(finding('no-digests', null, `no digest ${what} from ${formatDisplay(o.start)} to ${formatDisplay(o.end)}`));
    }
  }
  for (const t of o.filters?.trails ?? []) {
    if (audited.some((c) => trailMatches(t, c.scope))) continue;
    out.push(finding('no-digests', null, `no digest of trail arn:aws:cloudtrail:${t.region}:${t.account}:trail/${t.name} in range`));
  }
  // Nothing walked at all (a mistyped bucket, prefix or window): a run that checked nothing fails.
  if (audited.length === 0 && !out.some((f) => f.code === 'no-digests')) {
    const where = `s3://${o.bucket}${o.prefix ? `/${o.prefix}` : ''}`;
    out.push(
      finding('no-digests', null, `no digest of any chain under ${where} from ${formatDisplay(o.start)} to ${formatDisplay(o.end)}: nothing was checked`),
    );
  }
  return out;
}

/** One finding for each of the first objects of a tally (`s3://<bucket>/<key> <what it is>`), then one counting the rest. */
function named<T>(
  code: 'unexpected-object' | 'symlinked-object' | 'stray-sidecar',
  bucket: string,
  t: Tally<T>,
  plural: string,
  describe: (item: T) => [key: string, says: string],
): Finding[] {
  const out = t.first.map((item) => {
    const [key, says] = describe(item);
    return finding(code, null, `s3://${bucket}/${key} ${says}`, { s3: `s3://${bucket}/${key}` });
  });
  if (t.count > UNEXPECTED_NAMED)
    out.push(finding(code, null, `${t.count - UNEXPECTED_NAMED} more ${plural} under AWSLogs/`, { count: t.count - UNEXPECTED_NAMED }));
  return out;
}

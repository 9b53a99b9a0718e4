import { stampTime } from '../chain/machine.js';
import { chainId, classifyKey } from '../format/archive-keys.js';
import { digestKeyStamp, digestListPrefix, digestMarker } from '../format/names.js';
import { formatStamp, formatYmdPath } from '../format/time.js';
import { byteCompare } from '../store/names.js';
import type { ObjectStore } from '../store/types.js';
import type { ChainFindings } from './chain-findings.js';
import type { DiscoveredChain } from './discover.js';
import { finding, type ChainRef, type Finding } from './types.js';

/**
 * Digests of a chain that its walk never judged. validate-logs (as the AWS CLI) walks back along the
 * previous-digest links, from the newest key of a listing that stops at the first key whose stamp
 * is past the window. So a digest no link leads to (a planted one) is never read, and a key that
 * merely reads as late (`..._20240501T045959Z_99999999T999999Z.json.gz`, which sorts before the
 * real 05:00 digest) hides every digest after it: the newest hours then look undigested, their
 * changed logs only `pending`. Here every key of the chain's digest folder that names a digest of
 * this chain ending in the window must be one the walk judged (valid, invalid or missing).
 */
export async function unwalkedDigests(
  store: ObjectStore,
  bucket: string,
  c: DiscoveredChain,
  walked: ChainFindings,
  chain: ChainRef,
  start: number,
  end: number,
): Promise<Finding[]> {
  const out: Finding[] = [];
  const id = chainId(c.scope);
  const first = formatStamp(start);
  const last = formatStamp(end);
  const prefix = `${digestListPrefix(c.scope)}/`;
  // Keys past the end's day folder are past the window (a digest is filed under its end's day).
  const lastFolder = `${prefix}${formatYmdPath(end)}/`;
  for await (const key of store.list(bucket, { prefix, startAfter: digestMarker(c.scope, start) })) {
    if (byteCompare(key, lastFolder) > 0 && !key.startsWith(lastFolder)) break;
    const k = classifyKey(key);
    if (k.kind !== 'digest' || chainId(k.scope) !== id) continue;
    const stamp = digestKeyStamp(key);
    if (stamp < first || stamp > last || walked.judged(bucket, key)) continue;
    const s3 = `s3://${bucket}/${key}`;
    out.push(
      finding(
        'digest-not-walked',
        chain,
        `digest ${s3} is one of the chain's in the range, but the walk never read it: no digest links to it, or a key before it ended the listing`,
        { s3, to: stampTime(key) },
      ),
    );
  }
  return out;
}

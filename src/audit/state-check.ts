import { sha256Hex } from '../crypto/hash.js';
import { Digest } from '../format/digest.js';
import { formatDisplay } from '../format/time.js';
import { loadDigestBytes } from '../store/digest-object.js';
import type { ObjectStore } from '../store/types.js';
import type { ChainFindings } from './chain-findings.js';
import type { ChainMark } from './state.js';
import { chainId, classifyKey } from '../format/archive-keys.js';
import type { DigestScope } from '../format/names.js';
import { chainRef, finding, type Finding } from './types.js';

/**
 * A chain against the state file's mark (state.ts): the recorded digest must still be there with
 * the same bytes, and the oldest digest walked after it must link back to it (key, hash of its
 * bytes, signature). Anything else is `history-rewritten`: the archive no longer holds the history
 * an earlier run verified.
 */
export async function checkMark(
  store: ObjectStore,
  mark: ChainMark,
  walked: ChainFindings,
  walkedFromIt: boolean,
  /** The chain's id and the audited bucket: the mark must name a digest of that chain there (markFits). */
  id: string,
  bucket: string,
): Promise<Finding[]> {
  const out: Finding[] = [];
  const s3 = `s3://${mark.bucket}/${mark.key}`;
  const rewritten = (message: string): void => void out.push(finding('history-rewritten', walked.chainRef, message, { s3 }));
  if (!markFits(id, mark, bucket)) {
    rewritten(`the state's mark for this chain names ${s3}, which is not a standard digest of this chain in s3://${bucket}`);
    return out;
  }
  const drift = await markDrift(store, mark);
  if (drift) rewritten(`the digest a previous run verified, ${s3}, ${drift}`);
  // The link back is asked only of a walk that started at the mark (run.ts startMark).
  const link = walkedFromIt ? walked.oldestLink : null;
  if (link) {
    if (link.key !== mark.key || link.hash !== mark.sha256 || link.signature !== mark.signature) {
      rewritten(`the digests after ${s3} do not link back to it (previous digest ${String(link.key)}, hash ${String(link.hash)})`);
    }
  }
  return out;
}

/**
 * What became of a mark's digest since a run verified it, undefined when it is there as verified:
 * the same bytes, and the same signature in its metadata (a digest whose signature was replaced no
 * longer verifies, even where its bytes and the next digest's link are intact).
 */
async function markDrift(store: ObjectStore, mark: ChainMark): Promise<string | undefined> {
  const loaded = await loadDigestBytes(store, mark.bucket, mark.key, undefined);
  if (!loaded) return 'is gone';
  if (!loaded.raw || sha256Hex(loaded.raw) !== mark.sha256) return 'has changed';
  if (loaded.metadata.signature !== mark.signature) return 'has another signature in its metadata';
  // The walk starts at the mark's end: a state whose end is not its digest's would skip hours (the
  // state keeps whole seconds).
  const end = digestEnd(loaded.raw);
  if (end === undefined || Math.floor(end / 1e6) !== Math.floor(mark.end / 1e6))
    return `ends ${end === undefined ? 'at no readable time' : formatDisplay(end)}, not at the state's ${formatDisplay(mark.end)}`;
  return undefined;
}

function digestEnd(raw: Buffer): number | undefined {
  const parsed = Digest.parse(raw);
  if (parsed.kind !== 'digest') return undefined;
  try {
    return parsed.digest.endTime().clock;
  } catch {
    return undefined;
  }
}

/**
 * Does a mark name a standard digest of its own chain, in the audited bucket? A state is input: a
 * mark naming another chain's digest (intact, so it would pass) proves nothing of this chain, and
 * its end would say where this chain's walk starts.
 */
export function markFits(id: string, mark: ChainMark, bucket: string): boolean {
  const k = classifyKey(mark.key);
  return mark.bucket === bucket && k.kind === 'digest' && !k.backfill && chainId(k.scope) === id;
}

/**
 * The chain's next mark: its newest digest when the chain had no error, else the old mark (the error
 * stays visible next time). Never an older one: a run over an earlier period keeps the later mark.
 */
export function nextMark(walked: ChainFindings, errors: number, old: ChainMark | undefined): ChainMark | undefined {
  if (errors > 0 || !walked.newest) return old;
  if (old && walked.newest.end < old.end) return old;
  return walked.newest;
}

/**
 * The state's chains that this run did not audit although it covers them (same prefix, selected by
 * the filters): a chain whose every digest is gone is no longer discovered, so its mark is checked
 * here. Its recorded digest gone or changed is `history-rewritten` (still there as verified: the
 * chain ends before this run's window, no finding); a mark whose key is not a digest key of its
 * chain is said too. The marks stay as they were, so the finding stays until the history is
 * restored or the mark removed.
 */
export async function unauditedMarkFindings(
  store: ObjectStore,
  state: ReadonlyMap<string, ChainMark>,
  audited: ReadonlySet<string>,
  covers: (scope: DigestScope) => boolean,
  bucket: string,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const [id, mark] of [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (audited.has(id)) continue;
    const k = classifyKey(mark.key);
    const s3 = `s3://${mark.bucket}/${mark.key}`;
    if (k.kind !== 'digest' || !markFits(id, mark, bucket)) {
      out.push(
        finding('history-rewritten', null, `the state's chain ${id} names ${s3}, which is not a standard digest of that chain in s3://${bucket}`, { s3 }),
      );
      continue;
    }
    if (!covers(k.scope)) continue;
    // Still there as verified: the chain simply ends before this run's window.
    const what = await markDrift(store, mark);
    if (what)
      out.push(
        finding('history-rewritten', chainRef(k.scope), `the digest a previous run verified, ${s3}, ${what}, and the run found no digest of its chain`, { s3 }),
      );
  }
  return out;
}

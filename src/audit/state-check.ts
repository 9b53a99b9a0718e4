import { sha256Hex } from '../crypto/hash.js';
import { loadDigestBytes } from '../store/digest-object.js';
import type { ObjectStore } from '../store/types.js';
import type { ChainFindings } from './chain-findings.js';
import type { ChainMark } from './state.js';
import { finding, type Finding } from './types.js';

/**
 * A chain against the state file's mark (state.ts): the recorded digest must still be there with
 * the same bytes, and the oldest digest walked after it must link back to it (key, hash of its
 * bytes, signature). Anything else is `history-rewritten`: the archive no longer holds the history
 * an earlier run verified.
 */
export async function checkMark(store: ObjectStore, mark: ChainMark, walked: ChainFindings): Promise<Finding[]> {
  const out: Finding[] = [];
  const s3 = `s3://${mark.bucket}/${mark.key}`;
  const rewritten = (message: string): void => void out.push(finding('history-rewritten', walked.chainRef, message, { s3 }));
  const loaded = await loadDigestBytes(store, mark.bucket, mark.key, undefined);
  if (!loaded) rewritten(`the digest a previous run verified, ${s3}, is gone`);
  else if (!loaded.raw || sha256Hex(loaded.raw) !== mark.sha256) rewritten(`the digest a previous run verified, ${s3}, has changed`);
  const link = walked.oldestLink;
  if (link) {
    if (link.key !== mark.key || link.hash !== mark.sha256 || link.signature !== mark.signature) {
      rewritten(`the digests after ${s3} do not link back to it (previous digest ${String(link.key)}, hash ${String(link.hash)})`);
    }
  }
  return out;
}

/** The chain's next mark: its newest digest when the chain had no error, else the old mark (the error stays visible next time). */
export function nextMark(walked: ChainFindings, errors: number, old: ChainMark | undefined): ChainMark | undefined {
  if (errors > 0 || !walked.newest) return old;
  return walked.newest;
}

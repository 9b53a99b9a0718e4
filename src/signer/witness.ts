import { serializeWitnessRecord, WITNESS_SUFFIX } from '../format/witness.js';
import { StoreError } from '../store/errors.js';
import { witnessObject, type WitnessSource } from '../store/witness-source.js';
import type { PreviousDigest } from './digest-model.js';

/**
 * `sign --witness`: after a run, the chain's newest digest (key, SHA-256, signature, end time) is
 * recorded at the witness, write-once (a record is never replaced; the same head recorded again by
 * a later run that signed nothing is already there). The signer only writes there: a write-only
 * role (s3:PutObject) is enough, and with Object Lock not even the signer can take a record back.
 */
export async function recordHead(w: WitnessSource, head: PreviousDigest & { readonly end: number }, now: number): Promise<'recorded' | 'already'> {
  const target = witnessObject(w, head.bucket, head.key, WITNESS_SUFFIX);
  const body = serializeWitnessRecord({
    bucket: head.bucket,
    key: head.key,
    sha256: head.hashValue,
    signature: head.signature,
    digestEndTime: head.end,
    recordedAt: now,
  });
  try {
    await w.store.put(target.bucket, target.key, body, {}, { createOnly: true });
    return 'recorded';
  } catch (err) {
    if (err instanceof StoreError && err.kind === 'Exists') return 'already';
    throw err;
  }
}

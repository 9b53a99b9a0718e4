import type { DigestScope } from '../format/names.js';
import type { ObjectStore } from '../store/types.js';
import type { WitnessSource } from '../store/witness-source.js';
import { checkWitness } from '../verifier/witness-check.js';
import { chainRef, type Finding } from './types.js';

/**
 * `audit --witness SRC`: a chain whose newest witnessed digest (in the range) is gone from the
 * archive or changed is `chain-stops` with severity error: the deletion of a chain's newest
 * digests, which the chain itself cannot show (README "Security notes").
 */
export function witnessFindings(
  store: ObjectStore,
  bucket: string,
  witness: WitnessSource,
  start: number,
  end: number,
): (scope: DigestScope) => Promise<Finding[]> {
  return async (scope) => {
    const r = await checkWitness(store, witness, bucket, scope, start, end);
    if (r.kind !== 'chain-stops') return [];
    return [
      {
        code: 'chain-stops',
        severity: 'error',
        chain: chainRef(scope),
        s3: `s3://${r.record.bucket}/${r.record.key}`,
        from: r.record.digestEndTime,
        to: end,
        message: `witness: ${r.message}`,
        count: 1,
      },
    ];
  };
}

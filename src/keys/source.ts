import type { PublicKeyRecord, PublicKeySource } from '../keys/types.js';
import { selectOverlapping, type PublicKeyEntry } from './public-keys.js';

/** A PublicKeySource over checked entries (a keys file or a key store), selecting like ListPublicKeys. */
export function entriesSource(entries: readonly PublicKeyEntry[]): PublicKeySource {
  return {
    list: async (start, end) =>
      selectOverlapping(entries, start, end).map((e): PublicKeyRecord => ({ fingerprint: e.fingerprint, load: () => e.key, validity: { from: e.validFrom, to: e.validTo } })),
  };
}

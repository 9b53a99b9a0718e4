import { beforeKey, withKey, type DigestPlace } from '../chain/digest-verdict.js';
import type { RsaPublicKey } from '../crypto/rsa.js';
import type { KeyStore } from '../keys/keystore.js';
import type { PublicKeyEntry } from '../keys/public-keys.js';
import type { Metadata } from '../store/types.js';

/**
 * The keys whose digests a signer builds on: its own key store's, and those it is told to trust
 * (`sign --trust-public-keys FILE`: another signer's, for a chain several signers extend). A digest
 * in the chain's folder is the chain's only when one of them signed it: the chain's head (the next
 * digest links to it) and the recent digests (the logs they list are taken as signed). Anything
 * else is planted, or another signer's that nobody said to trust.
 */
export type TrustedKeys = ReadonlyMap<string, RsaPublicKey>;

export async function trustedKeys(keys: Pick<KeyStore, 'publicEntries'>, extra: readonly PublicKeyEntry[] = []): Promise<TrustedKeys> {
  const out = new Map<string, RsaPublicKey>();
  for (const e of [...(await keys.publicEntries()), ...extra]) out.set(e.fingerprint, e.key);
  return out;
}

/** Does the digest verify (validate-logs' rules, steps 3-9) with a key of `trusted`? */
export function signedByTrusted(raw: Buffer, metadata: Metadata, place: DigestPlace, trusted: TrustedKeys): boolean {
  try {
    const first = beforeKey(raw, metadata, place);
    if (first.kind !== 'need-key' || typeof first.fingerprint !== 'string') return false;
    const key = trusted.get(first.fingerprint);
    return key !== undefined && withKey(first, () => key, metadata, place).kind === 'valid';
  } catch {
    return false;
  }
}

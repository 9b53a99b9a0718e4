import type { RsaPublicKey } from '../crypto/rsa.js';

/** A public key as the verifier needs it. `load` throws when the key cannot be loaded (§3.7). */
export interface PublicKeyRecord {
  readonly fingerprint: string;
  load(): RsaPublicKey;
  /** The key's validity window (instants, micros), where the source says it (audit: key-not-valid-at-signing). */
  readonly validity?: { readonly from: number; readonly to: number } | undefined;
}

/** Where public keys come from: a keys file, a key store or CloudTrail's ListPublicKeys. */
export interface PublicKeySource {
  /** Keys whose validity overlaps [start, end] (UTC clock micros), in the source's order. */
  list(start: number, end: number): Promise<PublicKeyRecord[]>;
}

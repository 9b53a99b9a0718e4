/**
 * Where a key's private half lives, behind one small signing interface: a file beside the public
 * record (the original key store), a PKCS#11 token (an HSM) or AWS KMS. The signer only ever asks
 * for a signature; the private key never enters this process for the last two.
 */
export type KeyBackendRef =
  | { readonly type: 'file' }
  /** The RFC 7512 URI without pin-value (a PIN given inline is kept in `<fingerprint>.pin`, mode 0600). */
  | { readonly type: 'pkcs11'; readonly uri: string }
  | { readonly type: 'kms'; readonly keyId: string };

export interface KeySigner {
  /**
   * RSASSA-PKCS1-v1_5 with SHA-256 over `data` (the data-signing string, a few hundred bytes): a
   * PKCS#11 token hashes it itself (CKM_SHA256_RSA_PKCS); KMS is sent its SHA-256 (MessageType DIGEST).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** The public key as DER PKCS#1 RSAPublicKey (CloudTrail's `Value`; its MD5 is the fingerprint). */
  publicKeyDer(): Promise<Uint8Array>;
  /** Ends the session (the CLI exits anyway; tests and library callers use it). */
  close?(): Promise<void>;
}

/** Opens the signer of a registered key (set up by the CLI: the PKCS#11 module and KMS load lazily). */
export interface KeyBackends {
  pkcs11?(uri: string, pin: string | undefined): Promise<KeySigner>;
  kms?(keyId: string): Promise<KeySigner>;
}

/** A backend name for messages. */
export function backendName(ref: KeyBackendRef): string {
  return ref.type === 'file' ? 'file' : ref.type === 'pkcs11' ? 'PKCS#11' : 'AWS KMS';
}

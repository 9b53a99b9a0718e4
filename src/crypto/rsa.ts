import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { parsePkcs1RsaPublicKey, type RsaPublicKeyParts } from './der.js';

/**
 * RSASSA-PKCS1-v1_5 with SHA-256 over node:crypto: verify about 30x and sign about 100x node-forge
 * (bench/primitives.ts).
 */
export interface RsaPublicKey extends RsaPublicKeyParts {
  readonly der: Uint8Array;
  readonly key: KeyObject;
}

/** Loads a DER PKCS#1 RSAPublicKey strictly; throws DerError on anything else. */
export function loadPkcs1PublicKey(der: Uint8Array): RsaPublicKey {
  const parts = parsePkcs1RsaPublicKey(der);
  const key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' });
  return { ...parts, der, key };
}

export type VerifyOutcome = { ok: true } | { ok: false; reason: 'mismatch' } | { ok: false; reason: 'overflow'; message: string };

function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

/** Each key's modulus as minimal big-endian bytes (no leading zero), made once. */
const moduli = new WeakMap<RsaPublicKeyParts, Buffer>();

/** Is the big-endian integer `bytes` larger than the key's modulus? (Compared as bytes: no bigint per signature.) */
export function exceedsModulus(bytes: Uint8Array, pub: RsaPublicKeyParts): boolean {
  let n = moduli.get(pub);
  if (n === undefined) {
    const hex = pub.n.toString(16);
    moduli.set(pub, (n = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex')));
  }
  let at = 0;
  while (at < bytes.length && bytes[at] === 0) at++;
  const length = bytes.length - at;
  if (length !== n.length) return length > n.length;
  return Buffer.compare(bytes.subarray(at), n) > 0;
}

/**
 * Verifies `signature` over `data`. The reference (python-rsa) first turns the signature into an
 * integer and refuses one larger than the modulus with an OverflowError whose text it prints
 * (behaviour §3.9); any other failure is a plain mismatch.
 */
export function verifySha256(data: Uint8Array, signature: Uint8Array, pub: RsaPublicKey): VerifyOutcome {
  if (exceedsModulus(signature, pub)) {
    return { ok: false, reason: 'overflow', message: `The message ${bytesToBigInt(signature)} is too long for n=${pub.n}` };
  }
  if (signature.length !== pub.size) return { ok: false, reason: 'mismatch' };
  return verify('sha256', data, pub.key, signature) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

export function signSha256(data: Uint8Array, privateKeyPem: string): Uint8Array {
  const key = createPrivateKey({ key: privateKeyPem, format: 'pem' });
  return new Uint8Array(sign('sha256', data, key));
}

export function signSha256WithKey(data: Uint8Array, key: KeyObject): Uint8Array {
  return new Uint8Array(sign('sha256', data, key));
}

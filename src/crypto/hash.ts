import { createHash } from 'node:crypto';

/**
 * SHA-256 and MD5 through node:crypto (OpenSSL, SHA extensions): about 12x @noble/hashes on this
 * machine for SHA-256 (bench/primitives.ts keeps the measurement).
 */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** CloudTrail's key fingerprint: lowercase hex MD5 of the DER PKCS#1 bytes. */
export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

export { createHash };

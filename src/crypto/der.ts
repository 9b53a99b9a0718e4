import { TrailproofError } from '../errors.js';

/**
 * A strict DER reader for the one structure trailproof trusts: PKCS#1 RSAPublicKey
 * (RFC 8017 A.1.1: SEQUENCE { modulus INTEGER, publicExponent INTEGER }). Strict means: definite
 * minimal lengths, minimal positive integers, nothing after the sequence. The input is untrusted.
 */
export class DerError extends TrailproofError {
  constructor(message: string) {
    super('format', message);
  }
}

interface Tlv {
  tag: number;
  start: number; // first content byte
  end: number; // one past the last content byte
}

function readTlv(buf: Uint8Array, pos: number): Tlv {
  if (pos + 2 > buf.length) throw new DerError('truncated');
  const tag = buf[pos]!;
  let len = buf[pos + 1]!;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new DerError('unsupported length form');
    if (start + n > buf.length) throw new DerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[start + i]!;
    if (buf[start] === 0 || len < 128) throw new DerError('non-minimal length');
    start += n;
  }
  const end = start + len;
  if (end > buf.length) throw new DerError('truncated content');
  return { tag, start, end };
}

function readPositiveInteger(buf: Uint8Array, tlv: Tlv): bigint {
  if (tlv.tag !== 0x02) throw new DerError('expected INTEGER');
  const len = tlv.end - tlv.start;
  if (len === 0) throw new DerError('empty INTEGER');
  const first = buf[tlv.start]!;
  if (first & 0x80) throw new DerError('negative INTEGER');
  if (first === 0 && len > 1 && !(buf[tlv.start + 1]! & 0x80)) throw new DerError('non-minimal INTEGER');
  let v = 0n;
  for (let i = tlv.start; i < tlv.end; i++) v = (v << 8n) | BigInt(buf[i]!);
  return v;
}

export interface RsaPublicKeyParts {
  readonly n: bigint;
  readonly e: bigint;
  /** Size of the modulus in bytes. */
  readonly size: number;
}

const SPKI_HINT = 'it looks like a SubjectPublicKeyInfo (X.509) key, not PKCS#1';

export function parsePkcs1RsaPublicKey(der: Uint8Array): RsaPublicKeyParts {
  const seq = readTlv(der, 0);
  if (seq.tag !== 0x30) throw new DerError('expected SEQUENCE');
  if (seq.end !== der.length) throw new DerError('data after the key');
  const nTlv = readTlv(der, seq.start);
  if (nTlv.tag === 0x30) throw new DerError(SPKI_HINT);
  const n = readPositiveInteger(der, nTlv);
  const eTlv = readTlv(der, nTlv.end);
  const e = readPositiveInteger(der, eTlv);
  if (eTlv.end !== seq.end) throw new DerError('unexpected fields in RSAPublicKey');
  if (n < 3n || e < 3n || (e & 1n) === 0n || e >= n) throw new DerError('not a usable RSA key');
  return { n, e, size: Math.ceil(n.toString(16).length / 2) };
}

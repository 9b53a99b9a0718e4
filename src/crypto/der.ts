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

/** rsaEncryption, 1.2.840.113549.1.1.1, as DER (OID tag, length, value). */
const RSA_ENCRYPTION_OID = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);

/**
 * The PKCS#1 RSAPublicKey inside a SubjectPublicKeyInfo (RFC 5280 §4.1; what KMS GetPublicKey
 * returns): SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { 0 unused bits, RSAPublicKey } },
 * read strictly, then checked as a PKCS#1 key. Untrusted: a server's answer.
 */
export function pkcs1FromSpki(der: Uint8Array): Uint8Array {
  const seq = readTlv(der, 0);
  if (seq.tag !== 0x30 || seq.end !== der.length) throw new DerError('SubjectPublicKeyInfo: expected one SEQUENCE');
  const alg = readTlv(der, seq.start);
  if (alg.tag !== 0x30) throw new DerError('SubjectPublicKeyInfo: expected an AlgorithmIdentifier');
  const oid = der.subarray(alg.start, alg.start + RSA_ENCRYPTION_OID.length);
  if (Buffer.compare(Buffer.from(oid), Buffer.from(RSA_ENCRYPTION_OID)) !== 0) throw new DerError('SubjectPublicKeyInfo: not an RSA key (rsaEncryption)');
  const rest = der.subarray(alg.start + RSA_ENCRYPTION_OID.length, alg.end);
  if (!(rest.length === 2 && rest[0] === 0x05 && rest[1] === 0x00)) throw new DerError('SubjectPublicKeyInfo: rsaEncryption parameters must be NULL');
  const bits = readTlv(der, alg.end);
  if (bits.tag !== 0x03 || bits.end !== seq.end) throw new DerError('SubjectPublicKeyInfo: expected the key as a BIT STRING');
  if (bits.end - bits.start < 2 || der[bits.start] !== 0) throw new DerError('SubjectPublicKeyInfo: the BIT STRING must have 0 unused bits');
  const key = der.slice(bits.start + 1, bits.end);
  parsePkcs1RsaPublicKey(key);
  return key;
}

import { generateKeyPairSync } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { DerError, parsePkcs1RsaPublicKey, pkcs1FromSpki } from '../../src/crypto/der.js';
import { loadPkcs1PublicKey } from '../../src/crypto/rsa.js';

/**
 * Strict DER PKCS#1 RSAPublicKey (RFC 8017 A.1.1). The encodings below are written byte by byte
 * (X.690 8.1 / 8.3), independently of the parser.
 */
function len(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}
function tlv(tag: number, content: number[]): number[] {
  return [tag, ...len(content.length), ...content];
}
/** Minimal two's-complement encoding of a non-negative integer. */
function intContent(v: bigint): number[] {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const bytes = Array.from(Buffer.from(hex, 'hex'));
  return bytes[0]! & 0x80 ? [0, ...bytes] : bytes;
}
const int = (v: bigint): number[] => tlv(0x02, intContent(v));
const seq = (...parts: number[][]): number[] => tlv(0x30, parts.flat());
const der = (bytes: number[]): Uint8Array => new Uint8Array(bytes);

let keyDer: Buffer;
let spkiDer: Buffer;
let n: bigint;
const E = 65537n;

beforeAll(() => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  keyDer = publicKey.export({ format: 'der', type: 'pkcs1' });
  spkiDer = publicKey.export({ format: 'der', type: 'spki' });
  n = BigInt(`0x${Buffer.from(publicKey.export({ format: 'jwk' }).n!, 'base64url').toString('hex')}`);
});

function derError(bytes: Uint8Array): string {
  try {
    parsePkcs1RsaPublicKey(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(DerError);
    return (err as Error).message;
  }
  throw new Error('expected a DerError, the key was accepted');
}

describe('parsePkcs1RsaPublicKey: accepted', () => {
  it('a real 2048-bit key', () => {
    const parts = parsePkcs1RsaPublicKey(keyDer);
    expect(parts.n).toBe(n);
    expect(parts.e).toBe(E);
    expect(parts.size).toBe(256);
  });

  it("our own encoding of the same key is byte-identical to node's", () => {
    expect(Buffer.from(seq(int(n), int(E))).equals(keyDer)).toBe(true);
  });

  it('small moduli and a short-form length', () => {
    const small = 0xc5n * 2n ** 64n + 12345n; // high bit set: needs a 0x00 pad byte
    const parts = parsePkcs1RsaPublicKey(der(seq(int(small), int(3n))));
    expect(parts.n).toBe(small);
    expect(parts.e).toBe(3n);
    expect(parts.size).toBe(9);
  });

  it('loadPkcs1PublicKey gives a usable key with the DER kept', () => {
    const k = loadPkcs1PublicKey(keyDer);
    expect(k.n).toBe(n);
    expect(Buffer.from(k.der).equals(keyDer)).toBe(true);
    expect(k.key.asymmetricKeyType).toBe('rsa');
  });
});

describe('parsePkcs1RsaPublicKey: rejected', () => {
  it('SubjectPublicKeyInfo, with a hint', () => {
    expect(derError(spkiDer)).toMatch(/SubjectPublicKeyInfo/);
  });

  it('trailing bytes after the key', () => {
    derError(new Uint8Array([...keyDer, 0x00]));
    derError(new Uint8Array([...keyDer, ...keyDer]));
  });

  it('every truncation', () => {
    for (let i = 0; i < keyDer.length; i += i < 16 ? 1 : 37) derError(keyDer.subarray(0, i));
  });

  it('non-minimal INTEGER (extra leading zero)', () => {
    derError(der(seq(int(n), tlv(0x02, [0x00, ...intContent(E)]))));
    derError(der(seq(tlv(0x02, [0x00, ...intContent(n)]), int(E))));
  });

  it('negative INTEGER (modulus without its pad byte)', () => {
    const content = intContent(n).slice(1);
    expect(content[0]! & 0x80).toBe(0x80);
    derError(der(seq(tlv(0x02, content), int(E))));
  });

  it('empty INTEGER', () => {
    derError(der(seq(int(n), [0x02, 0x00])));
  });

  it('non-minimal lengths', () => {
    // SEQUENCE length 0x010a written with a leading zero byte
    const body = [...int(n), ...int(E)];
    derError(der([0x30, 0x83, 0x00, ...len(body.length).slice(1), ...body]));
    // a short length written in long form
    const small = [...int(0xc5n * 2n ** 64n + 1n), ...int(3n)];
    derError(der([0x30, 0x81, small.length, ...small]));
  });

  it('indefinite length', () => {
    derError(der([0x30, 0x80, ...int(n), ...int(E), 0x00, 0x00]));
  });

  it('a length longer than the input', () => {
    derError(der([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x03]));
  });

  it('wrong tags', () => {
    derError(der(tlv(0x31, [...int(n), ...int(E)])));
    derError(der(seq(tlv(0x04, intContent(n)), int(E))));
    derError(der(seq(int(n), tlv(0x04, intContent(E)))));
  });

  it('missing or extra fields', () => {
    derError(der(seq(int(n))));
    derError(der(seq(int(n), int(E), int(3n))));
    derError(der(seq()));
    derError(new Uint8Array());
  });

  it('unusable numbers: even exponent, exponent 1, exponent >= modulus', () => {
    derError(der(seq(int(n), int(65536n))));
    derError(der(seq(int(n), int(1n))));
    derError(der(seq(int(n), int(n + 2n))));
  });
});

describe('pkcs1FromSpki (KMS GetPublicKey)', () => {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const pkcs1 = new Uint8Array(publicKey.export({ type: 'pkcs1', format: 'der' }));

  it('gives the PKCS#1 key inside an RSA SubjectPublicKeyInfo', () => {
    expect(Buffer.from(pkcs1FromSpki(spki))).toEqual(Buffer.from(pkcs1));
  });

  it('refuses any other key type, a changed byte of the structure, or data after it', () => {
    const ec = new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
    expect(() => pkcs1FromSpki(ec)).toThrow(DerError);
    expect(() => pkcs1FromSpki(pkcs1)).toThrow(DerError);
    expect(() => pkcs1FromSpki(Uint8Array.of(...spki, 0))).toThrow(DerError);
    // Every byte of the header (up to the key's own SEQUENCE) changed in turn.
    for (let i = 0; i < 24; i++) {
      const bad = Uint8Array.from(spki);
      bad[i] = bad[i]! ^ 0x01;
      expect(() => pkcs1FromSpki(bad), `byte ${i}`).toThrow(DerError);
    }
  });
});

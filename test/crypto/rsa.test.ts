import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { exceedsModulus, loadPkcs1PublicKey, signSha256, signSha256WithKey, verifySha256, type RsaPublicKey } from '../../src/crypto/rsa.js';

/**
 * RSASSA-PKCS1-v1_5 / SHA-256 as python-rsa verifies it (behaviour §3.8, §3.9): a signature whose
 * integer exceeds the modulus is python-rsa's OverflowError `The message <s> is too long for n=<n>`
 * (printed as INVALID: ...); anything else that does not verify is a plain mismatch.
 */
let pub: RsaPublicKey;
let privatePem: string;
let n: bigint;
const data = Buffer.from('2024-02-29T02:05:19Z\nbucket/key\nabc\nnull', 'utf8');
let good: Buffer;

beforeAll(() => {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  pub = loadPkcs1PublicKey(pair.publicKey.export({ format: 'der', type: 'pkcs1' }));
  privatePem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  n = BigInt(`0x${Buffer.from(pair.publicKey.export({ format: 'jwk' }).n!, 'base64url').toString('hex')}`);
  good = sign('sha256', data, pair.privateKey);
});

const big = (v: bigint, size = 256): Uint8Array => new Uint8Array(Buffer.from(v.toString(16).padStart(size * 2, '0'), 'hex'));

describe('verifySha256', () => {
  it('accepts a good signature', () => {
    expect(verifySha256(data, good, pub)).toEqual({ ok: true });
  });

  it('rejects other data and changed signatures', () => {
    expect(verifySha256(Buffer.concat([data, Buffer.from('x')]), good, pub)).toEqual({ ok: false, reason: 'mismatch' });
    for (const i of [0, 1, 100, 255]) {
      const s = Buffer.from(good);
      s[i] = s[i]! ^ 0x01;
      const r = verifySha256(data, s, pub);
      expect(r.ok).toBe(false);
    }
  });

  it('a leading zero byte (257 bytes, same integer) is a mismatch, as python-rsa checks the length', () => {
    expect(verifySha256(data, Buffer.concat([Buffer.from([0]), good]), pub)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('empty and short signatures are mismatches', () => {
    expect(verifySha256(data, new Uint8Array(), pub)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySha256(data, good.subarray(1), pub)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('s = n is not an overflow (python-rsa refuses only s > n)', () => {
    expect(verifySha256(data, big(n), pub)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it("s > n is python-rsa's OverflowError", () => {
    for (const s of [n + 1n, 2n ** 2048n - 1n]) {
      expect(verifySha256(data, big(s), pub)).toEqual({ ok: false, reason: 'overflow', message: `The message ${s} is too long for n=${n}` });
    }
    // longer than the modulus, still compared as integers
    const s = 2n ** 2100n;
    expect(verifySha256(data, big(s, 263), pub)).toEqual({ ok: false, reason: 'overflow', message: `The message ${s} is too long for n=${n}` });
  });

  it('signSha256 / signSha256WithKey produce verifiable signatures', () => {
    expect(verifySha256(data, signSha256(data, privatePem), pub)).toEqual({ ok: true });
    expect(verifySha256(data, signSha256WithKey(data, createPrivateKey(privatePem)), pub)).toEqual({ ok: true });
    expect(Buffer.from(signSha256(data, privatePem)).equals(good)).toBe(true);
  });
});

describe('exceedsModulus', () => {
  const asInt = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`));
  it('answers as the integers compare (any bytes, leading zeros, values next to n)', () => {
    const nearN = fc.bigInt({ min: -3n, max: 3n }).map((d) => n + d);
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 260 }),
      fc.tuple(nearN, fc.nat({ max: 3 })).map(([v, zeros]) => new Uint8Array([...new Uint8Array(zeros), ...big(v)])),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        expect(exceedsModulus(b, pub)).toBe(asInt(b) > n);
      }),
    );
  });

  it('holds for small moduli too (odd hex length, one byte)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 20n }), fc.uint8Array({ maxLength: 5 }), (m, b) => {
        const parts = { n: m, e: 65537n, size: Math.ceil(m.toString(16).length / 2) };
        expect(exceedsModulus(b, parts)).toBe(asInt(b) > m);
      }),
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HexError, toHex, unhexlify } from '../../src/crypto/hex.js';

/** Behaviour §3.8: Python's binascii.unhexlify and its messages. */
describe('unhexlify', () => {
  it.each([
    ['', []],
    ['00', [0]],
    ['00ff10', [0, 255, 16]],
    ['ABcd', [0xab, 0xcd]],
    ['DeadBEEF', [0xde, 0xad, 0xbe, 0xef]],
  ] as Array<[string, number[]]>)('%j', (text, bytes) => {
    expect(Array.from(unhexlify(text))).toEqual(bytes);
  });

  it.each([
    ['a', 'Odd-length string'],
    ['abc', 'Odd-length string'],
    // the length is checked before the digits
    ['zzz', 'Odd-length string'],
    ['zz', 'Non-hexadecimal digit found'],
    ['0g', 'Non-hexadecimal digit found'],
    ['0x12', 'Non-hexadecimal digit found'],
    [' 0', 'Non-hexadecimal digit found'],
    ['00 ', 'Odd-length string'],
    ['12\n', 'Odd-length string'],
    ['12\n4', 'Non-hexadecimal digit found'],
    ['é1', 'string argument should contain only ASCII characters'],
    ['é', 'string argument should contain only ASCII characters'],
    ['٠١', 'string argument should contain only ASCII characters'],
  ])('%j -> %s', (text, message) => {
    let caught: unknown;
    try {
      unhexlify(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HexError);
    expect((caught as Error).message).toBe(message);
  });

  it('round-trips any bytes, either case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, upper) => {
        const hex = Buffer.from(bytes).toString('hex');
        expect(toHex(bytes)).toBe(hex);
        expect(Buffer.from(unhexlify(upper ? hex.toUpperCase() : hex)).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });

  it('toHex respects views into a larger buffer', () => {
    const big = new Uint8Array([1, 2, 3, 4, 5]);
    expect(toHex(big.subarray(1, 3))).toBe('0203');
  });
});

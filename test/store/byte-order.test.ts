import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteCompare, sortByteOrder } from '../../src/store/names.js';

/** S3's key order is UTF-8 bytes: byteCompare must agree with comparing Buffer.from(…, 'utf8'), lone surrogates included. */
const unit = fc.constantFrom(
  'a',
  'b',
  '/',
  '0',
  'é',
  '\u0800',
  '\uD7FF',
  '\uD800',
  '\uDBFF',
  '\uDC00',
  '\uDFFF',
  '\uE000',
  '\uFFFD',
  '\uFFFF',
  '😀',
  '\u{10FFFD}',
);
const text = fc.array(unit, { maxLength: 8 }).map((u) => u.join(''));
const sign = (x: number): number => (x < 0 ? -1 : x > 0 ? 1 : 0);
const bytes = (a: string, b: string): number => sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));

describe('byteCompare', () => {
  it('orders as UTF-8 bytes (property)', () => {
    fc.assert(
      fc.property(text, text, text, (p, a, b) => {
        expect(sign(byteCompare(p + a, p + b))).toBe(bytes(p + a, p + b));
      }),
      { numRuns: 5000 },
    );
  });

  it('sortByteOrder sorts as UTF-8 bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(text, { maxLength: 12 }), (xs) => {
        const sorted = sortByteOrder([...xs], (x) => x);
        for (let i = 1; i < sorted.length; i++) expect(bytes(sorted[i - 1]!, sorted[i]!)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Digest } from '../../src/format/digest.js';
import { parseJsonBytes, PyNumber, pyStr, pyTypeName, type Json } from '../../src/format/json.js';

/**
 * Python's json keeps ints and floats apart and ints exact; a JavaScript number does neither. The
 * numbers a JavaScript number cannot stand for are kept as PyNumber (their token and kind), every
 * other number is a plain number (checked against CPython 3 on 3,000 random tokens when written:
 * type name and str() alike).
 */
const parse = (text: string): Json => {
  const r = parseJsonBytes(Buffer.from(text));
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

const token = fc
  .tuple(
    fc.constantFrom('', '-'),
    fc.oneof(fc.constant('0'), fc.stringMatching(/^[1-9][0-9]{0,24}$/)),
    fc.option(fc.stringMatching(/^\.[0-9]{1,6}$/), { nil: '' }),
    fc.option(fc.stringMatching(/^[eE][+-]?[0-9]{1,2}$/), { nil: '' }),
  )
  .map((parts) => parts.join(''));

describe('numbers as Python reads them', () => {
  it('a PyNumber exactly where a JavaScript number would change the type or the digits (property)', () => {
    fc.assert(
      fc.property(token, fc.constantFrom('[%]', '{"a": %}', '%', ' %', '{"k":"x:1.5","v":[1,%]}'), (t, shape) => {
        const doc = shape.replace('%', t);
        const value = parse(doc);
        const v: Json = Array.isArray(value)
          ? value.at(-1)!
          : typeof value === 'object' && value !== null && !(value instanceof PyNumber)
            ? (value['a'] ?? (value['v'] as Json[]).at(-1)!)
            : value;
        const float = /[.eE]/.test(t);
        const n = Number(t);
        if (float ? Number.isInteger(n) : !Number.isSafeInteger(n)) {
          expect(v).toBeInstanceOf(PyNumber);
          expect([(v as PyNumber).text, (v as PyNumber).float]).toEqual([t, float]);
        } else expect(Object.is(v, n)).toBe(true);
        expect(pyTypeName(v)).toBe(float ? 'float' : 'int');
      }),
      { numRuns: 3000 },
    );
  });

  it('prints as Python does', () => {
    const cases: Array<[string, string, string]> = [
      ['2.0', 'float', '2.0'],
      ['1e2', 'float', '100.0'],
      ['-0.0', 'float', '-0.0'],
      ['1.5', 'float', '1.5'],
      ['1e16', 'float', '1e+16'],
      ['123456789012345678901234567890', 'int', '123456789012345678901234567890'],
      ['-0', 'int', '0'],
      ['7', 'int', '7'],
    ];
    for (const [t, type, str] of cases) {
      const v = (parse(`[${t}]`) as Json[])[0]!;
      expect([t, pyTypeName(v), pyStr(v)]).toEqual([t, type, str]);
    }
  });

  it('strings holding number-like text are strings, and a digest without numbers is parsed as before', () => {
    expect(parse('{"t":"T01:00:00.500Z","k":"a,1e5","n":[1,2.5]}')).toEqual({ t: 'T01:00:00.500Z', k: 'a,1e5', n: [1, 2.5] });
  });

  it('logFiles of 0.0 is no logs (Python: `not 0.0`), as 0 is', () => {
    const digest = (logFiles: string) => {
      const d = Digest.parse(Buffer.from(`{"logFiles":${logFiles}}`));
      if (d.kind !== 'digest') throw new Error('not a digest');
      return d.digest.logEntries('here');
    };
    expect(digest('0.0')).toEqual([]);
    expect(digest('-0.0')).toEqual([]);
    expect(() => digest('1.0')).toThrow(/logFiles is not a list/);
  });
});

import { describe, expect, it } from 'vitest';
import { get, has, isObject, parseJsonBytes, pyStr, pyTypeName, type Json } from '../../src/format/json.js';

/**
 * Python's view of decoded JSON: type names (for TypeError texts) and str() (for values formatted
 * into report lines). Expected strings are what CPython 3 prints.
 */
describe('pyTypeName', () => {
  it.each([
    [null, 'NoneType'],
    [true, 'bool'],
    [false, 'bool'],
    [0, 'int'],
    [-12, 'int'],
    [1.5, 'float'],
    ['', 'str'],
    ['x', 'str'],
    [[], 'list'],
    [[1], 'list'],
    [{}, 'dict'],
    [{ a: 1 }, 'dict'],
  ] as Array<[Json, string]>)('%j -> %s', (v, name) => {
    expect(pyTypeName(v)).toBe(name);
  });
});

describe('pyStr', () => {
  it.each([
    [null, 'None'],
    [true, 'True'],
    [false, 'False'],
    ['text', 'text'],
    ['', ''],
    [42, '42'],
    [-7, '-7'],
    [1.5, '1.5'],
    [-0.25, '-0.25'],
    [1e-7, '1e-07'],
    [2.5e-10, '2.5e-10'],
    [1.5e300, '1.5e+300'],
    [[], '[]'],
    [[1, 'a', null, true, false, 1.5], "[1, 'a', None, True, False, 1.5]"],
    [['a\\b'], "['a\\\\b']"],
    [{}, '{}'],
    [{ a: 1, b: [2, 'c'] }, "{'a': 1, 'b': [2, 'c']}"],
    [{ k: { n: null } }, "{'k': {'n': None}}"],
  ] as Array<[Json, string]>)('%j -> %s', (v, s) => {
    expect(pyStr(v)).toBe(s);
  });

  // Regression, fixed (src/format/json.ts pyFloat): Python's repr switches to exponent notation below 1e-4
  // (str(0.00001) == '1e-05'); JavaScript only below 1e-6 (String(0.00001) == '0.00001').
  it("small floats use Python's exponent form: 0.00001 -> '1e-05'", () => {
    expect(pyStr(0.00001)).toBe('1e-05');
    expect(pyStr(0.000025)).toBe('2.5e-05');
  });

  // Regression, fixed (src/format/json.ts pyRepr): Python's repr of a string picks double quotes when the
  // text holds a single quote and no double quote: str(["it's"]) == '["it\'s"]'.
  it('repr of a string holding a single quote uses double quotes', () => {
    expect(pyStr(["it's"])).toBe('["it\'s"]');
  });

  // Regression, fixed (src/format/json.ts pyRepr): repr escapes control characters: str(['a\nb']) == "['a\\nb']".
  it('repr escapes newlines and other control characters', () => {
    expect(pyStr(['a\nb'])).toBe("['a\\nb']");
    expect(pyStr(['\t'])).toBe("['\\t']");
  });
});

describe('object helpers', () => {
  it('isObject, has and get see own keys only', () => {
    const o = JSON.parse('{"a": 1, "__proto__": 2}') as { [k: string]: Json };
    expect(isObject(o)).toBe(true);
    expect(isObject([] as Json)).toBe(false);
    expect(isObject(null)).toBe(false);
    expect(has(o, 'a')).toBe(true);
    expect(has(o, 'toString')).toBe(false);
    expect(get(o, 'toString')).toBeUndefined();
    expect(get(o, '__proto__')).toBe(2);
  });
});

describe('parseJsonBytes', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('parses UTF-8 JSON', () => {
    expect(parseJsonBytes(enc('{"a":[1,"é",null]}'))).toEqual({ ok: true, value: { a: [1, 'é', null] } });
    expect(parseJsonBytes(enc(' [] '))).toEqual({ ok: true, value: [] });
    expect(parseJsonBytes(enc('"x"'))).toEqual({ ok: true, value: 'x' });
  });
  it.each([
    ['a BOM', new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d])],
    ['invalid UTF-8', new Uint8Array([0x22, 0xff, 0x22])],
    ['truncated UTF-8', new Uint8Array([0x22, 0xc3])],
    ['empty', new Uint8Array()],
    ['not JSON', enc('{a:1}')],
    ['trailing text', enc('{} x')],
    ['raw control character in a string', enc('"a\u0001b"')],
  ])('rejects %s', (_label, bytes) => {
    const r = parseJsonBytes(bytes);
    expect(r.ok).toBe(false);
  });

  // Regression, fixed (src/format/json.ts): Python's json.loads accepts the literals NaN, Infinity and
  // -Infinity; JSON.parse does not. A signed digest holding one (e.g. in a field the reference
  // never reads) is valid for the reference and `invalid format` for trailproof.
  it('accepts NaN / Infinity / -Infinity as Python does', () => {
    const r = parseJsonBytes(enc('{"a": NaN, "b": Infinity, "c": -Infinity}'));
    expect(r.ok).toBe(true);
  });
});

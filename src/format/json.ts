/**
 * JSON values as the reference (Python) sees them. Digest fields are attacker-controlled: every
 * access goes through these helpers, never through a cast.
 */
export type Json = null | boolean | number | PyNumber | string | Json[] | { [key: string]: Json };

/**
 * A JSON number whose Python value a JavaScript number cannot stand for: a float that is a whole
 * number (`2.0`, `1e2`, `-0.0`: Python keeps it a float, printed `2.0`), or an int beyond 2^53
 * (exact in Python). Only such numbers are kept apart; every other number is a plain number.
 */
export class PyNumber {
  constructor(
    /** The token as written. */
    readonly text: string,
    readonly float: boolean,
    readonly value: number,
  ) {}

  /** Python's str(). */
  toString(): string {
    if (!this.float) return BigInt(this.text).toString();
    return Object.is(this.value, -0) ? '-0.0' : pyFloat(this.value);
  }
}
export type JsonObject = { [key: string]: Json };

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof PyNumber);
}

export function has(o: JsonObject, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

export function get(o: JsonObject, key: string): Json | undefined {
  return has(o, key) ? o[key] : undefined;
}

/** Python's type name of a decoded JSON value (for the reference's TypeError texts). */
export function pyTypeName(v: Json): string {
  if (v === null) return 'NoneType';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (v instanceof PyNumber) return v.float ? 'float' : 'int';
  if (typeof v === 'string') return 'str';
  return Array.isArray(v) ? 'list' : 'dict';
}

/** Python's str() of a decoded JSON value, for values the reference formats into its messages. */
export function pyStr(v: Json): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isSafeInteger(v) ? String(v) : pyFloat(v);
  if (v instanceof PyNumber) return v.toString();
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
    .join(', ')}}`;
}

/** Python's repr of a float: shortest digits, exponent form below 1e-4 and from 1e16. */
function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  const [mantissa, expText] = v.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = String(v);
  return fixed.includes('.') || fixed.includes('e') ? fixed : `${fixed}.0`;
}

/** Python's repr of a str: quotes chosen as Python does, control characters escaped. */
function pyStrRepr(v: string): string {
  const quote = v.includes("'") && !v.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of v) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c === 0xad) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if ((c >= 0xd800 && c <= 0xdfff) || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

function pyRepr(v: Json): string {
  if (typeof v === 'string') return pyStrRepr(v);
  return pyStr(v);
}

/** A number that may need a PyNumber: a fraction, an exponent or 16 digits, after `:`, `,` or `[` (or the whole document's). */
const MAYBE_SPECIAL_NUMBER = /[:,[]\s*-?\d+(?:[.eE]|\d{15})/;
const ROOT_NUMBER = /^\s*-?\d/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * Python's json also reads NaN, Infinity and -Infinity, and keeps ints and floats apart. Those
 * tokens (and the numbers a JavaScript number cannot stand for: PyNumber) are swapped for marked
 * strings outside string literals (a scan that tracks quotes and escapes), parsed, and swapped back.
 * Most documents have none (a digest's values are strings): they go to JSON.parse as they are.
 */
function parsePythonJson(text: string): Json {
  const special = text.includes('NaN') || text.includes('Infinity') || MAYBE_SPECIAL_NUMBER.test(text) || ROOT_NUMBER.test(text);
  if (!special) return JSON.parse(text) as Json;
  const mark = `\u0000${Math.random().toString(36).slice(2)}:`;
  const values: Array<number | PyNumber> = [];
  const marked = (v: number | PyNumber): string => JSON.stringify(`${mark}${values.push(v) - 1}`);
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      out += ch;
      continue;
    }
    const rest = text.slice(i, i + 9);
    const token = rest.startsWith('-Infinity') ? '-Infinity' : rest.startsWith('Infinity') ? 'Infinity' : rest.startsWith('NaN') ? 'NaN' : null;
    if (token) {
      out += marked(token === 'NaN' ? Number.NaN : token === 'Infinity' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY);
      i += token.length - 1;
      continue;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m) {
        const n = m[0];
        const float = /[.eE]/.test(n);
        const value = Number(n);
        out += (float ? Number.isInteger(value) : !Number.isSafeInteger(value)) ? marked(new PyNumber(n, float, value)) : n;
        i += n.length - 1;
        continue;
      }
    }
    out += ch;
  }
  return JSON.parse(out, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(mark) ? values[Number(v.slice(mark.length))] : v)) as Json;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Nesting deeper than this is refused as unparseable. The reference's Python json gives up near
 * 1,000 levels (its recursion limit); a digest needs 3. Bounded here so that nothing downstream
 * (Python-style formatting of a field, a signed string) can recurse without limit.
 */
export const MAX_JSON_DEPTH = 900;

/** Does any value nest deeper than `max` arrays/objects? Iterative: no recursion on hostile input. */
export function nestsDeeperThan(value: Json, max: number): boolean {
  const stack: Array<[Json, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

/** UTF-8 (strict, a BOM is an error as in Python's json) then JSON. */
export function parseJsonBytes(bytes: Uint8Array): { ok: true; value: Json } | { ok: false; message: string } {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return { ok: false, message: 'not UTF-8' };
  }
  try {
    const value = parsePythonJson(text);
    if (nestsDeeperThan(value, MAX_JSON_DEPTH)) return { ok: false, message: `nested deeper than ${MAX_JSON_DEPTH} levels` };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

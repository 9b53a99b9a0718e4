/**
 * A small strict schema checker for queue messages and results, which are hostile input (anyone
 * who can write to the Redis or the results location can write them): exact fields (no more, no
 * fewer), bounded strings, arrays and integers. A check returns the value typed, or throws
 * SchemaError naming the path of the first fault.
 */
export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

export type Check<T> = (v: unknown, path: string) => T;

const fail = (path: string, what: string): never => {
  throw new SchemaError(`${path || 'value'}: ${what}`);
};

export const str =
  (max: number, pattern?: RegExp): Check<string> =>
  (v, path) => {
    if (typeof v !== 'string') return fail(path, 'not a string');
    if (v.length > max) return fail(path, `longer than ${max}`);
    if (pattern && !pattern.test(v)) return fail(path, 'malformed');
    return v;
  };

/** A safe integer in [min, max]. */
export const int =
  (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): Check<number> =>
  (v, path) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) return fail(path, `not an integer from ${min} to ${max}`);
    return v;
  };

export const literal =
  <T extends string | number | boolean>(...values: T[]): Check<T> =>
  (v, path) => {
    if (!values.includes(v as T)) return fail(path, `not one of ${values.map((x) => JSON.stringify(x)).join(', ')}`);
    return v as T;
  };

export const nullable =
  <T>(inner: Check<T>): Check<T | null> =>
  (v, path) =>
    v === null ? null : inner(v, path);

export const array =
  <T>(max: number, item: Check<T>): Check<T[]> =>
  (v, path) => {
    if (!Array.isArray(v)) return fail(path, 'not an array');
    if (v.length > max) return fail(path, `more than ${max} items`);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };

/** A fixed-length array (a tuple) whose first element names its shape. */
export const tuple =
  <T extends unknown[]>(...items: { [K in keyof T]: Check<T[K]> }): Check<T> =>
  (v, path) => {
    if (!Array.isArray(v) || v.length !== items.length) return fail(path, `not an array of ${items.length}`);
    return items.map((c, i) => (c as Check<unknown>)(v[i], `${path}[${i}]`)) as T;
  };

/** An object with exactly these fields. */
export const object =
  <T extends object>(fields: { [K in keyof T]: Check<T[K]> }): Check<T> =>
  (v, path) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'not an object');
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!Object.prototype.hasOwnProperty.call(fields, k)) fail(`${path}.${k}`, 'unexpected field');
    const out: Record<string, unknown> = {};
    const checks = fields as Record<string, Check<unknown>>;
    for (const k of Object.keys(checks)) {
      if (!Object.prototype.hasOwnProperty.call(o, k)) fail(`${path}.${k}`, 'missing');
      out[k] = checks[k]!(o[k], `${path}.${k}`);
    }
    return out as T;
  };

/** One of several shapes, told apart by the first element of a tuple. */
export const tagged =
  <T>(cases: Record<string, Check<T>>): Check<T> =>
  (v, path) => {
    const tag = Array.isArray(v) ? v[0] : undefined;
    if (typeof tag !== 'string' || !Object.prototype.hasOwnProperty.call(cases, tag)) return fail(path, 'unknown shape');
    return cases[tag]!(v, path);
  };

export const oneOf =
  <T>(...checks: Array<Check<T>>): Check<T> =>
  (v, path) => {
    for (const c of checks) {
      try {
        return c(v, path);
      } catch (err) {
        if (!(err instanceof SchemaError)) throw err;
      }
    }
    return fail(path, 'matches no allowed shape');
  };

/** JSON text of at most `maxBytes`, parsed and checked. */
export function parseChecked<T>(text: string, maxBytes: number, check: Check<T>, what: string): T {
  if (text.length > maxBytes) throw new SchemaError(`${what}: larger than ${maxBytes} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new SchemaError(`${what}: not JSON`);
  }
  try {
    return check(v, '');
  } catch (err) {
    if (err instanceof SchemaError) throw new SchemaError(`${what}: ${err.message}`);
    throw err;
  }
}

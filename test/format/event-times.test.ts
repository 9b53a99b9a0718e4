import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTimeScanner } from '../../src/format/event-times.js';

/** The signer's per-log newestEventTime/oldestEventTime, found without parsing the JSON. */
const time = fc
  .date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true })
  .map((d) => `${d.toISOString().slice(0, 19)}Z`);

function scan(text: string, cuts: number[]): EventTimeScanner {
  const s = new EventTimeScanner();
  const buf = Buffer.from(text);
  let from = 0;
  for (const cut of [...cuts.map((c) => c % (buf.length + 1))].sort((a, b) => a - b)) {
    s.push(buf.subarray(from, Math.max(from, cut)));
    from = Math.max(from, cut);
  }
  s.push(buf.subarray(from));
  return s;
}

describe('EventTimeScanner', () => {
  it('finds the newest and oldest eventTime of compact and spaced JSON, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 30 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), (times, spaced, cuts) => {
        const records = times.map((t, i) =>
          spaced
            ? `{ "eventVersion": "1.09", "eventTime" : "${t}", "requestParameters": {"startTime":"1999-01-01T00:00:00Z"}, "n": ${i} }`
            : `{"eventVersion":"1.09","eventTime":"${t}","requestParameters":{"startTime":"2100-01-01T00:00:00Z"},"n":${i}}`,
        );
        const s = scan(`{"Records":[${records.join(',')}]}`, cuts);
        expect(s.newest).toBe([...times].sort().at(-1));
        expect(s.oldest).toBe([...times].sort()[0]);
      }),
      { numRuns: 200 },
    );
  });

  it('ignores other *Time fields and malformed values, and says null when there is no event', () => {
    expect(scan('{"Records":[{"startTime":"2024-01-01T00:00:00Z","eventTime":"not a time"}]}', []).newest).toBeNull();
    expect(scan('{"Records":[]}', []).oldest).toBeNull();
    expect(scan('{"eventTime":"2024-01-01T00:00:00Z","xeventTime":"2030-01-01T00:00:00Z"}', []).newest).toBe('2024-01-01T00:00:00Z');
  });
});

describe('EventTimeScanner against a regular expression over the whole text', () => {
  /** Any digits in the time's shape (not only real dates), and near-misses. */
  const digit = fc.integer({ min: 0, max: 9 }).map(String);
  const anyTime = fc
    .array(digit, { minLength: 14, maxLength: 14 })
    .map(
      (d) =>
        `${d.slice(0, 4).join('')}-${d.slice(4, 6).join('')}-${d.slice(6, 8).join('')}T${d.slice(8, 10).join('')}:${d.slice(10, 12).join('')}:${d.slice(12).join('')}Z`,
    );
  const value = fc.oneof(
    anyTime,
    anyTime.map((t) => t.replace('Z', 'z')),
    anyTime.map((t) => t.slice(0, 19)),
    fc.constant('x'),
  );
  const field = fc
    .tuple(fc.constantFrom('eventTime', 'eventTime', 'startTime', 'xeventTime'), fc.constantFrom('', ' ', '\n  '), value)
    .map(([name, sp, v]) => `"${name}"${sp}:${sp}"${v}"`);

  it('finds the same newest and oldest eventTime, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.array(field, { minLength: 1, maxLength: 4 }), { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 8 }), (records, cuts) => {
        const text = `{"Records":[${records.map((r) => `{${r.join(',')}}`).join(',')}]}`;
        const compact = [...text.matchAll(/"eventTime":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"/g)].map((m) => m[1]!);
        const spaced = [...text.matchAll(/"eventTime"\s*:\s*"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"/g)].map((m) => m[1]!);
        // Compact matches, when a chunk has any, are the ones counted (the scanner's fast path).
        const s = scan(text, cuts);
        const candidates = new Set([...compact, ...spaced]);
        if (candidates.size === 0) {
          expect(s.newest).toBeNull();
          expect(s.oldest).toBeNull();
          return;
        }
        expect(s.newest).not.toBeNull();
        expect(candidates.has(s.newest!)).toBe(true);
        expect(candidates.has(s.oldest!)).toBe(true);
        if (compact.length === spaced.length) {
          expect(s.newest).toBe([...candidates].sort().at(-1));
          expect(s.oldest).toBe([...candidates].sort()[0]);
        }
      }),
      { numRuns: 500 },
    );
  });
});

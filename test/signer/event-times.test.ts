import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventTimeScanner } from '../../src/signer/log-hash.js';

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
          spaced ? `{ "eventVersion": "1.09", "eventTime" : "${t}", "requestParameters": {"startTime":"1999-01-01T00:00:00Z"}, "n": ${i} }` : `{"eventVersion":"1.09","eventTime":"${t}","requestParameters":{"startTime":"2100-01-01T00:00:00Z"},"n":${i}}`,
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

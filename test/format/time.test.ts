import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrailproofError } from '../../src/errors.js';
import { floorToSecond, formatDisplay, formatStamp, formatYmdPath, instantOf, parseDate, parseStrictUtc } from '../../src/format/time.js';

/** Behaviour §1: lenient timestamps, offsets ignored for the clock, `Unable to parse date value: X`. */
const us = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, micros = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) * 1000 + micros;
const HOUR_US = 3_600_000_000;
const MIN_US = 60_000_000;

describe('parseDate: accepted shapes', () => {
  const TODAY = us(2020, 1, 2, 13, 14, 15);
  const cases: Array<[string, number, number | null]> = [
    ['2024-02-28T21:05:19Z', us(2024, 2, 28, 21, 5, 19), 0],
    ['2024-02-28T21:05:19z', us(2024, 2, 28, 21, 5, 19), 0],
    ['2024-02-28T21:05:19', us(2024, 2, 28, 21, 5, 19), null],
    ['2024-02-28 21:05:19', us(2024, 2, 28, 21, 5, 19), null],
    ['2024-02-28T21:05:19UTC', us(2024, 2, 28, 21, 5, 19), 0],
    ['2024-02-28T21:05:19 Z', us(2024, 2, 28, 21, 5, 19), 0],
    ['  2024-02-28T21:05:19Z  ', us(2024, 2, 28, 21, 5, 19), 0],
    ['2024-02-28T21:05Z', us(2024, 2, 28, 21, 5), 0],
    ['2024-02-28T21', us(2024, 2, 28, 21), null],
    // date only: midnight, no zone
    ['2024-02-28', us(2024, 2, 28), null],
    ['2024-2-8', us(2024, 2, 8), null],
    ['2024-02-29', us(2024, 2, 29), null],
    ['2000-02-29', us(2000, 2, 29), null],
    ['20240228', us(2024, 2, 28), null],
    // compact (the digest key stamp)
    ['20240228T210519Z', us(2024, 2, 28, 21, 5, 19), 0],
    ['20240228T2105Z', us(2024, 2, 28, 21, 5), 0],
    ['20240229T000519Z', us(2024, 2, 29, 0, 5, 19), 0],
    // offsets: the clock is kept as written, the offset only recorded
    ['2024-02-28T03:00:00+02:00', us(2024, 2, 28, 3), 2 * HOUR_US],
    ['2024-02-28T03:00:00-05:30', us(2024, 2, 28, 3), -(5 * HOUR_US + 30 * MIN_US)],
    ['2024-02-28T03:00:00-0530', us(2024, 2, 28, 3), -(5 * HOUR_US + 30 * MIN_US)],
    ['2024-02-28T03:00:00+02', us(2024, 2, 28, 3), 2 * HOUR_US],
    ['2024-02-28T23:30:00+14:00', us(2024, 2, 28, 23, 30), 14 * HOUR_US],
    // fractions kept to the microsecond (truncated, as dateutil does), display drops them
    ['2024-02-28T21:05:19.5Z', us(2024, 2, 28, 21, 5, 19, 500_000), 0],
    ['2024-02-28T21:05:19.123456Z', us(2024, 2, 28, 21, 5, 19, 123_456), 0],
    ['2024-02-28T21:05:19.1234569Z', us(2024, 2, 28, 21, 5, 19, 123_456), 0],
    ['2024-02-28T21:05:19,25', us(2024, 2, 28, 21, 5, 19, 250_000), null],
    ['2024-02-28T21:05:19.5+02:00', us(2024, 2, 28, 21, 5, 19, 500_000), 2 * HOUR_US],
    // other shapes people type
    ['2024/02/28 21:05:19', us(2024, 2, 28, 21, 5, 19), null],
    ['02/28/2024', us(2024, 2, 28), null],
    ['Wed, 28 Feb 2024 21:05:19 GMT', us(2024, 2, 28, 21, 5, 19), 0],
    ['Feb 28 2024 21:05:19 UTC', us(2024, 2, 28, 21, 5, 19), 0],
    ['February 28, 2024', us(2024, 2, 28), null],
    // a time alone: that time on `today`'s date
    ['21:05:19', us(2020, 1, 2, 21, 5, 19), null],
    ['1970-01-01T00:00:00Z', 0, 0],
    ['9999-12-31T23:59:59Z', us(9999, 12, 31, 23, 59, 59), 0],
  ];
  it.each(cases)('%j', (text, clock, offset) => {
    const t = parseDate(text, TODAY);
    expect(t.clock).toBe(clock);
    expect(t.offset).toBe(offset);
  });

  it('instantOf applies the offset; clock does not', () => {
    const t = parseDate('2024-02-28T03:00:00+02:00');
    expect(t.clock).toBe(us(2024, 2, 28, 3));
    expect(instantOf(t)).toBe(us(2024, 2, 28, 1));
    expect(instantOf(parseDate('2024-02-28T03:00:00'))).toBe(us(2024, 2, 28, 3));
  });
});

describe('parseDate: rejected values', () => {
  const bad = [
    '2024-02-30',
    '2023-02-29',
    '1900-02-29',
    '2024-04-31',
    '2024-13-01',
    '2024-00-10',
    '2024-01-00',
    '2024-02-28T24:00:00Z',
    '2024-02-28T21:60:00Z',
    '2024-02-28T21:05:60Z',
    '20240230T000000Z',
    'Feb 30 2024',
    'Foo 12 2024',
    'not a date',
    '',
    '   ',
    'x'.repeat(100),
    '2024-02-28T21:05:19Z junk',
  ];
  it.each(bad)('%j -> Unable to parse date value', (text) => {
    let caught: unknown;
    try {
      parseDate(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TrailproofError);
    expect((caught as TrailproofError).message).toBe(`Unable to parse date value: ${text}`);
    expect((caught as TrailproofError).code).toBe('argument');
  });
});

describe('formatDisplay / formatStamp / formatYmdPath', () => {
  const cases: Array<[number, string, string, string]> = [
    [us(2024, 2, 28, 21, 5, 19), '2024-02-28T21:05:19Z', '20240228T210519Z', '2024/02/28'],
    [us(2024, 2, 29, 0, 5, 19, 999_999), '2024-02-29T00:05:19Z', '20240229T000519Z', '2024/02/29'],
    [us(2024, 12, 31, 23, 59, 59, 1), '2024-12-31T23:59:59Z', '20241231T235959Z', '2024/12/31'],
    [0, '1970-01-01T00:00:00Z', '19700101T000000Z', '1970/01/01'],
    [-1, '1969-12-31T23:59:59Z', '19691231T235959Z', '1969/12/31'],
    [us(2100, 1, 1), '2100-01-01T00:00:00Z', '21000101T000000Z', '2100/01/01'],
  ];
  it.each(cases)('%i', (micros, display, stampText, ymd) => {
    expect(formatDisplay(micros)).toBe(display);
    expect(formatStamp(micros)).toBe(stampText);
    expect(formatYmdPath(micros)).toBe(ymd);
  });

  it('floorToSecond drops the fraction, towards the past', () => {
    expect(floorToSecond(us(2024, 2, 28, 21, 5, 19, 999_999))).toBe(us(2024, 2, 28, 21, 5, 19));
    expect(floorToSecond(-1)).toBe(-1_000_000);
  });

  it('parseStrictUtc accepts only YYYY-MM-DDTHH:MM:SSZ', () => {
    expect(parseStrictUtc('2024-02-28T21:05:19Z')).toBe(us(2024, 2, 28, 21, 5, 19));
    expect(parseStrictUtc('2024-02-28T21:05:19')).toBeNull();
    expect(parseStrictUtc('2024-02-28T21:05:19.1Z')).toBeNull();
    expect(parseStrictUtc('2024-02-30T00:00:00Z')).toBeNull();
  });
});

describe('properties', () => {
  const micros = fc.integer({ min: us(1970, 1, 1), max: us(2100, 12, 31, 23, 59, 59, 999_999) });

  it('parseDate(formatDisplay(t)).clock is t floored to the second (1970..2100)', () => {
    fc.assert(
      fc.property(micros, (t) => {
        const parsed = parseDate(formatDisplay(t));
        expect(parsed.clock).toBe(Math.floor(t / 1_000_000) * 1_000_000);
        expect(parsed.offset).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('parseDate(formatStamp(t)) agrees with Date for the same second', () => {
    fc.assert(
      fc.property(micros, (t) => {
        const s = formatStamp(t);
        expect(s).toMatch(/^\d{8}T\d{6}Z$/);
        const ms = Math.floor(t / 1_000_000) * 1000;
        expect(s).toBe(
          new Date(ms)
            .toISOString()
            .replace(/\.\d{3}Z$/, 'Z')
            .replace(/[-:]/g, ''),
        );
        expect(parseDate(s).clock).toBe(ms * 1000);
      }),
      { numRuns: 1000 },
    );
  });

  it('a zone offset never changes the clock', () => {
    fc.assert(
      fc.property(micros, fc.integer({ min: -12, max: 14 }), fc.constantFrom(0, 30, 45), (t, h, m) => {
        const sign = h < 0 ? '-' : '+';
        const text = `${formatDisplay(t).slice(0, -1)}${sign}${String(Math.abs(h)).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
        const parsed = parseDate(text);
        expect(parsed.clock).toBe(Math.floor(t / 1_000_000) * 1_000_000);
        expect(parsed.offset).toBe((h < 0 ? -1 : 1) * (Math.abs(h) * HOUR_US + m * MIN_US));
      }),
      { numRuns: 500 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDate } from '../../src/format/time.js';
import { deliveryTime, minuteOf } from '../../src/signer/sign.js';

/** The minute in a log's name (guide: "CloudTrail Log File Name Format"), as the signer reads it. */
function viaParseDate(text: string): number | undefined {
  try {
    return parseDate(`${text}00Z`).clock;
  } catch {
    return undefined;
  }
}

const digits = (n: number) => fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }).map((a) => a.join(''));

describe('minuteOf', () => {
  it('agrees with parseDate on any YYYYMMDDTHHMM of digits, valid or not', () => {
    fc.assert(
      fc.property(digits(8), digits(4), (date, time) => {
        const text = `${date}T${time}`;
        expect(minuteOf(text)).toBe(viaParseDate(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with parseDate on real minutes, month ends and leap days included', () => {
    const minute = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:00Z'), noInvalidDate: true });
    fc.assert(
      fc.property(minute, (t) => {
        const text = t.toISOString().slice(0, 16).replace(/[-:]/g, '');
        expect(minuteOf(text)).toBe(Math.floor(t.getTime() / 60_000) * 60_000 * 1000);
        expect(minuteOf(text)).toBe(viaParseDate(text));
      }),
      { numRuns: 2000 },
    );
    for (const text of ['20240229T2359', '20230229T0000', '20240431T0000', '20241231T2400', '20240101T0060', '00000101T0000']) {
      expect(minuteOf(text)).toBe(viaParseDate(text));
    }
  });

  it('deliveryTime reads it from a log key of the scope only', () => {
    const scope = { account: '111122223333', sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 't' };
    const key = 'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/03/111122223333_CloudTrail_us-east-1_20240503T1135Z_RYk7RXBZkOGRdSEr.json.gz';
    expect(deliveryTime(key, scope)).toBe(Date.UTC(2024, 4, 3, 11, 35) * 1000);
    expect(deliveryTime(key.replace('us-east-1_2024', 'eu-west-1_2024'), scope)).toBeUndefined();
    expect(deliveryTime(key.replace('T1135Z', 'T1175Z'), scope)).toBeUndefined();
  });
});

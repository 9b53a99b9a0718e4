import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDigestKeyMatcher,
  digestKey,
  digestKeyStamp,
  digestListPrefix,
  digestMarker,
  isBackfillKey,
  logKey,
  logListPrefix,
  type DigestScope,
} from '../../src/format/names.js';

/** Behaviour §2 and the guide's key formats. Expected keys are copied from test/vectors or written out by hand. */
const us = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, micros = 0): number => Date.UTC(y, mo - 1, d, h, mi, s) * 1000 + micros;

const SCOPE: DigestScope = { account: '123456789012', sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 'oracle-trail' };
// From test/vectors/clean (made by an independent Python implementation).
const VECTOR_KEY =
  'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_20240229T020519Z.json.gz';
const VECTOR_BACKFILL_KEY =
  'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_20240229T010519Z_backfill.json.gz';

describe('digest key names', () => {
  it('digestKey reproduces the vector keys', () => {
    expect(digestKey(SCOPE, us(2024, 2, 29, 2, 5, 19))).toBe(VECTOR_KEY);
    expect(digestKey(SCOPE, us(2024, 2, 29, 1, 5, 19), true)).toBe(VECTOR_BACKFILL_KEY);
  });

  it('drops fractions of a second from the stamp', () => {
    expect(digestKey(SCOPE, us(2024, 2, 29, 2, 5, 19, 999_999))).toBe(VECTOR_KEY);
  });

  it('prefix, organization and a cross-region source', () => {
    const scope: DigestScope = {
      prefix: 'logs/ct',
      organizationId: 'o-abc123def4',
      account: '111122223333',
      sourceRegion: 'eu-west-1',
      homeRegion: 'us-east-1',
      trailName: 'org-trail',
    };
    expect(digestListPrefix(scope)).toBe('logs/ct/AWSLogs/o-abc123def4/111122223333/CloudTrail-Digest/eu-west-1');
    expect(digestKey(scope, us(2023, 12, 31, 23, 59, 59))).toBe(
      'logs/ct/AWSLogs/o-abc123def4/111122223333/CloudTrail-Digest/eu-west-1/2023/12/31/' +
        '111122223333_CloudTrail-Digest_eu-west-1_org-trail_us-east-1_20231231T235959Z.json.gz',
    );
  });

  it('an empty prefix is no prefix', () => {
    expect(digestListPrefix({ ...SCOPE, prefix: '' })).toBe('AWSLogs/123456789012/CloudTrail-Digest/us-east-1');
  });

  it('the marker is the key one minute before the start', () => {
    expect(digestMarker(SCOPE, us(2024, 2, 28, 21, 5, 19))).toBe(
      'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/28/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_20240228T210419Z.json.gz',
    );
    // Crossing midnight into the leap day's eve: the folder moves back a day too.
    expect(digestMarker(SCOPE, us(2024, 3, 1, 0, 0, 30))).toBe(
      'AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_20240229T235930Z.json.gz',
    );
  });

  it('isBackfillKey looks at the suffix only', () => {
    expect(isBackfillKey(VECTOR_BACKFILL_KEY)).toBe(true);
    expect(isBackfillKey(VECTOR_KEY)).toBe(false);
    expect(isBackfillKey('x_backfill.json')).toBe(false);
    expect(isBackfillKey('_backfill.json.gz')).toBe(true);
  });
});

describe('digestKeyStamp', () => {
  it.each([
    [VECTOR_KEY, '20240229T020519Z'],
    [VECTOR_BACKFILL_KEY, '20240229T010519Z'],
    ['x_20240101T000000Z.json.gz', '20240101T000000Z'],
    ['short.json.gz', 'short'],
    ['', ''],
  ])('%s -> %s', (key, expected) => {
    expect(digestKeyStamp(key)).toBe(expected);
  });

  it('is the 16 code points before the suffix, counted from the end, whatever the key (property, against Array.from)', () => {
    const slow = (key: string): string => {
      const cps = Array.from(key);
      const end = isBackfillKey(key) ? cps.length - 17 : cps.length - 8;
      return cps.slice(Math.max(0, end - 16), Math.max(0, end)).join('');
    };
    const unit = fc.constantFrom('a', '0', 'T', 'Z', '_', '/', 'é', '😀', '\uD800', '\uDC00', '٢');
    const key = fc
      .tuple(fc.array(unit, { maxLength: 40 }), fc.constantFrom('.json.gz', '_backfill.json.gz', '', 'gz'))
      .map(([cs, suffix]) => cs.join('') + suffix);
    fc.assert(
      fc.property(key, (k) => {
        expect(digestKeyStamp(k)).toBe(slow(k));
      }),
      { numRuns: 2000 },
    );
  });

  it('counts code points, as Python slices do', () => {
    expect(digestKeyStamp(`abc${'😀'.repeat(16)}.json.gz`)).toBe('😀'.repeat(16));
    expect(digestKeyStamp(`é😀${'٢'.repeat(15)}.json.gz`)).toBe(`😀${'٢'.repeat(15)}`);
  });
});

describe('createDigestKeyMatcher', () => {
  const base = 'AWSLogs/123456789012/CloudTrail-Digest/us-east-1';
  const file = (rest: string): string => `123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_${rest}`;
  const cases: Array<[string, string, boolean]> = [
    ['standard key', VECTOR_KEY, true],
    ['backfill key', VECTOR_BACKFILL_KEY, true],
    ['any text before .json.gz', `${base}/2024/02/29/${file('x.json.gz')}`, true],
    ['a slash in the free part', `${base}/2024/02/29/${file('a/b.json.gz')}`, true],
    ['any number of digits in folders', `${base}/1/2/300000/${file('20240229T020519Z.json.gz')}`, true],
    ['Unicode decimal digits in folders (Python \\d)', `${base}/٢٠٢٤/٠٢/٢٩/${file('20240229T020519Z.json.gz')}`, true],
    ['empty free part', `${base}/2024/02/29/${file('.json.gz')}`, false],
    ['newline in the free part', `${base}/2024/02/29/${file('a\nb.json.gz')}`, false],
    ['not .json.gz', `${base}/2024/02/29/${file('20240229T020519Z.json')}`, false],
    ['sidecar', `${VECTOR_KEY}.metadata.json`, false],
    ['letters in a date folder', `${base}/2024/0x/29/${file('20240229T020519Z.json.gz')}`, false],
    ['empty date folder', `${base}/2024//29/${file('20240229T020519Z.json.gz')}`, false],
    ['two date folders', `${base}/2024/02/${file('20240229T020519Z.json.gz')}`, false],
    ['four date folders', `${base}/2024/02/29/01/${file('20240229T020519Z.json.gz')}`, false],
    [
      'another trail with this name as prefix',
      `${base}/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle-trail2_us-east-1_20240229T020519Z.json.gz`,
      false,
    ],
    [
      'a trail whose name is a prefix of this one',
      `${base}/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle_us-east-1_20240229T020519Z.json.gz`,
      false,
    ],
    ['another home region', `${base}/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-west-2_20240229T020519Z.json.gz`, false],
    [
      'another source region in the file name',
      `${base}/2024/02/29/123456789012_CloudTrail-Digest_us-west-2_oracle-trail_us-east-1_20240229T020519Z.json.gz`,
      false,
    ],
    ['another source region folder', `AWSLogs/123456789012/CloudTrail-Digest/us-east-2/2024/02/29/${file('20240229T020519Z.json.gz')}`, false],
    ['another account in the file name', `${base}/2024/02/29/210987654321_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_20240229T020519Z.json.gz`, false],
    ['a log file', 'AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/29/123456789012_CloudTrail_us-east-1_20240229T0122Z_HTe0orQGrb1qxUju.json.gz', false],
    ['a prefix the scope does not have', `p/${VECTOR_KEY}`, false],
    ['an organization folder the scope does not have', `AWSLogs/o-123/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/${file('x.json.gz')}`, false],
  ];
  const match = createDigestKeyMatcher(SCOPE);
  it.each(cases)('%s', (_label, key, expected) => {
    expect(match(key)).toBe(expected);
  });

  it('matches names literally, never as patterns', () => {
    const m = createDigestKeyMatcher({ ...SCOPE, trailName: 'a.b+', prefix: 'p(x)' });
    const head = 'p(x)/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_';
    expect(m(`${head}a.b+_us-east-1_x.json.gz`)).toBe(true);
    expect(m(`${head}axbb_us-east-1_x.json.gz`)).toBe(false);
    expect(m(`${head}a.bb_us-east-1_x.json.gz`)).toBe(false);
    expect(m(`px/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_a.b+_us-east-1_x.json.gz`)).toBe(false);
  });

  it('prefix and organization id', () => {
    const m = createDigestKeyMatcher({ ...SCOPE, prefix: 'logs', organizationId: 'o-abc' });
    const name = file('20240229T020519Z.json.gz');
    expect(m(`logs/AWSLogs/o-abc/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/${name}`)).toBe(true);
    expect(m(`logs/AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/${name}`)).toBe(false);
    expect(m(`AWSLogs/o-abc/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/${name}`)).toBe(false);
    expect(m(`logs/AWSLogs/o-abd/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/${name}`)).toBe(false);
  });

  it('source and home regions differ', () => {
    const m = createDigestKeyMatcher({ ...SCOPE, sourceRegion: 'eu-west-1', homeRegion: 'us-east-1' });
    expect(m('AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2024/02/29/123456789012_CloudTrail-Digest_eu-west-1_oracle-trail_us-east-1_x.json.gz')).toBe(
      true,
    );
    expect(m('AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/2024/02/29/123456789012_CloudTrail-Digest_eu-west-1_oracle-trail_eu-west-1_x.json.gz')).toBe(
      false,
    );
    expect(m('AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/02/29/123456789012_CloudTrail-Digest_us-east-1_oracle-trail_us-east-1_x.json.gz')).toBe(
      false,
    );
  });

  it('every key digestKey makes matches, for any end time', () => {
    for (let t = us(2023, 12, 31, 22); t < us(2024, 1, 1, 2); t += 7 * 60_000_000) {
      expect(match(digestKey(SCOPE, t))).toBe(true);
      expect(match(digestKey(SCOPE, t, true))).toBe(true);
      expect(match(digestMarker(SCOPE, t))).toBe(true);
    }
  });
});

describe('log keys', () => {
  it('logKey follows the guide format (minute stamp, unique suffix)', () => {
    expect(logKey({ account: '123456789012' }, 'us-east-1', us(2024, 2, 29, 1, 22, 59), 'HTe0orQGrb1qxUju')).toBe(
      'AWSLogs/123456789012/CloudTrail/us-east-1/2024/02/29/123456789012_CloudTrail_us-east-1_20240229T0122Z_HTe0orQGrb1qxUju.json.gz',
    );
    expect(logKey({ account: '1', prefix: 'p', organizationId: 'o-1' }, 'eu-west-1', us(2024, 1, 1), 'u')).toBe(
      'p/AWSLogs/o-1/1/CloudTrail/eu-west-1/2024/01/01/1_CloudTrail_eu-west-1_20240101T0000Z_u.json.gz',
    );
    expect(logListPrefix({ account: '1' }, 'us-east-1')).toBe('AWSLogs/1/CloudTrail/us-east-1/');
  });
});

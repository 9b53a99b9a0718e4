import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainId, classifyKey } from '../../src/format/archive-keys.js';
import { minuteStampOf } from '../../src/format/minute.js';
import { digestKey, logKey, type DigestScope } from '../../src/format/names.js';
import { parseDate } from '../../src/format/time.js';

/** Reading a trail bucket's keys back into chains and log files (the audit's discovery). */
const T = (iso: string) => parseDate(iso).clock;

const region = fc.constantFrom('us-east-1', 'eu-west-3', 'ap-southeast-2', 'us-gov-west-1', 'cn-northwest-1');
const scopeArb: fc.Arbitrary<DigestScope> = fc.record({
  prefix: fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,10}(\/[a-z0-9][a-z0-9._-]{0,10}){0,2}$/), { nil: undefined }),
  organizationId: fc.option(fc.stringMatching(/^o-[a-z0-9]{10,12}$/), { nil: undefined }),
  account: fc.stringMatching(/^\d{12}$/),
  sourceRegion: region,
  homeRegion: region,
  // CloudTrail trail names: letters, digits, periods, underscores, dashes.
  trailName: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
});
const time = fc.integer({ min: T('2013-11-01T00:00:00Z') / 60e6, max: T('2040-01-01T00:00:00Z') / 60e6 }).map((m) => m * 60e6);

describe('classifyKey', () => {
  it('reads back the scope of any digest key, standard or backfill', () => {
    fc.assert(
      fc.property(scopeArb, time, fc.boolean(), (scope, end, backfill) => {
        const got = classifyKey(digestKey(scope, end, backfill));
        expect(got).toEqual({ kind: 'digest', scope, backfill });
      }),
      { numRuns: 300 },
    );
  });

  it('reads back the account, region and delivery minute of any log key', () => {
    fc.assert(
      fc.property(scopeArb, time, fc.stringMatching(/^[A-Za-z0-9]{16}$/), (scope, at, unique) => {
        const got = classifyKey(logKey(scope, scope.sourceRegion, at, unique));
        expect(got).toEqual({
          kind: 'log',
          prefix: scope.prefix,
          organizationId: scope.organizationId,
          account: scope.account,
          region: scope.sourceRegion,
          delivered: at,
        });
      }),
      { numRuns: 300 },
    );
  });

  it('names everything else under AWSLogs/ "other", and keys elsewhere "outside"', () => {
    const s: DigestScope = { account: '111122223333', sourceRegion: 'us-east-1', homeRegion: 'us-east-1', trailName: 't' };
    const d = digestKey(s, T('2024-05-01T01:00:00Z'));
    const l = logKey(s, 'us-east-1', T('2024-05-01T00:05:00Z'), 'AbCdEfGhIjKlMnOp');
    for (const k of [
      'AWSLogs/111122223333/notes.txt',
      'AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2024/05/01/x.json.gz',
      d.replace('_CloudTrail-Digest_us-east-1_', '_CloudTrail-Digest_eu-west-1_'),
      d.replace('.json.gz', '.json'),
      l.replace('AbCdEfGhIjKlMnOp', 'short'),
      `${l}/extra`,
    ]) {
      expect(classifyKey(k), k).toEqual({ kind: 'other' });
    }
    // Named as CloudTrail names a log, for another account, region or day than its folder's (CloudTrail never files one there): a misfiled log of that folder.
    const folder = { prefix: undefined, organizationId: undefined, account: '111122223333', region: 'us-east-1' };
    for (const [k, folderRegion] of [
      [l.replace('111122223333_CloudTrail', '444455556666_CloudTrail'), 'us-east-1'],
      [l.replace('_CloudTrail_us-east-1_', '_CloudTrail_eu-west-1_'), 'us-east-1'],
      [l.replace('/us-east-1/', '/eu-west-1/'), 'eu-west-1'],
      [l.replace('/2024/05/01/', '/2024/05/02/'), 'us-east-1'],
      [l.replace('/2024/05/01/', '/2023/05/01/'), 'us-east-1'],
    ] as const) {
      expect(classifyKey(k), k).toEqual({ kind: 'log', ...folder, region: folderRegion, delivered: T('2024-05-01T00:05:00Z'), misfiled: true });
    }
    // A prefix with an empty segment is no trail's (as '', it would pass for no prefix at all).
    for (const k of [`/${l}`, `/${d}`, `a//${l}`, `/a/${l}`, `a//${d}`]) expect(classifyKey(k), k).toEqual({ kind: 'other' });
    expect(classifyKey('readme.txt')).toEqual({ kind: 'outside' });
    expect(classifyKey('logs/elsewhere/x.json.gz')).toEqual({ kind: 'outside' });
  });

  it('never throws on any key (hostile names)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (k) => void classifyKey(`AWSLogs/${k}`)),
      { numRuns: 500 },
    );
  });

  it('classifies a key the same whatever was classified before it (the folder it remembers)', () => {
    // Keys of few folders, mixed: digest and log folders, with and without an organization or prefix.
    const folder = fc.constantFrom(
      'AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/',
      'AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/05/01/',
      'p/AWSLogs/o-abcdefghij/111122223333/CloudTrail/eu-west-3/2024/05/01/',
      'AWSLogs/o-abcdefghij/',
      'AWSLogs/',
      'other/',
      '',
    );
    const file = fc.constantFrom(
      '111122223333_CloudTrail_us-east-1_20240501T0105Z_AbCdEfGhIjKlMnOp.json.gz',
      '111122223333_CloudTrail_eu-west-3_20240501T2359Z_AbCdEfGhIjKlMnOp.json.gz',
      '111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20240501T010000Z.json.gz',
      '111122223333',
      'o-abcdefghij',
      '',
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(folder, file), { minLength: 1, maxLength: 12 }), (pairs) => {
        const keys = pairs.map(([d, f]) => d + f);
        const inOrder = keys.map((k) => classifyKey(k));
        const alone = keys.map((k) => {
          classifyKey('AWSLogs/999999999999/CloudTrail/us-west-2/2020/01/01/x'); // another folder first
          return classifyKey(k);
        });
        expect([...keys].reverse().map((k) => classifyKey(k))).toEqual([...inOrder].reverse());
        expect(alone).toEqual(inOrder);
      }),
      { numRuns: 300 },
    );
  });

  it('gives distinct chains distinct ids', () => {
    fc.assert(
      fc.property(scopeArb, scopeArb, (a, b) => {
        expect(chainId(a) === chainId(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
      }),
      { numRuns: 200 },
    );
  });
});

describe('minuteStampOf', () => {
  it('agrees with the general date parser on every minute', () => {
    fc.assert(
      fc.property(time, (at) => {
        const text = new Date(at / 1000).toISOString().slice(0, 16).replace(/[-:]/g, '');
        expect(minuteStampOf(text)).toBe(parseDate(`${text}00Z`).clock);
      }),
      { numRuns: 300 },
    );
  });
});

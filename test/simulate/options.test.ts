import { describe, expect, it } from 'vitest';
import { TrailproofError } from '../../src/errors.js';
import { parseDate } from '../../src/format/time.js';
import { bucketNameProblem, checkSimulateOptions, prefixProblem, type SimulateOptions } from '../../src/simulate/options.js';

const BASE: SimulateOptions = {
  bucket: 'demo-trail-bucket',
  account: '123456789012',
  regions: ['us-east-1'],
  start: parseDate('2024-02-28T21:00Z').clock,
  hours: 1,
};

describe('bucketNameProblem (S3 general purpose bucket naming rules)', () => {
  it.each(['abc', 'my-trail.logs', 'a'.repeat(63), '1bucket9', 'logs-123456789012'])('accepts %s', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });
  it.each([
    ['ab', '3 to 63'],
    ['a'.repeat(64), '3 to 63'],
    ['My-Bucket', 'lowercase'],
    ['my_bucket', 'lowercase'],
    ['-bucket', 'begin and end'],
    ['bucket.', 'begin and end'],
    ['my..bucket', 'adjacent dots'],
    ['192.168.5.4', 'IP address'],
    ['xn--bucket', "'xn--'"],
    ['sthree-bucket', "'sthree-'"],
    ['amzn-s3-demo-bucket', "'amzn-s3-demo-'"],
    ['bucket-s3alias', "'-s3alias'"],
    ['bucket--ol-s3', "'--ol-s3'"],
    ['bucket.mrap', "'.mrap'"],
    ['bucket--x-s3', "'--x-s3'"],
    ['bucket--table-s3', "'--table-s3'"],
  ])('rejects %s', (name, why) => {
    expect(bucketNameProblem(name)).toContain(why);
  });
});

describe('prefixProblem', () => {
  it.each(['logs', 'audit/trail-1', "a!b_c.d*e'f(g)h-i", 'x'.repeat(200)])('accepts %s', (p) => {
    expect(prefixProblem(p)).toBeUndefined();
  });
  it.each(['/logs', 'logs/', 'a//b', 'a/../b', './a', 'a b', 'a\u0000b', 'é', 'x'.repeat(201), ''])('rejects %j', (p) => {
    expect(prefixProblem(p)).toBeDefined();
  });
});

describe('checkSimulateOptions', () => {
  it('fills in the defaults', () => {
    const { account, ...rest } = BASE;
    expect(checkSimulateOptions(BASE)).toEqual({
      ...rest,
      accounts: [account],
      streamPerAccount: false,
      filesPerHour: 12,
      recordsPerFile: 100,
      seed: 1,
      prefix: undefined,
      organizationId: undefined,
      dataEvents: false,
      gzipLevel: 6,
      concurrency: 4,
    });
  });

  it.each<[Partial<SimulateOptions>, string]>([
    [{ bucket: 'Bad_Bucket' }, 'Invalid bucket name "Bad_Bucket": it may contain only lowercase letters, digits, dots and hyphens'],
    [{ account: '12345678901' }, 'Invalid account ID "12345678901": expected 12 digits'],
    [{ account: '12345678901a' }, 'Invalid account ID'],
    [{ account: undefined }, 'Give one account, or a list of accounts (not both)'],
    [{ accounts: ['111122223333'] }, 'Give one account, or a list of accounts (not both)'],
    [{ account: undefined, accounts: [] }, 'Give 1 to 1000 accounts'],
    [{ account: undefined, accounts: Array.from({ length: 1001 }, (_, i) => String(1e11 + i)) }, 'Give 1 to 1000 accounts'],
    [{ account: undefined, accounts: ['111122223333', '1111222233334'] }, 'Invalid account ID "1111222233334": expected 12 digits'],
    [{ account: undefined, accounts: ['111122223333', '444455556666', '111122223333'] }, 'Duplicate account "111122223333": each account is simulated once'],
    [{ regions: [] }, 'Give 1 to 32 regions'],
    [{ regions: Array.from({ length: 33 }, (_, i) => `us-east-${i + 1}`) }, 'Give 1 to 32 regions'],
    [{ regions: ['us-east-1', 'US-WEST-2'] }, 'Invalid region "US-WEST-2": expected a region name like us-east-1'],
    [{ regions: ['useast1'] }, 'Invalid region'],
    [{ regions: ['us-east-1', 'us-east-1'] }, 'Duplicate region'],
    [{ hours: 0 }, 'Invalid number of hours "0": expected a whole number from 1 to 87840'],
    [{ hours: 1.5 }, 'Invalid number of hours'],
    [{ hours: Number.NaN }, 'Invalid number of hours'],
    [{ start: BASE.start + 30_000_000 }, 'expected a whole minute'],
    [{ start: -60_000_000 }, 'expected a whole minute'],
    [{ start: parseDate('2199-12-31T23:30Z').clock }, 'by the year 2200'],
    [{ filesPerHour: 601 }, 'Invalid files per hour "601"'],
    [{ recordsPerFile: 0 }, 'Invalid records per file "0"'],
    [{ seed: '' }, 'Invalid seed'],
    [{ seed: 'x'.repeat(257) }, 'Invalid seed'],
    [{ seed: 0.5 }, 'Invalid seed'],
    [{ prefix: 'a//b' }, 'Invalid key prefix "a//b"'],
    [{ organizationId: 'o-abc' }, 'Invalid organization ID "o-abc"'],
    [{ gzipLevel: 10 }, 'Invalid gzip level "10"'],
    [{ concurrency: 0 }, 'Invalid concurrency "0"'],
  ])('rejects %j', (change, message) => {
    let caught: unknown;
    try {
      checkSimulateOptions({ ...BASE, ...change });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TrailproofError);
    expect((caught as TrailproofError).code).toBe('argument');
    expect((caught as TrailproofError).message).toContain(message);
  });

  it('quotes hostile values bounded and escaped', () => {
    expect(() => checkSimulateOptions({ ...BASE, account: `\u001b[31m${'9'.repeat(500)}` })).toThrow(
      /^Invalid account ID "\\u001b\[31m9{75}\.\.\.": expected 12 digits$/,
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/distributed/redis-url.js';
import { SchemaError } from '../../src/distributed/schema.js';
import { checkJob, checkResult, checkRunConfig, parseEnvelope, WIRE_VERSION, type SegmentResult } from '../../src/distributed/wire.js';

/** Queue messages are hostile input: exact shapes round-trip; anything else is refused with a SchemaError. */
const key = fc.string({ maxLength: 40 });
const time = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
const log = fc.oneof(fc.constant(true as const), fc.string({ maxLength: 20 }), fc.tuple(fc.constant('f' as const), fc.string({ maxLength: 20 })));
const item = fc.oneof(
  fc.tuple(fc.constant('g' as const), time, time),
  fc.tuple(fc.constant('i' as const), key, key, fc.string({ maxLength: 20 })),
  fc.tuple(
    fc.constant('v' as const),
    key,
    key,
    fc.base64String({ maxLength: 40 }),
    fc.string({ maxLength: 10 }),
    fc.string({ maxLength: 10 }),
    fc.array(log, { maxLength: 5 }),
  ),
);
const end = fc.oneof(
  fc.constant(['done'] as const),
  fc.tuple(fc.constant('link' as const), key, time),
  fc.tuple(fc.constant('fell' as const), time, fc.boolean()),
  fc.tuple(fc.constant('fatal' as const), fc.string({ maxLength: 20 }), fc.constantFrom('walk' as const, 'logs' as const)),
  fc.tuple(fc.constant('irregular' as const), fc.string({ maxLength: 20 })),
);
const part = fc.record({ last: fc.option(key, { nil: null }), items: fc.array(item, { maxLength: 4 }), end });
const result = fc.record({
  v: fc.constant(1 as const),
  listing: fc.option(fc.tuple(fc.constantFrom('fatal' as const, 'irregular' as const), fc.string({ maxLength: 10 })), { nil: null }),
  standard: fc.option(part, { nil: null }),
  backfill: fc.option(part, { nil: null }),
}) as fc.Arbitrary<SegmentResult>;

describe('segment results', () => {
  it('round-trip through JSON and the check', () => {
    fc.assert(
      fc.property(result, (r) => {
        expect(checkResult(JSON.parse(JSON.stringify(r)), '')).toEqual(r);
      }),
    );
  });

  it('an extra field, a missing one, or a value of the wrong type is refused', () => {
    fc.assert(
      fc.property(result, fc.constantFrom('extra', 'missing', 'type'), (r, how) => {
        const o = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
        if (how === 'extra') o.more = 1;
        if (how === 'missing') delete o.standard;
        if (how === 'type') o.v = '1';
        expect(() => checkResult(o, '')).toThrow(SchemaError);
      }),
    );
  });

  it('arbitrary JSON is refused, never thrown through as something else', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        try {
          parseEnvelope(text);
        } catch (err) {
          expect(err).toBeInstanceOf(SchemaError);
        }
      }),
    );
  });

  it('a reference must name a result of the run, not a path of its choosing', () => {
    const ref = (k: string) => JSON.stringify({ v: 1, result: null, ref: { key: k, bytes: 1, sha256: '0'.repeat(64) } });
    expect(parseEnvelope(ref('run-1/job-1.json')).ref?.key).toBe('run-1/job-1.json');
    for (const k of ['../../etc/passwd', '/abs/x.json', 'run/../x.json', 'run-1/job 1.json']) expect(() => parseEnvelope(ref(k))).toThrow(SchemaError);
  });

  it('run settings of another version are refused (a worker and a coordinator of different versions never mix)', () => {
    const config = { v: WIRE_VERSION, run: 'r-1', bucket: 'b', store: ['s3'], inventory: null, keys: '[]', end: 0, results: null, inlineMax: 1 };
    expect(checkRunConfig(config, '')).toEqual(config);
    for (const v of [WIRE_VERSION - 1, WIRE_VERSION + 1]) expect(() => checkRunConfig({ ...config, v }, '')).toThrow(SchemaError);
  });

  it('jobs: unbounded strings are refused', () => {
    const job = {
      v: 1,
      run: 'r-1',
      scope: { prefix: null, organizationId: null, account: '1', sourceRegion: 'r', homeRegion: 'r', trailName: 't' },
      start: 0,
      seg: null,
    };
    expect(checkJob(job, '')).toEqual(job);
    expect(() => checkJob({ ...job, scope: { ...job.scope, trailName: 'x'.repeat(10_000) } }, '')).toThrow(SchemaError);
    expect(() => checkJob({ ...job, run: 'R:1' }, '')).toThrow(SchemaError);
  });
});

describe('--queue URL', () => {
  it('reads host, port and database; never shows the password', () => {
    const t = parseRedisUrl('redis://:s3cret@10.0.0.5:6380/2');
    expect(t).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, password: 's3cret', tls: false, display: 'redis://10.0.0.5:6380/2' });
    expect(parseRedisUrl('rediss://h').display).toBe('rediss://h:6379/0');
    for (const bad of ['http://h:1/0', 'redis://h:1/x', 'redis://h:1/0?a=b', 'nonsense']) expect(() => parseRedisUrl(bad)).toThrow(/--queue/);
  });
});

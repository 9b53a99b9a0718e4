import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBytes, gunzipMember } from '../../src/crypto/gzip.js';
import { gunzipMemberFast, gunzipMemberSync, inflateWhole, inflateWholeToBuffer, MemberInflater, setZlibEngineReuse } from '../../src/crypto/gzip-sync.js';

/**
 * The whole-buffer gunzips against the streaming gunzipMember (the reference semantics, behaviour
 * §4): where a fast path decides, its verdict and output must be the stream's; where it cannot, it
 * must say so (undefined) rather than guess.
 */
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Verdict {
  status: string;
  trailing: boolean;
  /** SHA-256 of the output; only compared where it matters (a complete member without trailing data). */
  hash: string | null;
}

async function reference(input: Buffer): Promise<Verdict> {
  const h = createHash('sha256');
  const r = await gunzipMember(fromBytes(input, 997), (c) => h.update(c));
  return { status: r.status, trailing: r.trailing, hash: r.status === 'complete' && !r.trailing ? h.digest('hex') : null };
}

function viaInflater(inflater: MemberInflater, input: Buffer): Verdict | undefined {
  const h = createHash('sha256');
  const r = inflater.member(input, (c) => h.update(c));
  return r && { status: r.status, trailing: r.trailing, hash: r.status === 'complete' && !r.trailing ? h.digest('hex') : null };
}

function viaFast(input: Buffer, max = 1 << 24): Verdict | undefined {
  const r = gunzipMemberFast(input, max);
  return r && { status: r.status, trailing: r.trailing, hash: r.status === 'complete' && !r.trailing ? sha(r.data) : null };
}

/** The digest reader's path (store/digest-object.ts): the reused inflater, bounded, into one buffer. */
function viaBuffer(input: Buffer, max = 1 << 24): Verdict | undefined {
  const r = inflateWholeToBuffer(input, max);
  return r && { status: r.status, trailing: r.trailing, hash: r.status === 'complete' && !r.trailing ? sha(r.data) : null };
}

function viaSync(input: Buffer, max = 1 << 24): Verdict | undefined {
  const r = gunzipMemberSync(input, max);
  return r && { status: r.status, trailing: r.trailing, hash: r.status === 'complete' && !r.trailing ? sha(r.data) : null };
}

const created = MemberInflater.create(1024);
if (!created) throw new Error('MemberInflater is not available on this runtime (the log workers would fall back)');
const inflater: MemberInflater = created;

const TEXT = Buffer.from(
  JSON.stringify({ Records: Array.from({ length: 300 }, (_, i) => ({ eventTime: `2024-05-01T00:${String(i % 60).padStart(2, '0')}:00Z`, i })) }),
);
const gz = zlib.gzipSync(TEXT);
/** An empty member: header, an empty fixed-Huffman block, CRC 0, ISIZE 0. */
const EMPTY = zlib.gzipSync(Buffer.alloc(0));

/** Inputs every whole-buffer path must judge as the stream does. */
const CASES: Array<[string, Buffer]> = [
  ['a member', gz],
  ['an empty member', EMPTY],
  ['a stored (level 0) member', zlib.gzipSync(TEXT, { level: 0 })],
  ['a member larger than the output buffer many times', zlib.gzipSync(Buffer.concat(Array.from({ length: 40 }, () => TEXT)))],
  ['two members', Buffer.concat([gz, zlib.gzipSync(Buffer.from('second'))])],
  ['an empty member, then a member', Buffer.concat([EMPTY, gz])],
  ['a member, then an empty member', Buffer.concat([gz, EMPTY])],
  ['zero padding', Buffer.concat([gz, Buffer.alloc(16)])],
  ['one trailing byte', Buffer.concat([gz, Buffer.from([0x41])])],
  ['garbage after the member', Buffer.concat([gz, Buffer.from('not gzip at all')])],
  ['a truncated member', gz.subarray(0, gz.length - 100)],
  ['a member without its trailer', gz.subarray(0, gz.length - 8)],
  ['a header only', gz.subarray(0, 10)],
  ['a bad CRC', Buffer.concat([gz.subarray(0, gz.length - 8), Buffer.from([1, 2, 3, 4]), gz.subarray(gz.length - 4)])],
  ['a bad ISIZE', Buffer.concat([gz.subarray(0, gz.length - 4), Buffer.from([9, 9, 9, 9])])],
  ['the first CRC byte deleted (CRC complete and wrong, ISIZE cut)', Buffer.concat([gz.subarray(0, gz.length - 8), gz.subarray(gz.length - 7)])],
  ['the trailer cut after a right CRC', gz.subarray(0, gz.length - 3)],
  ['corrupt deflate data', Buffer.concat([gz.subarray(0, 10), Buffer.alloc(40, 0xff), gz.subarray(50)])],
  ['a zlib stream, not gzip', zlib.deflateSync(TEXT)],
  ['nothing', Buffer.alloc(0)],
];

describe('MemberInflater', () => {
  it.each(CASES)('%s: decided as the stream decides, or left undecided', async (_name, input) => {
    const want = await reference(input);
    const got = viaInflater(inflater, input);
    if (got !== undefined) expect(got).toEqual(want);
    // The chain the log workers run ends in the same verdict.
    const chained = got ?? viaFast(input) ?? want;
    expect(chained).toEqual(want);
  });

  it('decides the common case itself: a complete member, and a member followed by other data', () => {
    expect(viaInflater(inflater, gz)).toEqual({ status: 'complete', trailing: false, hash: sha(TEXT) });
    expect(viaInflater(inflater, Buffer.concat([gz, Buffer.alloc(4)]))).toEqual({ status: 'complete', trailing: true, hash: null });
  });

  it('leaves an empty first member followed by another to the exact path', () => {
    expect(viaInflater(inflater, Buffer.concat([EMPTY, gz]))).toBeUndefined();
  });

  it('hands the output over in pieces no larger than its buffer, views that are reused', () => {
    const big = Buffer.concat(Array.from({ length: 20 }, () => TEXT));
    const sizes: number[] = [];
    const copies: Buffer[] = [];
    const r = inflater.member(zlib.gzipSync(big), (c) => {
      sizes.push(c.length);
      copies.push(Buffer.from(c));
    });
    expect(r).toEqual({ status: 'complete', trailing: false, size: big.length });
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1024);
    expect(Buffer.concat(copies).equals(big)).toBe(true);
  });

  it('works again after corrupt and truncated input (a fresh engine)', () => {
    for (const bad of [CASES.find((c) => c[0] === 'corrupt deflate data')![1], gz.subarray(0, 30)]) {
      expect(viaInflater(inflater, bad)).toBeUndefined();
      expect(viaInflater(inflater, gz)).toEqual({ status: 'complete', trailing: false, hash: sha(TEXT) });
    }
  });
});

describe.each([true, false])('inflateWhole (the chain the log workers and the S3 checker run), zlib engine reuse %s', (reuse) => {
  beforeAll(() => setZlibEngineReuse(reuse));
  afterAll(() => setZlibEngineReuse(true));
  it.each(CASES)('%s: the verdict of the stream, and the output of the attempt that decided, or undefined', async (_name, input) => {
    const want = await reference(input);
    let h = createHash('sha256');
    const r = inflateWhole(input, 1 << 24, () => {
      h = createHash('sha256');
      return (c) => h.update(c);
    });
    if (r === undefined) return;
    expect({ status: r.status, trailing: r.trailing, hash: r.status === 'complete' && !r.trailing ? h.digest('hex') : null }).toEqual(want);
  });
});

describe('gunzipMemberFast and gunzipMemberSync', () => {
  it.each(CASES)('%s: decided as the stream decides, or left to it', async (_name, input) => {
    const want = await reference(input);
    for (const got of [viaFast(input), viaSync(input)]) if (got !== undefined) expect(got).toEqual(want);
  });

  it('an output beyond the limit is left to the stream', () => {
    expect(gunzipMemberFast(zlib.gzipSync(Buffer.alloc(100_000)), 50_000)).toBeUndefined();
  });
});

describe('properties', () => {
  const content = fc.oneof(
    fc.uint8Array({ maxLength: 5000 }),
    fc.string({ maxLength: 4000 }).map((s) => Buffer.from(s, 'utf8')),
  );
  /** gzip(x), possibly cut, extended, doubled or with one byte changed. */
  const input = fc
    .tuple(
      content,
      fc.integer({ min: 0, max: 9 }),
      fc.constantFrom('whole', 'cut', 'extra', 'second member', 'flip'),
      fc.nat(),
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
    )
    .map(([x, level, how, n, extra]) => {
      const g = zlib.gzipSync(x, { level });
      if (how === 'cut') return g.subarray(0, n % g.length);
      if (how === 'extra') return Buffer.concat([g, extra]);
      if (how === 'second member') return Buffer.concat([g, zlib.gzipSync(extra)]);
      if (how === 'flip') {
        const b = Buffer.from(g);
        b[n % b.length]! ^= 1 << (n % 8);
        return b;
      }
      return g;
    });

  it('every whole-buffer path agrees with the stream wherever it decides', async () => {
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const want = await reference(bytes);
        const got = viaInflater(inflater, bytes);
        if (got !== undefined) expect(got).toEqual(want);
        const fast = viaFast(bytes);
        if (fast !== undefined) expect(fast).toEqual(want);
        const sync = viaSync(bytes);
        if (sync !== undefined) expect(sync).toEqual(want);
        const whole = viaBuffer(bytes);
        if (whole !== undefined) expect(whole).toEqual(want);
      }),
      { numRuns: 400 },
    );
  });

  /**
   * The reference's zlib on a member whose trailer (RFC 1952: CRC-32, ISIZE) lost bytes or had a
   * byte deleted: a complete (4-byte) CRC is checked even when ISIZE is cut short (vectors
   * crc-mismatch, trailer-cut). zlib's own streaming gunzip with Z_SYNC_FLUSH is the oracle: it
   * errors on a wrong check value and waits for more input otherwise.
   */
  it('a trailer that lost bytes: a complete wrong CRC-32 is corrupt in every path, otherwise it is truncated', async () => {
    const oracle = (b: Buffer): 'corrupt' | 'not corrupt' => {
      try {
        zlib.gunzipSync(b, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
        return 'not corrupt';
      } catch {
        return 'corrupt';
      }
    };
    await fc.assert(
      fc.asyncProperty(content, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 1, max: 8 }), async (x, at, cut) => {
        const g = zlib.gzipSync(x);
        const body = g.subarray(0, g.length - 8);
        const trailer = g.subarray(g.length - 8);
        // Either one trailer byte deleted (`at`), or the trailer cut to 8 - cut bytes.
        const variants = [Buffer.concat([body, trailer.subarray(0, at), trailer.subarray(at + 1)]), Buffer.concat([body, trailer.subarray(0, 8 - cut)])];
        for (const bytes of variants) {
          const want = await reference(bytes);
          expect(want.status === 'corrupt' ? 'corrupt' : 'not corrupt').toBe(oracle(bytes));
          for (const got of [viaInflater(inflater, bytes), viaFast(bytes), viaSync(bytes)]) if (got !== undefined) expect(got).toEqual(want);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the inflater decides every complete member of non-empty content, with its exact bytes', () => {
    fc.assert(
      fc.property(
        content.filter((x) => x.length > 0),
        fc.integer({ min: 0, max: 9 }),
        (x, level) => {
          const parts: Buffer[] = [];
          const r = inflater.member(zlib.gzipSync(x, { level }), (c) => parts.push(Buffer.from(c)));
          expect(r).toEqual({ status: 'complete', trailing: false, size: x.length });
          expect(Buffer.concat(parts).equals(Buffer.from(x))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a bounded read stops at its bound (a gzip bomb is not inflated whole), and the inflater works on afterwards', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(8 << 20));
    expect(inflateWholeToBuffer(bomb, 64 << 10)).toBeUndefined();
    const parts: Buffer[] = [];
    const r = inflater.member(bomb, (c) => parts.push(Buffer.from(c)), 4096);
    expect(r).toBeUndefined();
    expect(parts.reduce((n, p) => n + p.length, 0)).toBeLessThanOrEqual(4096);
    // The same engine, reset where it stopped, then inflates a whole member exactly.
    expect(viaInflater(inflater, gz)).toEqual({ status: 'complete', trailing: false, hash: sha(TEXT) });
    expect(inflateWholeToBuffer(gz, TEXT.length)?.data.equals(TEXT)).toBe(true);
    expect(inflateWholeToBuffer(gz, TEXT.length - 1)).toBeUndefined();
  });
});

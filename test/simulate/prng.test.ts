import { describe, expect, it } from 'vitest';
import { cumulativeOf, pickWeighted, Prng } from '../../src/simulate/prng.js';

/*
 * Reference: cyrb128 and sfc32 exactly as published by bryc ("PRNGs in JavaScript",
 * github.com/bryc/code, jshash/PRNGs.md, public domain), kept in their original terse form so a
 * reader can compare them line by line. Prng must produce the same stream (after the 15 discarded
 * outputs the same page recommends).
 */
/* eslint-disable */
function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0, k; i < str.length; i++) {
    k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  ((h1 ^= h2 ^ h3 ^ h4), (h2 ^= h1), (h3 ^= h1), (h4 ^= h1));
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
function sfc32(a: number, b: number, c: number, d: number): () => number {
  return function () {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    let t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
/* eslint-enable */

describe('Prng', () => {
  it('is sfc32 seeded by cyrb128 (the published reference)', () => {
    for (const seed of ['', 'trailproof\u00001', 'x'.repeat(300), '\u{1F600}']) {
      const ref = sfc32(...cyrb128(seed));
      for (let i = 0; i < 15; i++) ref();
      const ours = new Prng(cyrb128(seed));
      for (let i = 0; i < 2000; i++) expect(ours.next()).toBe(ref() * 4294967296);
    }
  });

  it('keeps its stream (regression values: fixtures and benchmarks depend on them)', () => {
    const r = Prng.from('trailproof', 1);
    expect([r.next(), r.next(), r.next(), r.next()]).toEqual([458039574, 3003271067, 136687616, 4078111908]);
    expect(Prng.from(42).uuid()).toBe('826d6372-92d2-4c7b-87ea-3c03b91d9b4f');
  });

  it('separates streams by every part, and reads a number seed as its decimal text', () => {
    expect(Prng.from(42).next()).toBe(Prng.from('42').next());
    expect(Prng.from('a', 'b').next()).not.toBe(Prng.from('ab').next());
    expect(Prng.from('a', 'b').next()).not.toBe(Prng.from('a', 'c').next());
  });

  it('draws within its ranges', () => {
    const r = Prng.from('ranges');
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const f = r.float();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
      const v = r.range(3, 7);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(7);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(r.chars('ab', 50)).toMatch(/^[ab]{50}$/);
    for (let i = 0; i < 200; i++) expect(r.uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('picks by weight', () => {
    const r = Prng.from('weights');
    const counts = { a: 0, b: 0, c: 0 };
    const items = ['a', 'b', 'c'] as const;
    const cumulative = cumulativeOf([1, 0, 3]);
    for (let i = 0; i < 8000; i++) counts[pickWeighted(r, items, cumulative)]++;
    expect(counts.b).toBe(0);
    expect(counts.c / counts.a).toBeGreaterThan(2.5);
    expect(counts.c / counts.a).toBeLessThan(3.5);
  });
});

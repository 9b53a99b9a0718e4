import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TagSet } from '../../src/crypto/tag-set.js';

/** The audit's set of referenced log keys (src/crypto/tag-set.ts), held to a plain Set. */
describe('TagSet', () => {
  it('answers as a Set of the same strings would, through growth and the move from strings to tags', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 300 }),
        fc.array(fc.string({ maxLength: 40 }), { maxLength: 100 }),
        fc.nat({ max: 120 }),
        (added, probes, exactLimit) => {
          const tags = new TagSet(1, exactLimit);
          const plain = new Set<string>();
          for (const s of added) {
            tags.add(s);
            plain.add(s);
          }
          expect(tags.size).toBe(plain.size);
          for (const s of [...added, ...probes]) expect(tags.has(s)).toBe(plain.has(s));
          expect(tags.keepsStrings).toBe(plain.size <= exactLimit);
        },
      ),
    );
  });

  it('tells apart strings UTF-8 would not (lone surrogates), as strings and as tags', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 6 }), { minLength: 2, maxLength: 40 }), (strings) => {
        for (const limit of [0, 1_000]) {
          const tags = new TagSet(1, limit);
          tags.add(strings[0]!);
          for (const s of strings.slice(1)) expect(tags.has(s), JSON.stringify([strings[0], s])).toBe(false);
        }
      }),
    );
    const tags = new TagSet(1, 0);
    tags.add('k\ud800');
    expect(tags.has('k\udc00')).toBe(false);
  });

  it('holds 200,000 log keys: each found, none of another 200,000', () => {
    const key = (i: number) => `bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/01/111122223333_CloudTrail_us-east-1_20240501T0000Z_${i}.json.gz`;
    const tags = new TagSet();
    for (let i = 0; i < 200_000; i++) tags.add(key(i));
    expect(tags.size).toBe(200_000);
    expect(tags.keepsStrings).toBe(false); // past the limit: 16-byte tags, not the strings
    for (let i = 0; i < 200_000; i += 997) expect(tags.has(key(i))).toBe(true);
    for (let i = 200_000; i < 400_000; i++) if (tags.has(key(i))) throw new Error(`false member ${i}`);
  });
});

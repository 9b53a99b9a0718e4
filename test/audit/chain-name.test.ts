import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainName, type ChainRef } from '../../src/audit/types.js';
import { printable } from '../../src/format/printable.js';
import { xmlAttr } from '../../src/report/xml.js';

/**
 * chainName: the one label every report gives a chain. It names the home region, and no two
 * distinct chains share a label, whatever their names hold (keys are hostile: a trail name or a
 * prefix may look like the label's own delimiters).
 */
const ref = (over: Partial<ChainRef> = {}): ChainRef => ({
  account: '111122223333',
  region: 'us-east-1',
  trail: 'my-trail',
  homeRegion: 'eu-west-1',
  organizationId: null,
  prefix: null,
  ...over,
});

describe('chainName', () => {
  it('names account, source region, trail and home region; organization and prefix when there are', () => {
    expect(chainName(ref())).toBe('111122223333 us-east-1 my-trail (home eu-west-1)');
    expect(chainName(ref({ organizationId: 'o-aa12bb34cc', prefix: 'logs/ct' }))).toBe(
      'o-aa12bb34cc/111122223333 us-east-1 my-trail (home eu-west-1) (prefix logs/ct)',
    );
    expect(chainName(ref({ homeRegion: 'us-east-1' }))).not.toBe(chainName(ref()));
  });

  it('shows a name with other characters than CloudTrail names use as a JSON string in ASCII', () => {
    expect(chainName(ref({ trail: 'a b' }))).toBe('111122223333 us-east-1 "a b" (home eu-west-1)');
    expect(chainName(ref({ trail: 'x\n\u202e"é' }))).toBe('111122223333 us-east-1 "x\\n\\u202e\\"\\u00e9" (home eu-west-1)');
    expect(chainName(ref({ prefix: 'p (q)' }))).toBe('111122223333 us-east-1 my-trail (home eu-west-1) (prefix "p (q)")');
  });

  it('tells apart chains whose names mimic the delimiters, also once escaped for XML (JUnit) and the terminal', () => {
    const pairs: Array<[ChainRef, ChainRef]> = [
      // Unquoted, both would read `... t (home us-east-1) (prefix p (home eu-west-1)`.
      [ref({ trail: 't (home us-east-1) (prefix p' }), ref({ trail: 't', homeRegion: 'us-east-1', prefix: 'p (home eu-west-1' })],
      [ref({ prefix: 'p/o-aa12bb34cc' }), ref({ prefix: 'p', organizationId: 'o-aa12bb34cc' })],
      // XML cannot carry either character: written as they are, both would be U+FFFD.
      [ref({ trail: 'a\u0001' }), ref({ trail: 'a\u0002' })],
      [ref({ trail: 'a\uffff' }), ref({ trail: 'a\ufffd' })],
      // A name holding the text of an escape, and one holding the character.
      [ref({ trail: 'a\\u202e' }), ref({ trail: 'a\u202e' })],
    ];
    for (const [a, b] of pairs) {
      expect(chainName(a)).not.toBe(chainName(b));
      expect(xmlAttr(chainName(a))).not.toBe(xmlAttr(chainName(b)));
      expect(printable(chainName(a))).not.toBe(printable(chainName(b)));
    }
  });

  it('is one-to-one, and printable ASCII (property)', () => {
    const name = fc.oneof(
      fc.constantFrom('t', 'my-trail', 'us-east-1', 'eu-west-1', '(home', ')', ' ', '"', '/', '\\'),
      fc.string({ unit: 'binary', maxLength: 12 }),
    );
    const chain = fc.record({
      account: fc.oneof(fc.constant('111122223333'), name),
      region: fc.oneof(fc.constant('us-east-1'), name),
      trail: fc.oneof(
        fc.constant('t'),
        name,
        fc.array(name, { maxLength: 4 }).map((p) => p.join(' ')),
      ),
      homeRegion: fc.oneof(fc.constantFrom('us-east-1', 'eu-west-1'), name),
      organizationId: fc.option(fc.oneof(fc.constant('o-aa12bb34cc'), name)),
      prefix: fc.option(
        fc.oneof(
          fc.constant('p'),
          name,
          fc.array(name, { maxLength: 4 }).map((p) => p.join('/')),
        ),
      ),
    });
    // '' and null are the same organization and prefix (none), as in chainId.
    const id = (c: ChainRef) => JSON.stringify([c.account, c.region, c.trail, c.homeRegion, c.organizationId || null, c.prefix || null]);
    fc.assert(
      fc.property(chain, chain, (a, b) => {
        expect(chainName(a)).toMatch(/^[\x20-\x7e]+$/);
        expect(chainName(a) === chainName(b)).toBe(id(a) === id(b));
      }),
      { numRuns: 2000 },
    );
  });
});

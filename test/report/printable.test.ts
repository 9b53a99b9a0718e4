import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { visibleBidi } from '../../src/format/printable.js';
import { scriptJson, xmlAttr, xmlText } from '../../src/report/xml.js';

/** Bidirectional controls in JUnit and the HTML report: shown as `\uNNNN`, never reordering a name. */
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe('bidirectional controls in JUnit and HTML', () => {
  it('are written as visible escapes in XML text, attributes and the page data', () => {
    const name = 'invoice\u202egnp.exe';
    expect(xmlText(name)).toBe('invoice\\u202egnp.exe');
    expect(xmlAttr(name)).toBe('invoice\\u202egnp.exe');
    expect(JSON.parse(scriptJson({ key: name }))).toEqual({ key: 'invoice\\u202egnp.exe' });
  });

  it('never remain, and nothing else changes (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 30 }), (s) => {
        expect(visibleBidi(s)).not.toMatch(BIDI);
        if (!BIDI.test(s)) expect(visibleBidi(s)).toBe(s);
      }),
    );
  });
});

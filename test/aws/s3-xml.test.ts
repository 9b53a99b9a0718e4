import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeListedKey, parseListPage, parseLocation, parseXml } from '../../src/aws/s3-xml.js';

/**
 * The strict reader of the fast path's ListObjects and GetBucketLocation answers (src/aws/s3-xml.ts):
 * what S3 sends reads back exactly; anything outside its subset is refused (undefined: the SDK then
 * reads the answer), never read differently, never thrown.
 */
const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const escape = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
/** As AWS encodes a listed key with encoding-type=url (a space as `+`). */
const urlEncode = (k: string) => encodeURIComponent(k).replace(/%20/g, '+');

function listing(keys: readonly string[], truncated: boolean, extra = ''): string {
  const contents = keys
    .map((k) => `<Contents><Key>${escape(k)}</Key><LastModified>2024-05-01T00:00:00.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>1</Size></Contents>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult ${NS}><Name>b</Name><Prefix>AWSLogs%2F</Prefix><Marker></Marker><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>${truncated}</IsTruncated>${extra}${contents}</ListBucketResult>`;
}

/** The LastModified every key of `listing` has, as UTC micros. */
const LISTED_AT = Date.UTC(2024, 4, 1) * 1000;

/** Well-formed UTF-16 (a lone surrogate has no UTF-8 form and no URL encoding). */
const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });

describe('parseListPage', () => {
  it('reads back every key S3 lists (URL-encoded), in order, and the truncation flag', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 30 }), fc.boolean(), (keys, truncated) => {
        const page = parseListPage(listing(keys.map(urlEncode), truncated), 10_000);
        expect(page).toEqual({ keys: keys.map(urlEncode), modified: keys.map(() => LISTED_AT), truncated, encoded: true });
        expect(page!.keys.map(decodeListedKey)).toEqual(keys);
      }),
      { numRuns: 300 },
    );
  });

  it('reads text with entities and character references as XML does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (text) => {
        const clean = text.replace(/[\r\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '');
        const refs = [...clean]
          .map((c, i) => (i % 3 === 0 ? `&#${c.codePointAt(0)};` : i % 3 === 1 ? `&#x${c.codePointAt(0)!.toString(16)};` : escape(c)))
          .join('');
        expect(parseXml(`<a>${refs}</a>`, 10)?.text).toBe(clean);
      }),
    );
  });

  it('never throws on any input, and takes no text that is not in the subset', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        expect(() => parseXml(text, 100)).not.toThrow();
        expect(() => parseListPage(text, 100)).not.toThrow();
        expect(() => parseLocation(text)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('refuses what is outside the subset or not a listing it understands', () => {
    const ok = listing(['a'], false);
    expect(parseListPage(ok, 100)).toBeDefined();
    const refused = [
      ok.replace('<Name>', '<!-- c --><Name>'),
      ok.replace('<Name>b</Name>', '<Name><![CDATA[b]]></Name>'),
      `<!DOCTYPE x [<!ENTITY e "a">]>${ok.replace(/^<\?xml[^>]*>\n/, '')}`,
      ok.replace('<Key>a</Key>', '<Key>&e;</Key>'),
      ok.replace('<Key>a</Key>', '<Key>&#0;</Key>'),
      ok.replace('<Key>a</Key>', '<Key>&#xD800;</Key>'),
      ok.replace('<Key>a</Key>', '<Key>a\r</Key>'),
      ok.replace('<Key>a</Key>', '<Key>a</Key><Key>b</Key>'),
      ok.replace('<Key>a</Key>', '<Key>a</Kez>'),
      ok.replace('</ListBucketResult>', ''),
      `${ok}<x/>`,
      ok.replace('<Contents>', 'text<Contents>'),
      ok.replace('<IsTruncated>false</IsTruncated>', ''),
      ok.replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>False</IsTruncated>'),
      ok.replace('<IsTruncated>false</IsTruncated>', '<IsTruncated>false</IsTruncated><IsTruncated>true</IsTruncated>'),
      ok.replace('<EncodingType>url</EncodingType>', ''),
      ok.replace('ListBucketResult', 'ListBucketResult2').replace('</ListBucketResult>', '</ListBucketResult2>'),
      ok.replace('<?xml version="1.0" encoding="UTF-8"?>', '<?xml-stylesheet href="x"?>'),
      `\ufeff${ok}`,
    ];
    for (const text of refused) expect(parseListPage(text, 100), text).toBeUndefined();
    // Bounded: depth and element count.
    expect(parseXml(`${'<a>'.repeat(9)}${'</a>'.repeat(9)}`, 100)).toBeUndefined();
    expect(parseXml(`${'<a>'.repeat(8)}${'</a>'.repeat(8)}`, 100)).toBeDefined();
    expect(parseListPage(listing(['a', 'b', 'c'], false), 10)).toBeUndefined();
    // An empty listing needs no encoding type; a Contents without a Key lists nothing (as through the SDK).
    expect(parseListPage(listing([], false).replace('<EncodingType>url</EncodingType>', ''), 100)).toEqual({
      keys: [],
      modified: [],
      truncated: false,
      encoded: false,
    });
    expect(parseListPage(ok.replace('<Key>a</Key>', ''), 100)).toEqual({ keys: [], modified: [], truncated: false, encoded: true });
  });

  it("reads each key's LastModified as UTC micros, and one it cannot read as NaN (never a made-up time)", () => {
    const one = listing(['a'], false);
    expect(parseListPage(one, 100)?.modified).toEqual([LISTED_AT]);
    expect(parseListPage(one.replace('2024-05-01T00:00:00.000Z', '2024-05-01T00:00:01.5Z'), 100)?.modified).toEqual([LISTED_AT + 1_500_000]);
    for (const bad of ['yesterday', '2024-05-01 00:00:00Z', '2024-05-01T00:00:00+01:00', ''])
      expect(parseListPage(one.replace('2024-05-01T00:00:00.000Z', bad), 100)?.modified).toEqual([Number.NaN]);
    expect(parseListPage(one.replace(/<LastModified>[^<]*<\/LastModified>/, ''), 100)?.modified).toEqual([Number.NaN]);
  });
});

describe('parseLocation', () => {
  it('reads the region, an empty answer and EU', () => {
    expect(parseLocation(`<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint ${NS}>eu-west-2</LocationConstraint>`)).toBe('eu-west-2');
    expect(parseLocation(`<LocationConstraint ${NS}/>`)).toBe('');
    expect(parseLocation(`<LocationConstraint ${NS}></LocationConstraint>`)).toBe('');
    expect(parseLocation('<LocationConstraint>EU</LocationConstraint>')).toBe('EU');
  });

  it('refuses anything else', () => {
    for (const text of [
      '<LocationConstraint>eu west</LocationConstraint>',
      '<LocationConstraint>a/b</LocationConstraint>',
      '<LocationConstraint><x>eu-west-1</x></LocationConstraint>',
      '<Error><Code>AccessDenied</Code></Error>',
      '<LocationConstraint>us-east-1',
      '',
    ]) {
      expect(parseLocation(text), text).toBeUndefined();
    }
  });
});

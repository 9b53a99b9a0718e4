/**
 * A strict reader for the two S3 XML answers the fast path takes itself (fast-s3.ts): ListObjects
 * (ListBucketResult) and GetBucketLocation (LocationConstraint). The answer is hostile: the reader
 * takes a small subset of XML 1.0 (an optional declaration, elements, attributes, text with the five
 * predefined entities and character references) and refuses everything else (comments, CDATA,
 * DOCTYPE, processing instructions, a CR in text, unknown entities, text beside child elements),
 * bounded in depth and element count. A refusal is `undefined`: the caller asks the SDK instead, so
 * an answer this reader does not take is never read differently, only read by the SDK.
 */
export interface XmlElement {
  readonly name: string;
  readonly children: XmlElement[];
  /** The decoded text of an element without children ('' for an element with children). */
  text: string;
}

const MAX_DEPTH = 8;
const NAME = /[A-Za-z_][A-Za-z0-9._:-]*/y;
const ATTRIBUTE = /\s+[A-Za-z_][A-Za-z0-9._:-]*\s*=\s*("[^"<&]*"|'[^'<&]*')/y;
const DECLARATION = /^<\?xml(\s+[A-Za-z]+\s*=\s*("[^"<]*"|'[^'<]*'))*\s*\?>/;
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

class Refused extends Error {}

/** The root element, or undefined when the text is not in the subset (or larger than the bounds). */
export function parseXml(text: string, maxElements: number): XmlElement | undefined {
  try {
    return new Reader(text, maxElements).document();
  } catch (err) {
    if (err instanceof Refused) return undefined;
    throw err;
  }
}

class Reader {
  private at = 0;
  private elements = 0;

  constructor(
    private readonly s: string,
    private readonly maxElements: number,
  ) {}

  document(): XmlElement {
    const declaration = DECLARATION.exec(this.s);
    if (declaration) this.at = declaration[0].length;
    this.space();
    const root = this.element(1);
    this.space();
    if (this.at !== this.s.length) throw new Refused();
    return root;
  }

  private space(): void {
    while (this.at < this.s.length && ' \t\n'.includes(this.s[this.at]!)) this.at++;
  }

  private name(): string {
    NAME.lastIndex = this.at;
    const m = NAME.exec(this.s);
    if (!m) throw new Refused();
    this.at += m[0].length;
    return m[0];
  }

  private element(depth: number): XmlElement {
    if (depth > MAX_DEPTH || ++this.elements > this.maxElements || this.s[this.at] !== '<') throw new Refused();
    this.at++;
    const name = this.name();
    for (;;) {
      ATTRIBUTE.lastIndex = this.at;
      const m = ATTRIBUTE.exec(this.s);
      if (!m) break;
      this.at += m[0].length;
    }
    this.space();
    const element: XmlElement = { name, children: [], text: '' };
    if (this.s.startsWith('/>', this.at)) {
      this.at += 2;
      return element;
    }
    if (this.s[this.at] !== '>') throw new Refused();
    this.at++;
    let text = '';
    for (;;) {
      const lt = this.s.indexOf('<', this.at);
      if (lt < 0) throw new Refused();
      text += this.decode(this.s.slice(this.at, lt));
      this.at = lt;
      if (this.s.startsWith('</', lt)) {
        this.at += 2;
        if (this.name() !== name) throw new Refused();
        this.space();
        if (this.s[this.at] !== '>') throw new Refused();
        this.at++;
        break;
      }
      // `<!` (comment, CDATA, DOCTYPE) and `<?` are outside the subset: the name check refuses them.
      element.children.push(this.element(depth + 1));
    }
    // Text beside child elements (mixed content) is not in any S3 answer.
    if (element.children.length > 0 && text.trim() !== '') throw new Refused();
    element.text = element.children.length > 0 ? '' : text;
    return element;
  }

  /** Character data: entities and character references decoded; `>` alone is allowed, CR is not. */
  private decode(raw: string): string {
    if (raw.includes('\r')) throw new Refused();
    if (!raw.includes('&')) return raw;
    let out = '';
    let i = 0;
    for (;;) {
      const amp = raw.indexOf('&', i);
      if (amp < 0) return out + raw.slice(i);
      const semi = raw.indexOf(';', amp);
      if (semi < 0 || semi - amp > 10) throw new Refused();
      out += raw.slice(i, amp) + entity(raw.slice(amp + 1, semi));
      i = semi + 1;
    }
  }
}

function entity(ref: string): string {
  const named = ENTITIES[ref];
  if (named !== undefined) return named;
  const code = /^#x[0-9A-Fa-f]{1,6}$/.test(ref) ? parseInt(ref.slice(2), 16) : /^#[0-9]{1,7}$/.test(ref) ? parseInt(ref.slice(1), 10) : -1;
  // XML 1.0 Char: no NUL or other C0 controls but tab, LF, CR; no surrogates; nothing past U+10FFFF.
  const char = code === 0x9 || code === 0xa || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
  if (!char) throw new Refused();
  return String.fromCodePoint(code);
}

/** One page of ListObjects (v1): the keys as sent (still URL-encoded when `encoded`), and whether more follow. */
export interface ListPage {
  readonly keys: string[];
  /** Each key's LastModified (UTC micros), NaN where the answer has none that parses. */
  readonly modified: number[];
  readonly truncated: boolean;
  readonly encoded: boolean;
}

/** A ListBucketResult, or undefined for anything this reader does not take (the SDK reads it then). */
export function parseListPage(text: string, maxElements: number): ListPage | undefined {
  const root = parseXml(text, maxElements);
  if (!root || root.name !== 'ListBucketResult') return undefined;
  const keys: string[] = [];
  const modified: number[] = [];
  let truncated: boolean | undefined;
  let encoding: string | undefined;
  for (const child of root.children) {
    if (child.name === 'Contents') {
      const named = child.children.filter((c) => c.name === 'Key');
      // A Contents with two keys is no answer S3 gives: the SDK decides what it means.
      if (named.length > 1 || named.some((k) => k.children.length > 0)) return undefined;
      if (named.length === 1) {
        keys.push(named[0]!.text);
        const at = child.children.find((c) => c.name === 'LastModified');
        modified.push(at && at.children.length === 0 ? lastModifiedMicros(at.text) : Number.NaN);
      }
    } else if (child.name === 'IsTruncated') {
      if (truncated !== undefined || (child.text !== 'true' && child.text !== 'false')) return undefined;
      truncated = child.text === 'true';
    } else if (child.name === 'EncodingType') {
      if (encoding !== undefined) return undefined;
      encoding = child.text;
    }
  }
  if (truncated === undefined) return undefined;
  // Keys not URL-encoded may hold what XML cannot carry faithfully: only the SDK reads those.
  if (keys.length > 0 && encoding !== 'url') return undefined;
  return { keys, modified, truncated, encoded: encoding === 'url' };
}

/** S3's LastModified (`2024-05-01T00:01:02.000Z`) as UTC micros; NaN for anything else. */
function lastModifiedMicros(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(text)) return Number.NaN;
  return Date.parse(text) * 1000;
}

/** GetBucketLocation's answer: the region text ('' when empty), or undefined for anything else. */
export function parseLocation(text: string): string | undefined {
  const root = parseXml(text, 4);
  if (!root || root.name !== 'LocationConstraint' || root.children.length > 0) return undefined;
  return /^[A-Za-z0-9-]{0,64}$/.test(root.text) ? root.text : undefined;
}

/** `encoding-type=url` keys: AWS writes a space as `+` (botocore decodes with unquote_plus). */
export function decodeListedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

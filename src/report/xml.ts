import { visibleBidi } from '../format/printable.js';

/**
 * Text for XML 1.0 and HTML: the special characters escaped, and every character XML cannot carry
 * (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF) replaced by U+FFFD. Keys and
 * messages come from the archive: hostile, they must not break the document or inject markup.
 */
const SPECIAL: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** What an XML document can carry of `s`: the characters it cannot, as U+FFFD; bidirectional controls made visible. */
export function xmlSafe(s: string): string {
  return visibleBidi(s.replace(NOT_XML, '\uFFFD'));
}

/** Element text: CR escaped too (a parser would read it as LF). */
export function xmlText(s: string): string {
  return xmlSafe(s).replace(/[&<>"'\r]/g, (c) => SPECIAL[c]!);
}

/** An attribute value: tab, LF and CR escaped too (a parser would read them as spaces). */
export function xmlAttr(s: string): string {
  return xmlSafe(s).replace(/[&<>"'\r\n\t]/g, (c) => SPECIAL[c]!);
}

/** JSON to embed in an HTML <script> element: no `<` at all, so no `</script>` or `<!--` can end or change it. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' ? visibleBidi(v) : v))
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** At most `n` characters (an ellipsis when cut). */
export function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

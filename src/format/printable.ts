/**
 * Hostile text (keys, trail names, digest fields, messages) made safe to show. One rule for the
 * audit's text report, the GitHub step summary, JUnit and the HTML report.
 */

/**
 * Text as a terminal or a page will show it, on one line: control characters (C0, DEL, C1), line and
 * paragraph separators and bidirectional controls are written as `\xNN` or `\uNNNN`, and a backslash
 * as `\\`, so that no key can end a line, forge another (`Totals: ... 0 errors`) or reorder what is
 * shown.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\\') return '\\\\';
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
const UNPRINTABLE = /[\\\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** Bidirectional controls (they reorder what is shown: `gnp.exe` for `exe.png`) as visible `\uNNNN`, everything else kept. */
export function visibleBidi(text: string): string {
  return text.replace(BIDI, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
const BIDI = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

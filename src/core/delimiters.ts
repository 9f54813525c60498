/**
 * Candidate delimiters. A token is a boundary candidate if its text holds a newline or one of
 * `; } { ) . , : ? !`; the strength says how good a boundary it is on structure alone:
 *   0 none · 1 weak (`, : )` inside a line) · 2 normal (`; { } . ? !`, a newline, the end of a line comment)
 *   3 strong (a blank line, a `}` closing a top-level body at column 0, the newline before a dedent to column 0).
 * DD-Select decides which candidates become boundaries; the strength only breaks near-ties.
 */
export const STRENGTH_NONE = 0;
export const STRENGTH_WEAK = 1;
export const STRENGTH_NORMAL = 2;
export const STRENGTH_STRONG = 3;

const NORMAL_CHARS = new Set([";", "{", "}", ".", "?", "!"]);
const WEAK_CHARS = new Set([",", ":", ")", "]"]);

export function delimiterStrengths(tokenTexts: readonly string[]): Uint8Array {
  const n = tokenTexts.length;
  const strength = new Uint8Array(n);
  let lineHasContent = false; // a non-whitespace char since the last newline
  let lineIndent = 0; // leading whitespace width of the current line
  let prevLineIndent = 0;
  let lastNewlineToken = -1;
  let awaitingFirstChar = true; // at the start of a line, before its first non-whitespace char

  for (let i = 0; i < n; i++) {
    const text = tokenTexts[i] ?? "";
    let s = STRENGTH_NONE;
    for (let c = 0; c < text.length; c++) {
      const ch = text[c];
      if (ch === "\n") {
        // A line that had nothing in it makes this newline a blank line: a strong boundary.
        s = Math.max(s, lineHasContent ? STRENGTH_NORMAL : STRENGTH_STRONG);
        if (lineHasContent) prevLineIndent = lineIndent;
        lineHasContent = false;
        lineIndent = 0;
        awaitingFirstChar = true;
        lastNewlineToken = i;
        continue;
      }
      if (ch === " " || ch === "\t" || ch === "\r") {
        if (awaitingFirstChar) lineIndent += ch === "\t" ? 4 : ch === " " ? 1 : 0;
        continue;
      }
      if (awaitingFirstChar) {
        awaitingFirstChar = false;
        // A dedent to column 0 after an indented line ends a top-level body (Python, YAML, Markdown sections).
        if (lineIndent === 0 && prevLineIndent > 0 && lastNewlineToken >= 0)
          strength[lastNewlineToken] = Math.max(strength[lastNewlineToken], STRENGTH_STRONG);
      }
      if (ch === "}" && lineIndent === 0 && !lineHasContent) s = Math.max(s, STRENGTH_STRONG);
      else if (NORMAL_CHARS.has(ch)) s = Math.max(s, STRENGTH_NORMAL);
      else if (WEAK_CHARS.has(ch)) s = Math.max(s, STRENGTH_WEAK);
      lineHasContent = true;
    }
    strength[i] = Math.max(strength[i], s);
  }
  return strength;
}

/** True if the token text holds any delimiter character (the rigid fixed-set baselines use this). */
export function holdsAny(text: string, chars: ReadonlySet<string>): boolean {
  for (let c = 0; c < text.length; c++) if (chars.has(text[c])) return true;
  return false;
}

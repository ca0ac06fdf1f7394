// Text from a file (a spec's name, a layer id) shown inside something else: generated code, a
// markdown table, a log line. It is data: whatever it holds, it must not end a comment, a line or
// a table cell, so characters that could (controls, line and paragraph separators, format
// characters such as bidirectional overrides) are written as visible escapes.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/** `text` on one line, every control or format character as \xNN / \uNNNN. */
export function visible(text: string): string {
  return text.replace(INVISIBLE, (ch) => {
    const code = ch.codePointAt(0)!;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * `text` as literal markdown inline text (not at the start of a line): one line, no emphasis,
 * code, link, HTML or strike-through, no table cell break.
 */
export function markdownText(text: string): string {
  return visible(text).replace(/[\\`*_[\]<>|~&]/g, (ch) => `\\${ch}`);
}

/**
 * `text` for a terminal: its lines stay lines, but no character in it can move the cursor,
 * recolour, retitle or reorder what the terminal shows (escape sequences, carriage returns,
 * bidirectional overrides): each is written as \uNNNN (a surrogate pair as two), which is also
 * its escape inside a JSON string, so JSON output stays valid JSON.
 */
export function terminalText(text: string): string {
  return text.replace(INVISIBLE, (ch) =>
    ch === '\n' || ch === '\t'
      ? ch
      : Array.from({ length: ch.length }, (_, i) => `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  );
}

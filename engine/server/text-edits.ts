// Edits to a spec's text that touch only what they change: a value replaced in place (its quotes
// kept), a property deleted with its comma or its line, a property inserted after another in the
// same style (JSON or YAML, one line or one per key, the file's indentation and line ends).
import { Position as LspPosition, TextEdit } from 'vscode-languageserver';
import { parse as parseYaml } from 'yaml';
import { Position, Range } from '../architecture/source';
import type { SpecFormat } from '../architecture/write';

/** Offsets and positions of one text. */
export class TextIndex {
  private readonly starts: number[] = [0];
  /** The line end the file uses. */
  readonly eol: string;

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
    this.eol = text.includes('\r\n') ? '\r\n' : '\n';
  }

  offset(p: Position): number {
    return (this.starts[p.line] ?? this.text.length) + p.column;
  }

  position(offset: number): LspPosition {
    let line = this.starts.length - 1;
    while (this.starts[line] > offset) line--;
    return { line, character: offset - this.starts[line] };
  }

  lineStart(offset: number): number {
    return this.starts[this.position(offset).line];
  }

  /** The offset of the line's end, before its \r\n or \n. */
  lineEnd(offset: number): number {
    const newline = this.text.indexOf('\n', offset);
    if (newline === -1) return this.text.length;
    return this.text[newline - 1] === '\r' ? newline - 1 : newline;
  }

  /** The start of the next line, or the text's end. */
  nextLineStart(offset: number): number {
    const newline = this.text.indexOf('\n', offset);
    return newline === -1 ? this.text.length : newline + 1;
  }

  edit(start: number, end: number, newText: string): TextEdit {
    return TextEdit.replace({ start: this.position(start), end: this.position(end) }, newText);
  }
}

/** A string as a YAML scalar: plain when it reads back as itself, else single-quoted. */
export function yamlScalar(text: string): string {
  let plain: unknown;
  try {
    plain = parseYaml(text);
  } catch {
    plain = undefined;
  }
  return plain === text ? text : `'${text.replace(/'/g, "''")}'`;
}

/** A value as the format writes it in a flow position. */
export function scalarText(value: string | number | boolean, format: SpecFormat): string {
  return typeof value === 'string' ? (format === 'json' ? JSON.stringify(value) : yamlScalar(value)) : String(value);
}

/** Replaces the value at `range`; a quoted string keeps its quotes. */
export function replaceValue(index: TextIndex, range: Range, value: string | number, format: SpecFormat): TextEdit {
  const start = index.offset(range.start);
  const end = index.offset(range.end);
  const quote = index.text[start];
  const quoted = end - start >= 2 && (quote === '"' || quote === "'") && index.text[end - 1] === quote;
  // Layer ids and types hold no quotes or escapes (the schema's patterns), so inside quotes they go as they are.
  if (quoted && typeof value === 'string') return index.edit(start + 1, end - 1, value);
  return index.edit(start, end, scalarText(value, format));
}

/**
 * Deletes a property (its key through its value): with the comma after it, else the one before
 * it; and the whole line when nothing else is left on it (a YAML comment after it goes too).
 */
export function deleteProperty(index: TextIndex, key: Range, value: Range): TextEdit {
  const { text } = index;
  let start = index.offset(key.start);
  let end = index.offset(value.end);
  const after = /^[ \t]*,[ \t]*/.exec(text.slice(end));
  if (after) end += after[0].length;
  else {
    const before = /,\s*$/.exec(text.slice(0, start));
    if (before) start = before.index;
  }
  const lineStart = index.lineStart(start);
  const lineEnd = index.lineEnd(end);
  const prefix = text.slice(lineStart, start);
  const rest = text.slice(end, lineEnd);
  if (!/^[ \t]*(#.*)?$/.test(rest)) return index.edit(start, end, '');
  if (/^[ \t]*$/.test(prefix)) return index.edit(lineStart, index.nextLineStart(end), '');
  // `- in: 3` opening a YAML list item: the next key moves up behind the dash.
  const next = index.nextLineStart(end);
  const indent = key.start.column;
  if (/^[ \t]*-[ \t]+$/.test(prefix) && /^ *$/.test(text.slice(next, next + indent)) && next + indent <= text.length) return index.edit(start, next + indent, '');
  return index.edit(start, lineEnd, '');
}

/**
 * Inserts `key: value` into the mapping starting at `mapping`, after the property whose key and
 * (scalar) value are `anchorKey` and `anchorValue`, in the mapping's style.
 */
export function insertProperty(
  index: TextIndex,
  mapping: Range,
  anchorKey: Range,
  anchorValue: Range,
  key: string,
  value: string | number | boolean,
  format: SpecFormat,
): TextEdit {
  const { text } = index;
  const at = index.offset(anchorValue.end);
  const property = format === 'json' ? `${JSON.stringify(key)}: ${scalarText(value, format)}` : `${key}: ${scalarText(value, format)}`;
  const oneLine = format === 'json' ? anchorKey.start.line === mapping.start.line : text[index.offset(mapping.start)] === '{';
  if (oneLine) return index.edit(at, at, `, ${property}`);
  if (format === 'json') {
    const keyLine = index.lineStart(index.offset(anchorKey.start));
    const indent = /^[ \t]*/.exec(text.slice(keyLine))![0];
    return index.edit(at, at, `,${index.eol}${indent}${property}`);
  }
  const lineEnd = index.lineEnd(at);
  const end = /^[ \t]*(#.*)?$/.test(text.slice(at, lineEnd)) ? lineEnd : at;
  return index.edit(end, end, `${index.eol}${' '.repeat(anchorKey.start.column)}${property}`);
}

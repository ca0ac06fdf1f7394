// The text of a spec file -> a plain value, plus a way to find where any path into that value
// lies in the text. JSON and YAML share this interface so schema errors (ajv instance paths) and
// semantic issues (SpecIssue paths) get positions the same way. Malformed input (too large, not
// UTF-8, too deeply nested, alias bombs, duplicate keys, syntax errors) becomes a Problem with a
// position, never an exception.
import { Node as JsonNode, ParseError, parseTree, printParseErrorCode } from 'jsonc-parser';
import { Document, ErrorCode, isAlias, isMap, isScalar, isSeq, Lexer, Node as YamlNode, parseDocument, visit } from 'yaml';
import { IssueFix, SpecPath } from './types';
import { formatForPath } from './write';

/**
 * Larger files are refused before parsing. A spec of thousands of layers is well under this, and
 * the yaml package parses about 0.3 MB/s of spec-like YAML, so a file at the limit takes seconds.
 */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Specs nest a handful of levels; deeper input only serves to exhaust the parsers' stacks. */
export const MAX_NESTING = 100;
/** The yaml package's limit on alias expansion, which stops "billion laughs" documents. */
export const MAX_YAML_ALIASES = 100;

/** A 0-based line and column; columns count UTF-16 code units, as LSP positions do. */
export interface Position {
  line: number;
  column: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** Something wrong with a file, where it is (0-based: add 1 to print). */
export interface Problem {
  message: string;
  range: Range;
  /** The parser's own words, where `message` rephrases them. */
  detail?: string;
  /** Where in the spec, and what a fix needs: for problems found in a parsed value. */
  path?: SpecPath;
  fix?: IssueFix;
}

export interface SourceDocument {
  value: unknown;
  /**
   * Where `path` lies in the text: the value, or with `part: 'key'` the property name. A path to
   * a missing key (or through an alias) gives its nearest existing parent, narrowed to one line.
   */
  locate(path: SpecPath, part?: 'value' | 'key'): Range;
}

/** `document` is present exactly when `problems` is empty. */
export interface ParsedSource {
  document?: SourceDocument;
  problems: Problem[];
}

type Span = [start: number, end: number];

/** Offsets -> positions for one text. */
class LineIndex {
  private readonly starts: number[] = [0];

  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  position(offset: number): Position {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }

  range([start, end]: Span): Range {
    return { start: this.position(start), end: this.position(end) };
  }

  /** The span cut at the end of its first line, so a diagnostic does not cover a whole block. */
  firstLine([start, end]: Span): Span {
    const newline = this.text.indexOf('\n', start);
    return [start, newline === -1 ? end : Math.min(end, newline)];
  }
}

export function parseSource(input: string | Uint8Array, fileName: string): ParsedSource {
  const decoded = typeof input === 'string' ? checkTextSize(input) : decodeBytes(input);
  if ('problem' in decoded) return { problems: [decoded.problem] };
  // A lone \r (old Mac files) is a line break to LSP, but the YAML parser reads none: as \n, every offset stays.
  const text = decoded.text.replace(/\r(?!\n)/g, '\n');
  const lines = new LineIndex(text);
  if (text.trim() === '') return { problems: [{ message: 'the file is empty', range: lines.range([0, 0]) }] };
  return formatForPath(fileName) === 'json' ? parseJson(text, lines) : parseYaml(text, lines);
}

const atStart: Range = { start: { line: 0, column: 0 }, end: { line: 0, column: 0 } };

const tooLarge: { problem: Problem } = {
  problem: { message: `the file is larger than ${MAX_SPEC_BYTES / (1024 * 1024)} MB, the limit for spec files`, range: atStart },
};

function checkTextSize(text: string): { text: string } | { problem: Problem } {
  // A UTF-16 length bounds the UTF-8 size from below, which is all a resource guard needs.
  return text.length > MAX_SPEC_BYTES ? tooLarge : { text };
}

function decodeBytes(bytes: Uint8Array): { text: string } | { problem: Problem } {
  if (bytes.length > MAX_SPEC_BYTES) return tooLarge;
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    const valid = validUtf8Prefix(bytes);
    const at = new LineIndex(valid).position(valid.length);
    return { problem: { message: 'the file is not valid UTF-8 text (save it as UTF-8)', range: { start: at, end: at } } };
  }
}

/**
 * The text before the first invalid byte sequence. A streaming decode accepts any prefix that
 * is valid so far and holds back an unfinished character, so validity of prefixes is monotone
 * and a binary search finds the longest one.
 */
function validUtf8Prefix(bytes: Uint8Array): string {
  const decodePrefix = (n: number) => new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    try {
      decodePrefix(mid);
      lo = mid;
    } catch {
      hi = mid - 1;
    }
  }
  return decodePrefix(lo);
}

function nestingProblem(offset: number, lines: LineIndex): Problem {
  return { message: `the document nests more than ${MAX_NESTING} levels deep`, range: lines.range([offset, offset]) };
}

// ---- JSON ----

const JSON_SYNTAX_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected text: not a JSON value',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: "expected ':' after the property name",
  CommaExpected: "expected ',' between items",
  CloseBraceExpected: "expected '}' to close the object",
  CloseBracketExpected: "expected ']' to close the list",
  EndOfFileExpected: 'unexpected text after the end of the JSON value',
  InvalidCommentToken: 'comments are not allowed in JSON (use a .arch.yaml file for comments)',
  UnexpectedEndOfComment: 'comments are not allowed in JSON (use a .arch.yaml file for comments)',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid \\u escape in a string',
  InvalidEscapeCharacter: 'invalid escape character in a string',
  InvalidCharacter: 'invalid character in a string (control characters must be escaped)',
};

function parseJson(source: string, lines: LineIndex): ParsedSource {
  // A byte-order mark (left in by a caller that decoded the text itself) as a space keeps offsets.
  const text = source.replace(/^\uFEFF/, ' ');
  const deep = nestingOffset(text, false);
  if (deep !== undefined) return { problems: [nestingProblem(deep, lines)] };

  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  // After the first syntax error the parser's recovery mostly reports echoes of it.
  if (errors.length > 0 || root === undefined) {
    return { problems: [jsonSyntaxProblem(text, errors[0] ?? { error: 0, offset: 0, length: 0 }, lines)] };
  }
  const duplicates = duplicateJsonKeys(root, lines);
  if (duplicates.length > 0) return { problems: duplicates };

  const value: unknown = JSON.parse(text);
  const rootStep = { node: root, value: [root.offset, root.offset + root.length] as Span };
  return { document: { value, locate: (path, part) => locate(rootStep, path, part, jsonChild, lines) }, problems: [] };
}

function jsonSyntaxProblem(text: string, error: ParseError, lines: LineIndex): Problem {
  const trailingComma = /,\s*$/.exec(text.slice(0, error.offset));
  if (trailingComma && (text[error.offset] === '}' || text[error.offset] === ']')) {
    const comma = trailingComma.index;
    return { message: 'trailing comma: JSON does not allow a comma before a closing bracket', range: lines.range([comma, comma + 1]) };
  }
  const code = printParseErrorCode(error.error);
  const message = JSON_SYNTAX_MESSAGES[code] ?? `JSON syntax error (${code})`;
  return { message, range: lines.range([error.offset, error.offset + error.length]) };
}

function duplicateJsonKeys(root: JsonNode, lines: LineIndex): Problem[] {
  const problems: Problem[] = [];
  const pending = [root];
  for (let node = pending.pop(); node; node = pending.pop()) {
    const seen = new Map<string, JsonNode>();
    for (const child of node.children ?? []) {
      pending.push(child);
      if (node.type !== 'object' || !child.children) continue;
      const key = child.children[0];
      const first = seen.get(key.value);
      if (first) {
        const firstLine = lines.position(first.offset).line + 1;
        problems.push({ message: `duplicate key '${key.value}' (first defined on line ${firstLine})`, range: lines.range([key.offset, key.offset + key.length]) });
      } else {
        seen.set(key.value, key);
      }
    }
  }
  return problems.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.column - b.range.start.column);
}

function jsonChild(node: JsonNode, segment: string | number): Step<JsonNode> | undefined {
  const span = (n: JsonNode): Span => [n.offset, n.offset + n.length];
  if (node.type === 'array' && typeof segment === 'number') {
    const child = node.children?.[segment];
    return child && { node: child, value: span(child) };
  }
  if (node.type !== 'object') return undefined;
  // The last of duplicated keys is the one JSON.parse keeps.
  const property = (node.children ?? []).filter((p) => p.children?.[0].value === String(segment)).pop();
  const [key, value] = property?.children ?? [];
  return key && value && { node: value, value: span(value), key: span(key) };
}

// ---- YAML ----

function parseYaml(text: string, lines: LineIndex): ParsedSource {
  const deep = nestingOffset(text, true);
  if (deep !== undefined) return { problems: [nestingProblem(deep, lines)] };

  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const errors = [...doc.errors, ...doc.warnings];
  if (errors.length > 0) {
    return {
      problems: errors.map((e) => ({ ...yamlProblem(e.code, e.message, text.slice(e.pos[0])), range: lines.range(e.pos) })),
    };
  }
  const aliases = aliasProblem(doc, lines);
  if (aliases) return { problems: [aliases] };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch {
    const first = firstAlias(doc);
    return { problems: [{ message: 'YAML aliases here would expand to too much data (an alias bomb?): write the values out instead', range: lines.range(first) }] };
  }
  const root = doc.contents;
  if (!root) return { document: { value, locate: () => lines.range([0, 0]) }, problems: [] };
  const rootStep = { node: root, value: yamlSpan(root) };
  return { document: { value, locate: (path, part) => locate(rootStep, path, part, yamlChild, lines) }, problems: [] };
}

/** An alias whose anchor is not defined before it (toJS would throw on it). */
function aliasProblem(doc: Document, lines: LineIndex): Problem | undefined {
  const anchors = new Set<string>();
  let problem: Problem | undefined;
  visit(doc, {
    Node(_, node) {
      if (isAlias(node) && !anchors.has(node.source)) {
        problem = { message: `unknown YAML alias *${node.source}: no &${node.source} anchor before it`, range: lines.range(yamlSpan(node)) };
        return visit.BREAK;
      }
      if (!isAlias(node) && node.anchor) anchors.add(node.anchor);
      return undefined;
    },
  });
  return problem;
}

function firstAlias(doc: Document): Span {
  let span: Span = [0, 0];
  visit(doc, {
    Alias(_, alias) {
      span = yamlSpan(alias);
      return visit.BREAK;
    },
  });
  return span;
}

/**
 * The yaml package's errors in words for someone who is not a YAML parser author, by its error
 * codes (and, where one code covers several mistakes, by its message); the original becomes the
 * problem's detail. `rest` is the text from the error's position on.
 */
function yamlProblem(code: ErrorCode, message: string, rest: string): Pick<Problem, 'message' | 'detail'> {
  const line = /^[^\n]*/.exec(rest)![0];
  const plain = (() => {
    switch (code) {
      case 'DUPLICATE_KEY':
        return `duplicate key '${/^[^:\n]*/.exec(rest)![0].trim()}'`;
      case 'MULTIPLE_DOCS':
        return 'a spec file holds one YAML document; remove the second ---';
      case 'BLOCK_AS_IMPLICIT_KEY':
        return /:(\s|$)/.test(line)
          ? 'two keys on one line: a value cannot start another mapping after its key; put each key on a line of its own'
          : 'the next line is indented further than this key: keys of one mapping line up at the same column (or is a list item missing its "- "?)';
      case 'MULTILINE_IMPLICIT_KEY':
        return "a key must fit on one line and be followed by ':' (is a ':' missing, or is the line indented wrongly?)";
      case 'MISSING_CHAR':
        if (/without - indicator/.test(message)) return "this line is indented between a list item and its keys: line it up with the item's keys, or start a new item with '- '";
        if (/closing/.test(message)) return 'the quoted text is not closed: add the closing quote';
        if (/followed by map values/.test(message)) return "a key without ':' after it: write 'key: value'";
        return `a character is missing here (${lowerFirst(message)})`;
      case 'BAD_INDENT':
        if (/Flow sequence/.test(message)) return "the list opened with '[' is not closed with ']' (or a line inside it is indented less than its key)";
        if (/Flow map/.test(message)) return "the mapping opened with '{' is not closed with '}' (or a line inside it is indented less than its key)";
        return "this line's indentation does not fit the lines around it";
      case 'TAB_AS_INDENT':
        return 'YAML does not allow tabs for indentation: indent with spaces';
      case 'UNEXPECTED_TOKEN':
        return "unexpected text: the lines around here do not form a mapping or a list (check the indentation and the '- ' of list items)";
      case 'BLOCK_IN_FLOW':
        return "inside [ ] or { } items are separated by commas on their own; an indented mapping or list, or a second ':', cannot go there";
      case 'BAD_SCALAR_START':
        return 'a value cannot start with this character unless it is quoted: put the value in quotes';
      case 'BAD_DQ_ESCAPE':
        return 'an invalid escape in double-quoted text: write \\\\ for a backslash, or use single quotes';
      case 'MULTIPLE_ANCHORS':
        return 'a value can have only one &anchor';
      case 'MULTIPLE_TAGS':
        return 'a value can have only one !tag';
      case 'TAG_RESOLVE_FAILED':
        return 'the !tag does not fit this value: remove the tag';
      case 'KEY_OVER_1024_CHARS':
        return 'a key longer than 1,024 characters: YAML does not allow one';
      case 'NON_STRING_KEY':
        return 'a key must be a plain name, not a list or a mapping';
      default:
        return `YAML syntax error: ${lowerFirst(message)}`;
    }
  })();
  return { message: plain, detail: message };
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * The first place the nesting may exceed MAX_NESTING, found before the (recursive) parsers run.
 * From the YAML lexer's tokens, which also splits JSON: depth is at most the open flow brackets,
 * plus, in block-style YAML, the line's indentation and its compact `- `/`? ` indicators, since
 * each block level takes a column or an indicator.
 */
function nestingOffset(text: string, blockStyle: boolean): number | undefined {
  // The lexer's control tokens (document start, scalar start, flow error end) take no source text.
  const CONTROL = new Set(['\x02', '\x18', '\x1f']);
  let offset = 0;
  let flowDepth = 0;
  let lineStart = true;
  let lineDepth = 0;
  for (const token of new Lexer().lex(text)) {
    if (lineStart && blockStyle) lineDepth = /^[ \t]+$/.test(token) ? token.length : 0;
    lineStart = token.endsWith('\n');
    if (token === '[' || token === '{') flowDepth++;
    else if (token === ']' || token === '}') flowDepth = Math.max(0, flowDepth - 1);
    else if (blockStyle && (token === '-' || token === '?')) lineDepth++;
    if (flowDepth + lineDepth > MAX_NESTING) return offset;
    if (!CONTROL.has(token)) offset += token.length;
  }
  return undefined;
}

function yamlChild(node: YamlNode, segment: string | number): Step<YamlNode> | undefined {
  const span = yamlSpan;
  if (isSeq(node) && typeof segment === 'number') {
    const child = node.items[segment];
    return child && isNode(child) ? { node: child, value: span(child) } : undefined;
  }
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
  if (!pair || !isScalar(pair.key)) return undefined;
  const key = span(pair.key);
  // `key:` with nothing after it has no value node worth pointing at; point at the key.
  if (!isNode(pair.value) || (isScalar(pair.value) && pair.value.value === null)) return isNode(pair.value) ? { node: pair.value, value: key, key } : undefined;
  return { node: pair.value, value: span(pair.value), key };
}

function yamlSpan(node: YamlNode): Span {
  return node.range ? [node.range[0], node.range[1]] : [0, 0];
}

function isNode(value: unknown): value is YamlNode {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

// ---- shared ----

interface Step<N> {
  node: N;
  value: Span;
  key?: Span;
}

function locate<N>(
  root: Step<N>,
  path: SpecPath,
  part: 'value' | 'key' = 'value',
  child: (node: N, segment: string | number) => Step<N> | undefined,
  lines: LineIndex,
): Range {
  let here = root;
  for (const segment of path) {
    const next = child(here.node, segment);
    if (!next) return lines.range(here.key ?? lines.firstLine(here.value));
    here = next;
  }
  return lines.range(part === 'key' && here.key ? here.key : here.value);
}

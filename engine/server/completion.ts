// Completion in spec files: layer ids (in `inputs` and `output`), layer types and activations
// (after `type:`), the keys a layer of its type may have (from the schema), and layer snippets
// where a new layer can start. A spec being typed rarely parses, so where the cursor is comes
// from the text around it (jsonc-parser's tolerant location for JSON, the indentation for YAML),
// and the ids offered come from the last version of the document that did parse.
import { getLocation, Node as JsonNode, parseTree } from 'jsonc-parser';
import { CompletionItem, CompletionItemKind, InsertTextFormat, InsertTextMode, Position, Range } from 'vscode-languageserver';
import schema from '../../schemas/architecture.schema.json';
import { formatShape } from '../architecture/shapes';
import { INPUT_ID, isActivation, LAYER_TYPES, LayerType } from '../architecture/types';
import { formatForPath } from '../architecture/write';
import { SpecAnalysis } from './analysis';
import { layerSnippets } from './snippets';

export type CompletionSite =
  | {
      kind: 'type' | 'inputs' | 'output';
      /** An opening quote is typed already. */
      quoted: boolean;
      /** How much of the word is typed (it is on the cursor's line, just before it). */
      typed: number;
    }
  | {
      kind: 'key';
      /** The layer's type, when it is written. */
      layerType?: string;
      /** The keys the layer has already. */
      present: string[];
      quoted: boolean;
      typed: number;
      /** JSON: the editor closed the typed quote already; the key's text replaces that quote too. */
      closingQuote?: true;
      /** A YAML list item just begun ('- ' typed at this column): a layer snippet fits too. */
      itemColumn?: number;
    }
  | {
      kind: 'layer';
      typed: number;
      /** Whitespace of the cursor's line, for the snippet's later lines. */
      indent: string;
      /** JSON: commas to add before and after the new objects. */
      commaBefore: boolean;
      commaAfter: boolean;
    };

/** A layer id or type as far as it is typed, after an optional opening quote. */
const PARTIAL = /(["'])?[A-Za-z0-9_.-]*$/;

/** What the cursor at `offset` is typing, if it is something we complete. */
export function completionSite(text: string, offset: number, fileName: string): CompletionSite | undefined {
  const before = text.slice(0, offset);
  const line = before.slice(before.lastIndexOf('\n') + 1);
  const json = formatForPath(fileName) === 'json';
  const word = (typing: string) => {
    const [partial, quote] = PARTIAL.exec(typing)!;
    return { quoted: quote !== undefined, typed: partial.length - (quote?.length ?? 0) };
  };
  for (const kind of ['type', 'output'] as const) {
    const value = (json ? new RegExp(`"${kind}"\\s*:\\s*(.*)$`) : new RegExp(`(?:^|[\\s{,])${kind}:\\s*(.*)$`)).exec(line)?.[1];
    if (value !== undefined && PARTIAL.exec(value)!.index === 0) return { kind, ...word(value) };
  }
  // Inside the brackets of `inputs: [...`, possibly over several lines (ids hold no ']').
  const start = before.lastIndexOf(json ? '"inputs"' : 'inputs:');
  const list = start < 0 ? undefined : (json ? /^"inputs"\s*:\s*\[([^\]]*)$/ : /^inputs:\s*\[([^\]]*)$/).exec(before.slice(start))?.[1];
  if (list !== undefined) return { kind: 'inputs', ...word(list) };
  return json ? jsonLayerSite(text, offset, line) : (blockSequenceItem(before, line) ?? yamlLayerSite(text, before, line));
}

/** JSON: a key being typed in a layer object, or a place between layer objects. */
function jsonLayerSite(text: string, offset: number, line: string): CompletionSite | undefined {
  const { path, isAtPropertyKey } = getLocation(text, offset);
  if (path[0] !== 'layers' || typeof path[1] !== 'number') return undefined;
  const partial = /(")?[A-Za-z]*$/.exec(line)!;
  const quoted = partial[1] !== undefined;
  const typed = partial[0].length - (quoted ? 1 : 0);
  if (path.length === 3 && isAtPropertyKey) {
    const layer = findLayerObject(text, path[1]);
    const keys = (layer?.children ?? []).flatMap((p) => (p.children?.[0].type === 'string' ? [{ key: String(p.children[0].value), value: p.children[1]?.value }] : []));
    const type = keys.find((k) => k.key === 'type')?.value;
    const closingQuote = quoted && text[offset] === '"' ? { closingQuote: true as const } : {};
    return { kind: 'key', present: keys.map((k) => k.key), quoted, typed, ...closingQuote, ...(typeof type === 'string' ? { layerType: type } : {}) };
  }
  if (path.length !== 2 || quoted) return undefined;
  const start = offset - typed;
  return {
    kind: 'layer',
    typed,
    indent: /^[ \t]*/.exec(line)![0],
    commaBefore: /[}\]"\w]\s*$/.test(text.slice(0, start)) && !/\[\s*$/.test(text.slice(0, start)),
    commaAfter: /^\s*[{"\w]/.test(text.slice(offset)),
  };
}

function findLayerObject(text: string, index: number): JsonNode | undefined {
  const root = parseTree(text);
  const layers = root?.children?.find((p) => p.children?.[0].value === 'layers')?.children?.[1];
  const layer = layers?.type === 'array' ? layers.children?.[index] : undefined;
  return layer?.type === 'object' ? layer : undefined;
}

interface YamlLine {
  indent: number;
  /** After the indentation: `- ` when the line starts a list item. */
  dash: string;
  key?: string;
  value?: string;
}

function yamlLine(text: string): YamlLine | undefined {
  if (/^\s*(#.*)?$/.test(text)) return undefined;
  const [, spaces, dash, key, value] = /^( *)(-\s+)?(?:([A-Za-z_][\w.-]*)\s*:(?:\s+|$)(.*))?/.exec(text)!;
  return { indent: spaces.length, dash: dash ?? '', ...(key ? { key, value: value.replace(/\s+#.*$/, '').trim().replace(/^(["'])(.*)\1$/, '$2') } : {}) };
}

/**
 * YAML: a key being typed in a block-style layer (`    ou`, or `  - ` opening a new one), or a
 * new layer at the list's column. The layer's other keys are the lines at the key's column up to
 * its `- ` and down to the next item; the list must be the value of `layers:`.
 */
function yamlLayerSite(text: string, before: string, line: string): CompletionSite | undefined {
  const typing = /^( *)(-\s+)?([A-Za-z]*)$/.exec(line);
  if (!typing) return undefined;
  const lines = text.split('\n');
  const here = before.split('\n').length - 1;
  const typed = typing[3].length;
  const column = typing[1].length + (typing[2]?.length ?? 0);
  const present: YamlLine[] = [];
  let itemStart = typing[2] ? here : -1;
  for (let i = here - 1; itemStart < 0 && i >= 0; i--) {
    const l = yamlLine(lines[i]);
    if (l?.dash && l.indent === column) itemStart = i;
    else if (!l || l.indent + l.dash.length > column) continue;
    else if (l.indent + l.dash.length < column) return undefined;
    else {
      if (l.dash) itemStart = i;
      present.push(l);
    }
  }
  if (itemStart < 0) return undefined;
  const dashColumn = typing[2] ? typing[1].length : yamlLine(lines[itemStart])!.indent;
  // Without a dash, the cursor at the list's own column starts a new layer.
  if (!typing[2] && column === dashColumn) {
    return listOfLayers(lines, itemStart, dashColumn) ? { kind: 'layer', typed, indent: typing[1], commaBefore: false, commaAfter: false } : undefined;
  }
  if (!typing[2] && column !== dashColumn + yamlLine(lines[itemStart])!.dash.length) return undefined;
  if (!listOfLayers(lines, itemStart, dashColumn)) return undefined;
  for (let i = here + 1; i < lines.length; i++) {
    const l = yamlLine(lines[i]);
    if (!l || l.indent > column) continue;
    if (l.indent < column || l.dash) break;
    present.push(l);
  }
  const keys = present.flatMap((l) => (l.key ? [l] : []));
  const type = keys.find((k) => k.key === 'type')?.value;
  return { kind: 'key', present: keys.map((k) => k.key!), quoted: false, typed, ...(type ? { layerType: type } : {}), ...(typing[2] ? { itemColumn: dashColumn } : {}) };
}

/** Whether the list item at line `item` (its dash at `column`) is in the list under `layers:`. */
function listOfLayers(lines: string[], item: number, column: number): boolean {
  for (let i = item - 1; i >= 0; i--) {
    const l = yamlLine(lines[i]);
    if (!l || l.indent > column || (l.indent === column && l.dash)) continue;
    return l.key === 'layers' && l.value === '' && !l.dash;
  }
  return false;
}

/** YAML `inputs:` followed by `- id` lines, the cursor on one of them. */
function blockSequenceItem(before: string, line: string): CompletionSite | undefined {
  const item = /^\s*-\s+((["'])?[A-Za-z0-9_.-]*)$/.exec(line);
  if (!item) return undefined;
  const site: CompletionSite = { kind: 'inputs', quoted: item[2] !== undefined, typed: item[1].length - (item[2]?.length ?? 0) };
  const lines = before.split('\n');
  for (let i = lines.length - 2; i >= 0; i--) {
    if (/^\s*inputs:\s*$/.test(lines[i])) return site;
    if (!/^\s*-\s+\S+\s*$/.test(lines[i])) return undefined;
  }
  return undefined;
}

type LayerSchema = { properties: Record<string, { description?: string; default?: unknown }> };
const LAYER_SCHEMAS = schema.definitions as unknown as Record<string, LayerSchema | undefined>;
/** Keys every layer has, offered while its type is not written. */
const COMMON_KEYS = ['id', 'type', 'inputs'];

/** Items for a site; `at` is the cursor. Each replaces the typed part of the word. */
export function completions(site: CompletionSite, at: Position, analysis: SpecAnalysis | undefined, fileName: string): CompletionItem[] {
  const json = formatForPath(fileName) === 'json';
  const range = { start: { line: at.line, character: at.character - site.typed }, end: at };
  const order = (n: number) => String(n).padStart(6, '0');
  if (site.kind === 'key') {
    const keyRange = { start: { line: at.line, character: range.start.character - (site.quoted ? 1 : 0) }, end: { line: at.line, character: at.character + (site.closingQuote ? 1 : 0) } };
    const keys = keyItems(site, json, keyRange);
    return site.itemColumn === undefined ? keys : [...keys, ...snippetItems(analysis, at, { start: { line: at.line, character: site.itemColumn }, end: at }, ' '.repeat(site.itemColumn), json, '', '')];
  }
  if (site.kind === 'layer') return snippetItems(analysis, at, range, site.indent, json, site.commaBefore ? ',' : '', site.commaAfter ? ',' : '');
  const quote = json && !site.quoted ? '"' : '';
  const item = (label: string, kind: CompletionItemKind, detail: string | undefined, n: number): CompletionItem => ({
    label,
    kind,
    ...(detail ? { detail } : {}),
    textEdit: { range, newText: `${quote}${label}${quote}` },
    sortText: order(n),
  });
  if (site.kind === 'type') {
    return LAYER_TYPES.map((type, i) => {
      const description = LAYER_SCHEMAS[type]?.properties.type.description;
      return { ...item(type, isActivation(type) ? CompletionItemKind.Function : CompletionItemKind.EnumMember, isActivation(type) ? 'activation' : 'layer type', i), ...(description ? { documentation: description } : {}) };
    });
  }
  const layers = (analysis?.layers ?? []).map((l, i) => {
    const shape = analysis?.shapes?.byId.get(l.definition.id)?.shape;
    return item(l.definition.id, CompletionItemKind.Reference, [l.type, shape && formatShape(shape)].filter(Boolean).join(' '), i + 1);
  });
  return site.kind === 'inputs' ? [item(INPUT_ID, CompletionItemKind.Reference, 'the network input', 0), ...layers] : layers;
}

/** The keys a layer of its type may have and does not have yet, in the schema's order, each with a tab stop for its value. */
function keyItems(site: Extract<CompletionSite, { kind: 'key' }>, json: boolean, range: Range): CompletionItem[] {
  const layer = site.layerType && (LAYER_TYPES as readonly string[]).includes(site.layerType) ? LAYER_SCHEMAS[site.layerType as LayerType] : undefined;
  const keys = layer ? Object.keys(layer.properties) : COMMON_KEYS;
  return keys
    .filter((key) => !site.present.includes(key))
    .map((key, i) => {
      const property = layer?.properties[key];
      const value =
        key === 'type' ? (json ? `"\${1|${LAYER_TYPES.join(',')}|}"` : `\${1|${LAYER_TYPES.join(',')}|}`) : key === 'inputs' ? (json ? '["$1"]' : '[$1]') : key === 'id' && json ? '"$1"' : property?.default !== undefined ? `\${1:${String(property.default)}}` : '$1';
      return {
        label: key,
        kind: CompletionItemKind.Property,
        ...(property?.description ? { documentation: property.description } : {}),
        insertTextFormat: InsertTextFormat.Snippet,
        textEdit: { range, newText: json ? `"${key}": ${value}` : `${key}: ${value}` },
        sortText: String(i).padStart(6, '0'),
      };
    });
}

/** The layer snippets at the cursor: they read the layer above it. */
function snippetItems(analysis: SpecAnalysis | undefined, at: Position, range: Range, indent: string, json: boolean, before: string, after: string): CompletionItem[] {
  const above = (analysis?.layers ?? []).filter((l) => l.range.start.line < at.line).at(-1);
  const previous = above?.definition.id ?? INPUT_ID;
  const channels = previous === INPUT_ID ? analysis?.spec?.input.channels : analysis?.shapes?.byId.get(previous)?.shape[0];
  const taken = new Set((analysis?.layers ?? []).map((l) => l.definition.id));
  return layerSnippets({ format: json ? 'json' : 'yaml', indent, previous, taken, ...(channels ? { channels } : {}) }).map((snippet, i) => ({
    label: snippet.label,
    kind: CompletionItemKind.Snippet,
    detail: snippet.detail,
    insertTextFormat: InsertTextFormat.Snippet,
    insertTextMode: InsertTextMode.asIs,
    textEdit: { range, newText: `${before}${snippet.text}${after}` },
    sortText: `z${String(i).padStart(5, '0')}`,
  }));
}

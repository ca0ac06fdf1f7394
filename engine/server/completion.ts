// Completion of layer ids (in `inputs` and `output`) and layer types (after `type:`). A spec
// being typed rarely parses, so where the cursor is comes from the text around it, and the ids
// offered come from the last version of the document that did parse.
import { CompletionItem, CompletionItemKind, Position } from 'vscode-languageserver';
import { formatShape } from '../architecture/shapes';
import { INPUT_ID, LAYER_TYPES } from '../architecture/types';
import { formatForPath } from '../architecture/write';
import { SpecAnalysis } from './analysis';

export interface CompletionSite {
  kind: 'type' | 'inputs' | 'output';
  /** An opening quote is typed already. */
  quoted: boolean;
  /** How much of the word is typed (it is on the cursor's line, just before it). */
  typed: number;
}

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
  return json ? undefined : blockSequenceItem(before, line);
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

/** Items for a site; `at` is the cursor. Each replaces the typed part of the word. */
export function completions(site: CompletionSite, at: Position, analysis: SpecAnalysis | undefined, fileName: string): CompletionItem[] {
  const quote = formatForPath(fileName) === 'json' && !site.quoted ? '"' : '';
  const range = { start: { line: at.line, character: at.character - site.typed }, end: at };
  const item = (label: string, kind: CompletionItemKind, detail: string | undefined, order: number): CompletionItem => ({
    label,
    kind,
    ...(detail ? { detail } : {}),
    textEdit: { range, newText: `${quote}${label}${quote}` },
    sortText: String(order).padStart(6, '0'),
  });
  if (site.kind === 'type') return LAYER_TYPES.map((type, i) => item(type, CompletionItemKind.EnumMember, undefined, i));
  const layers = (analysis?.layers ?? []).map((l, i) => {
    const shape = analysis?.shapes?.byId.get(l.definition.id)?.shape;
    return item(l.definition.id, CompletionItemKind.Reference, [l.type, shape && formatShape(shape)].filter(Boolean).join(' '), i + 1);
  });
  return site.kind === 'inputs' ? [item(INPUT_ID, CompletionItemKind.Reference, 'the network input', 0), ...layers] : layers;
}

// Quick fixes for the problems the checker marks with a fix (IssueFix): an unknown layer type or
// id becomes one of the nearest known ones, a declared `in` that disagrees with the shapes is set
// to what the layer receives or removed, a missing required attribute is inserted with a common
// value. Each is an exact edit of the text (./text-edits), so the file keeps its formatting.
import { CodeAction, CodeActionKind, Range as LspRange, TextEdit } from 'vscode-languageserver';
import { Range } from '../architecture/source';
import { ARCH_FORMAT, INPUT_ID, IssueFix, LAYER_TYPES, SpecPath } from '../architecture/types';
import { formatForPath, SpecFormat } from '../architecture/write';
import { nearest } from '../util/nearest';
import { SpecAnalysis } from './analysis';
import { diagnostic, toLspRange } from './features';
import { deleteProperty, insertProperty, replaceValue, scalarText, TextIndex } from './text-edits';

interface Fix {
  title: string;
  edit: TextEdit;
  preferred?: boolean;
}

/** The quick fixes for the problems that touch `range`, for the document at `version`. */
export function quickFixes(analysis: SpecAnalysis, text: string, uri: string, version: number, range: LspRange): CodeAction[] {
  const source = analysis.source;
  if (!source) return [];
  const index = new TextIndex(text);
  const context: FixContext = { analysis, index, format: formatForPath(uri), fileName: uri, locate: source.locate, value: source.value };
  return analysis.problems
    .filter((p) => p.fix && p.path && touches(toLspRange(p.range), range))
    .flatMap((problem) =>
      fixesFor(problem.fix!, problem.path!, context).map(
        ({ title, edit, preferred }): CodeAction => ({
          title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic(problem, uri)],
          ...(preferred ? { isPreferred: true } : {}),
          edit: { documentChanges: [{ textDocument: { uri, version }, edits: [edit] }] },
        }),
      ),
    );
}

interface FixContext {
  analysis: SpecAnalysis;
  index: TextIndex;
  format: SpecFormat;
  fileName: string;
  locate: (path: SpecPath, part?: 'value' | 'key') => Range;
  value: unknown;
}

function fixesFor(fix: IssueFix, path: SpecPath, context: FixContext): Fix[] {
  const { index, format, locate } = context;
  switch (fix.kind) {
    case 'unknownType':
    case 'unknownId': {
      const typed = valueAt(context.value, path);
      if (typeof typed !== 'string') return [];
      const known = fix.kind === 'unknownType' ? LAYER_TYPES : knownIds(context, path);
      return nearest(typed, known).map((name, i) => ({ title: `Change to '${name}'`, edit: replaceValue(index, locate(path), name, format), preferred: i === 0 }));
    }
    case 'declaredIn':
      return [
        { title: `Set in to ${fix.actual} (what the layer receives)`, edit: replaceValue(index, locate(path), fix.actual, format), preferred: true },
        { title: 'Remove in (it is inferred from the inputs)', edit: deleteProperty(index, locate(path, 'key'), locate(path)) },
      ];
    case 'missingProperty':
      return missingProperty(fix.property, path, context);
  }
}

/** The ids an `inputs` entry or `output` may name: every layer's but the reading layer's own (and `input` for inputs). */
function knownIds(context: FixContext, path: SpecPath): string[] {
  const ids = context.analysis.layers.filter((l) => !(path[0] === 'layers' && l.index === path[1])).map((l) => l.definition.id);
  return path[0] === 'layers' ? [INPUT_ID, ...ids] : ids;
}

function missingProperty(property: string, path: SpecPath, context: FixContext): Fix[] {
  const mapping = asRecord(valueAt(context.value, path));
  const value = mapping && defaultFor(property, mapping, path, context);
  // The new property goes after the layer's type (or id), else the mapping's first scalar property.
  const preferred = path[0] === 'layers' ? ['type', 'id'] : [];
  const anchor = mapping && [...preferred, ...Object.keys(mapping)].find((key) => isScalar(mapping[key]));
  if (value === undefined || anchor === undefined) return [];
  const at = [...path, anchor];
  const edit = insertProperty(context.index, context.locate(path), context.locate(at, 'key'), context.locate(at), property, value, context.format);
  return [{ title: `Add ${property}: ${scalarText(value, context.format)}`, edit, preferred: true }];
}

/** A common value for a required property the mapping at `path` lacks; undefined where none is sensible (a layer's type). */
function defaultFor(property: string, mapping: Record<string, unknown>, path: SpecPath, context: FixContext): string | number | undefined {
  const root = asRecord(context.value);
  if (path.length === 0) return { format: ARCH_FORMAT, name: specName(context.fileName), classes: 10 }[property];
  if (path[0] !== 'layers' || typeof path[1] !== 'number') return undefined;
  const type = mapping.type;
  switch (property) {
    case 'id':
      return freshId(typeof type === 'string' ? type : 'layer', context);
    case 'out':
      // A head gives the classes; a convolution keeps the width of the convolution before it.
      return type === 'linear' ? numberOr(root?.classes, 10) : numberOr(previousOut(context.value, path[1]), 16);
    case 'kernel':
      return type === 'conv' ? 3 : 2;
    case 'groups':
    case 'chunks':
      return 2;
    case 'index':
      return 0;
    case 'rate':
      return 0.5;
    default:
      return undefined;
  }
}

/** A spec file's name without its folder and `.arch.<ext>`, from its URI. */
function specName(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1)).replace(/\.arch\.(json|ya?ml)$/i, '');
}

function freshId(stem: string, context: FixContext): string {
  const taken = new Set(context.analysis.layers.map((l) => l.definition.id));
  let n = 1;
  while (taken.has(`${stem}${n}`)) n++;
  return `${stem}${n}`;
}

function previousOut(value: unknown, layer: number): unknown {
  const layers = asRecord(value)?.layers;
  if (!Array.isArray(layers)) return undefined;
  for (let i = layer - 1; i >= 0; i--) {
    const out = asRecord(layers[i])?.out;
    if (typeof out === 'number') return out;
  }
  return undefined;
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

function valueAt(value: unknown, path: SpecPath): unknown {
  return path.reduce<unknown>((v, segment) => (typeof v === 'object' && v !== null ? (v as Record<string | number, unknown>)[segment] : undefined), value);
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function touches(a: LspRange, b: LspRange): boolean {
  const before = (p: LspRange['start'], q: LspRange['start']) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !before(a.end, b.start) && !before(b.end, a.start);
}

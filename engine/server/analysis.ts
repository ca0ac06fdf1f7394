// What the language features need to know about one version of a spec document: its problems,
// the spec and its shapes when it is sound, and where every layer id and reference lies. Sites
// come from the parsed value even when the schema fails, so the outline, go to definition and
// rename keep working on a spec that is still being written.
import type { ResolvedGraph } from '../architecture/graph';
import type { ShapeReport } from '../architecture/shapes';
import { parseSource, Position, Problem, Range, SourceDocument } from '../architecture/source';
import { ArchitectureSpec, INPUT_ID, SpecPath } from '../architecture/types';
import { checkSourceDocument } from '../architecture/validate';

/** A layer id where it is written: `range` covers the name itself, inside any quotes. */
export interface IdSite {
  id: string;
  range: Range;
  quoted: boolean;
}

export interface LayerSite {
  index: number;
  definition: IdSite;
  type?: string;
  /** The whole layer mapping. */
  range: Range;
  /** Its explicit `inputs` (the default input is not written anywhere). */
  inputs: IdSite[];
}

export interface SpecAnalysis {
  problems: Problem[];
  /** Present once the schema and the graph are sound (shapes may still have problems). */
  spec?: ArchitectureSpec;
  graph?: ResolvedGraph;
  shapes?: ShapeReport;
  /** Empty when the text does not parse. */
  layers: LayerSite[];
  output?: IdSite;
  /** The `input` property, which is what the reserved id `input` refers to. */
  inputKey?: Range;
  /** False when the text does not parse (a syntax error, or too large). */
  parsed: boolean;
  /** The parsed text, for edits that need the place of any value (present when `parsed`). */
  source?: SourceDocument;
}

export function analyzeSpec(text: string, fileName: string): SpecAnalysis {
  const parsed = parseSource(text, fileName);
  const { document } = parsed;
  if (!document) return { problems: parsed.problems, layers: [], parsed: false };
  const { spec, problems, graph, shapes } = checkSourceDocument(document);
  const root = asRecord(document.value);
  const layers = Array.isArray(root?.layers) ? root.layers.flatMap((layer, i) => layerSite(document, layer, i)) : [];
  const output = typeof root?.output === 'string' ? idSite(document, root.output, ['output']) : undefined;
  const inputKey = root && 'input' in root ? document.locate(['input'], 'key') : undefined;
  return { problems, spec, graph, shapes, layers, output, inputKey, parsed: true, source: document };
}

function layerSite(document: SourceDocument, value: unknown, index: number): LayerSite[] {
  const layer = asRecord(value);
  if (!layer || typeof layer.id !== 'string') return [];
  const at = (...rest: SpecPath): SpecPath => ['layers', index, ...rest];
  const inputs = Array.isArray(layer.inputs) ? layer.inputs : [];
  return [
    {
      index,
      definition: idSite(document, layer.id, at('id')),
      ...(typeof layer.type === 'string' ? { type: layer.type } : {}),
      range: document.locate(at()),
      inputs: inputs.flatMap((id, k) => (typeof id === 'string' ? [idSite(document, id, at('inputs', k))] : [])),
    },
  ];
}

function idSite(document: SourceDocument, id: string, path: SpecPath): IdSite {
  const range = document.locate(path);
  // Ids have no escapes (the schema's pattern), so a range two longer than the id is quoted.
  const quoted = range.start.line === range.end.line && range.end.column - range.start.column === id.length + 2;
  if (!quoted) return { id, range, quoted };
  return { id, range: { start: shift(range.start, 1), end: shift(range.end, -1) }, quoted };
}

function shift(p: Position, columns: number): Position {
  return { line: p.line, column: p.column + columns };
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function contains(range: Range, p: Position): boolean {
  const afterStart = p.line > range.start.line || (p.line === range.start.line && p.column >= range.start.column);
  const beforeEnd = p.line < range.end.line || (p.line === range.end.line && p.column <= range.end.column);
  return afterStart && beforeEnd;
}

/** What is at a position: a layer's id, a reference to an id (inputs or output), or neither. */
export type SiteAt =
  | { kind: 'definition'; layer: LayerSite; site: IdSite }
  | { kind: 'reference'; layer?: LayerSite; site: IdSite }
  | undefined;

export function siteAt(analysis: SpecAnalysis, p: Position): SiteAt {
  if (analysis.output && contains(analysis.output.range, p)) return { kind: 'reference', site: analysis.output };
  const layer = layerAt(analysis, p);
  if (!layer) return undefined;
  if (contains(layer.definition.range, p)) return { kind: 'definition', layer, site: layer.definition };
  const input = layer.inputs.find((s) => contains(s.range, p));
  return input && { kind: 'reference', layer, site: input };
}

/** The layer whose mapping holds the position. */
export function layerAt(analysis: SpecAnalysis, p: Position): LayerSite | undefined {
  return analysis.layers.find((l) => contains(l.range, p));
}

/** Where an id is defined: a layer's id, or the `input` property for the reserved id. */
export function definitionOf(analysis: SpecAnalysis, id: string): Range | undefined {
  return analysis.layers.find((l) => l.definition.id === id)?.definition.range ?? (id === INPUT_ID ? analysis.inputKey : undefined);
}

/** Every place an id is written: its definitions, the inputs that read it, and `output`. */
export function occurrences(analysis: SpecAnalysis, id: string): IdSite[] {
  const sites = analysis.layers.flatMap((l) => [l.definition, ...l.inputs]);
  if (analysis.output) sites.push(analysis.output);
  return sites.filter((s) => s.id === id);
}

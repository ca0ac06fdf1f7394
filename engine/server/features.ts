// Read-only language features over a SpecAnalysis: hover, CodeLens, outline, definition and
// references. Each is a pure function of the analysis and a position, so the server only routes.
import { CodeLens, Diagnostic, DiagnosticSeverity, DocumentSymbol, Hover, Location, MarkupKind, Position as LspPosition, Range as LspRange, SymbolKind } from 'vscode-languageserver';
import { Commands } from '../../protocol';
import { formatCount } from '../../protocol/format';
import { formatShape } from '../architecture/shapes';
import { INPUT_ID, Shape } from '../architecture/types';
import { Position, Problem, Range } from '../architecture/source';
import { definitionOf, layerAt, LayerSite, occurrences, siteAt, SpecAnalysis } from './analysis';

export function toLspRange(range: Range): LspRange {
  return { start: toLspPosition(range.start), end: toLspPosition(range.end) };
}

function toLspPosition(p: Position): LspPosition {
  return { line: p.line, character: p.column };
}

export function fromLspPosition(p: LspPosition): Position {
  return { line: p.line, column: p.character };
}

export function diagnostics(analysis: SpecAnalysis, uri: string): Diagnostic[] {
  return analysis.problems.map((p) => diagnostic(p, uri));
}

/** A problem as the editor shows it; the parser's own words, where rephrased, as related information. */
export function diagnostic(problem: Problem, uri: string): Diagnostic {
  const range = toLspRange(problem.range);
  const related = problem.detail ? { relatedInformation: [{ location: { uri, range }, message: `the parser's words: ${problem.detail}` }] } : {};
  return { range, message: problem.message, severity: DiagnosticSeverity.Error, source: 'esnac', ...related };
}


/** On an id in `inputs` or `output`, the layer it names; elsewhere in a layer, that layer. */
export function hover(analysis: SpecAnalysis, at: LspPosition): Hover | null {
  const position = fromLspPosition(at);
  const site = siteAt(analysis, position);
  const range = site ? { range: toLspRange(site.site.range) } : {};
  if (site?.site.id === INPUT_ID && analysis.spec) {
    return { contents: { kind: MarkupKind.Markdown, value: `**${INPUT_ID}** · the network input, ${describeSource(analysis, INPUT_ID)}` }, ...range };
  }
  const layer = site ? analysis.layers.find((l) => l.definition.id === site.site.id) : layerAt(analysis, position);
  return layer ? { contents: { kind: MarkupKind.Markdown, value: describeLayer(analysis, layer) }, ...range } : null;
}

function describeLayer(analysis: SpecAnalysis, layer: LayerSite): string {
  const id = layer.definition.id;
  const title = `**${id}**${layer.type ? ` · ${layer.type}` : ''}`;
  if (!analysis.spec || !analysis.graph) return `${title}\n\nShapes are known once the problems in this file are fixed.`;
  const stats = analysis.shapes?.byId.get(id);
  const resolved = analysis.graph.byId.get(id);
  const lines = [title, ''];
  lines.push(stats ? `- output: ${formatShape(stats.shape)}` : '- output: unknown (this layer or one it reads has a problem)');
  if (stats) lines.push(`- params: ${formatCount(stats.params)} · MACs: ${formatCount(stats.macs)}`);
  if (resolved) lines.push(`- inputs: ${resolved.inputs.map((source) => describeSource(analysis, source)).join(', ')}${layer.inputs.length === 0 ? ' (default)' : ''}`);
  const readers = analysis.graph.consumers.get(id) ?? [];
  lines.push(readers.length > 0 ? `- read by: ${readers.map((r) => `\`${r}\``).join(', ')}` : analysis.graph.output === id ? '- the network output' : '- read by no layer');
  return lines.join('\n');
}

function describeSource(analysis: SpecAnalysis, source: string): string {
  const { input } = analysis.spec!;
  const shape: Shape | undefined = source === INPUT_ID ? [input.channels, input.height, input.width] : analysis.shapes?.byId.get(source)?.shape;
  return `\`${source}\`${shape ? ` (${formatShape(shape)})` : ''}`;
}

/** Lenses on the first line: the totals (or the problem count), then the actions; Diff for a student of a teacher (engine/run/student). */
export function codeLenses(analysis: SpecAnalysis, uri: string, student: boolean): CodeLens[] {
  const range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const lens = (title: string, command = '', args: unknown[] = []): CodeLens => ({ range, command: { title, command, arguments: args } });
  const count = analysis.problems.length;
  const sound = analysis.spec !== undefined && count === 0 && analysis.shapes !== undefined;
  const lenses = [
    sound ? lens(`${formatCount(analysis.shapes!.params)} params · ${formatCount(analysis.shapes!.macs)} MACs`) : lens(`${count} problem${count === 1 ? '' : 's'}`),
    lens('Preview', Commands.previewArchitecture, [uri]),
  ];
  if (sound) lenses.push(lens('Compress', Commands.compressArchitecture, [uri]));
  if (student) lenses.push(lens('Diff with teacher', Commands.diffWithTeacher, [uri]));
  return lenses;
}

/** The layers, in file order, for the outline and breadcrumbs. */
export function documentSymbols(analysis: SpecAnalysis): DocumentSymbol[] {
  return analysis.layers.map((layer) => {
    const shape = analysis.shapes?.byId.get(layer.definition.id)?.shape;
    const detail = [layer.type, shape && formatShape(shape)].filter(Boolean).join(' ');
    return { name: layer.definition.id, detail, kind: SymbolKind.Object, range: toLspRange(layer.range), selectionRange: toLspRange(layer.definition.range) };
  });
}

/** From a reference to the layer it names (or `input` to the input shape); a definition to itself. */
export function definition(analysis: SpecAnalysis, uri: string, at: LspPosition): Location | null {
  const site = siteAt(analysis, fromLspPosition(at));
  const target = site && definitionOf(analysis, site.site.id);
  return target ? { uri, range: toLspRange(target) } : null;
}

export function references(analysis: SpecAnalysis, uri: string, at: LspPosition, includeDeclaration: boolean): Location[] {
  const site = siteAt(analysis, fromLspPosition(at));
  if (!site) return [];
  const all = occurrences(analysis, site.site.id);
  const definitions = new Set(analysis.layers.map((l) => l.definition));
  return all.filter((s) => includeDeclaration || !definitions.has(s)).map((s) => ({ uri, range: toLspRange(s.range) }));
}

// The elkjs input for a graph model: layered top to bottom (or left to right), each node with one
// port per operand on its upstream side in FIXED_ORDER (so the order of a concat's inputs is the
// spec's order) and one port for its output on the other side. Node sizes come from measured
// label widths.
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api';
import type { GraphDirection, GraphModel, GraphNode } from '../../protocol/webview';
import { formatCount } from '../../protocol/format';
import { INPUT_ID } from '../../engine/architecture/types';

// Brandes-Koepf placement: NETWORK_SIMPLEX placement is about ten times slower on big graphs.
export const LAYOUT_OPTIONS: Record<string, string> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.spacing.nodeNodeBetweenLayers': '22',
  'elk.spacing.nodeNode': '18',
  'elk.spacing.edgeNode': '12',
  'elk.layered.spacing.edgeNodeBetweenLayers': '12',
  'elk.edgeRouting': 'ORTHOGONAL',
};

/** How the webview draws a node: its two (or, in a diff, three) lines of text and the box. */
export const NODE_METRICS = {
  paddingX: 10,
  lineHeight: 16,
  paddingY: 5,
  minWidth: 72,
};

/** Measures a text in the node font; `bold` for the id line. */
export type MeasureText = (text: string, bold: boolean) => number;

/** The lines a node shows: its id, then type, attributes and output shape, then a diff's change. */
export function nodeLines(node: GraphNode): string[] {
  if (node.colour === 'input') return [node.id, node.shape];
  if (node.colour === 'block') return [`▸ ${node.id}`, `${node.detail}, ${formatCount(node.params)} params · ${node.shape}`, ...(node.change !== undefined ? [node.change] : [])];
  const second = [node.type, node.detail].filter((s) => s !== '').join(' ') + ` · ${node.shape}`;
  return node.change !== undefined ? [node.id, second, node.change] : [node.id, second];
}

export function inputNode(model: GraphModel): GraphNode {
  return { id: INPUT_ID, type: 'input', colour: 'input', detail: '', shape: model.inputShape, params: 0, macs: 0, attributes: [] };
}

export const inPortId = (node: string, port: number) => `${node}\u0000in${port}`;
export const outPortId = (node: string) => `${node}\u0000out`;
export const edgeId = (from: string, to: string, port: number) => `${from}\u0000${to}\u0000${port}`;

/** The sides a node's input ports and its output port are on. */
const PORT_SIDES: Record<GraphDirection, { in: string; out: string }> = {
  DOWN: { in: 'NORTH', out: 'SOUTH' },
  RIGHT: { in: 'WEST', out: 'EAST' },
};

export function buildElkGraph(model: GraphModel, measure: MeasureText, direction: GraphDirection = 'DOWN'): ElkNode {
  const operands = new Map<string, number>();
  for (const e of model.edges) operands.set(e.to, Math.max(operands.get(e.to) ?? 0, e.port + 1));
  const children = [inputNode(model), ...model.nodes].map((node) => elkNode(node, operands.get(node.id) ?? 0, measure, PORT_SIDES[direction]));
  const edges: ElkExtendedEdge[] = model.edges.map((e) => ({
    id: edgeId(e.from, e.to, e.port),
    sources: [outPortId(e.from)],
    targets: [inPortId(e.to, e.port)],
  }));
  return { id: 'root', layoutOptions: { ...LAYOUT_OPTIONS, 'elk.direction': direction }, children, edges };
}

function elkNode(node: GraphNode, inputs: number, measure: MeasureText, sides: { in: string; out: string }): ElkNode {
  const lines = nodeLines(node);
  const textWidth = Math.max(...lines.map((line, i) => measure(line, i === 0)));
  const width = Math.max(NODE_METRICS.minWidth, Math.ceil(textWidth) + 2 * NODE_METRICS.paddingX);
  const height = lines.length * NODE_METRICS.lineHeight + 2 * NODE_METRICS.paddingY;
  const ports = Array.from({ length: inputs }, (_, i) => ({
    id: inPortId(node.id, i),
    width: 1,
    height: 1,
    layoutOptions: { 'elk.port.side': sides.in, 'elk.port.index': String(i) },
  }));
  ports.push({ id: outPortId(node.id), width: 1, height: 1, layoutOptions: { 'elk.port.side': sides.out, 'elk.port.index': String(inputs) } });
  return { id: node.id, width, height, ports, layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' } };
}


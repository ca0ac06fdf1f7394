// Blocks of a graph that collapse into one node. By id prefix: the layers sharing one
// (`layer1.0.conv1` is in `layer1.0.*` and `layer1.*`), which in ResNet, ShuffleNet and MobileNet
// specs are the repeated units and their stages. Where the ids carry no such structure (written by
// hand, or imported from ONNX with generated names), by the graph's shape: the repeated units are
// the stretches between two layers every path goes through that merge branches (a residual add, a
// concat with a shortcut, a gate's mul). Only a block no path leaves and re-enters is offered, so
// a collapsed graph stays acyclic. Pure, so the webview collapses without asking the host.
import type { GraphEdge, GraphModel, GraphNode } from '../../protocol/webview';
import { INPUT_ID } from '../../engine/architecture/types';

export interface Block {
  /**
   * By prefix: the prefix and a `*` (`layer1.0.*`); a unit: its first and last layers' ids joined
   * by ' … '. A layer id has neither a `*` nor a space, so it never names a layer.
   */
  id: string;
  /** By prefix: the prefix's segments (1 for `layer1.*`, 2 for `layer1.0.*`); a unit: 1. */
  depth: number;
  kind: 'prefix' | 'unit';
  /** Its layers' ids in the graph's (topological) order. */
  members: string[];
}

const SEPARATOR = '.';

/** Every block of the graph, outer blocks first: by id prefix, else its units. */
export function findBlocks(model: GraphModel): Block[] {
  const byPrefix = prefixBlocks(model);
  return byPrefix.length > 0 ? byPrefix : findUnits(model);
}

/**
 * The blocks by id prefix, outer blocks first. A prefix whose layers are exactly those of a
 * longer one is left out (the longer names them better), as is one holding every layer.
 */
export function prefixBlocks(model: GraphModel): Block[] {
  const byPrefix = new Map<string, string[]>();
  for (const node of model.nodes) {
    const parts = node.id.split(SEPARATOR);
    for (let depth = 1; depth < parts.length; depth++) {
      const prefix = parts.slice(0, depth).join(SEPARATOR);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), node.id]);
    }
  }
  const successors = successorMap(model.edges);
  const candidates: Block[] = [...byPrefix]
    .filter(([, members]) => members.length >= 2 && members.length < model.nodes.length)
    .map(([prefix, members]) => ({ id: `${prefix}${SEPARATOR}*`, depth: prefix.split(SEPARATOR).length, kind: 'prefix', members }));
  const sameAsDeeper = (block: Block) => candidates.some((other) => other.depth > block.depth && other.id.startsWith(block.id.slice(0, -1)) && other.members.length === block.members.length);
  return candidates.filter((block) => !sameAsDeeper(block) && isConvex(new Set(block.members), successors)).sort((a, b) => a.depth - b.depth);
}

/**
 * The graph's units, found from its edges alone. A cut is a layer every path from the input to
 * the output goes through: in the (topological) order of the layers, one no edge jumps over. The
 * layers after one cut up to the next form a single-entry single-exit region; a region holding a
 * merge (a layer reading two or more others) is a unit, such as ResNet's and MobileNet's residual
 * blocks and ShuffleNet's units. A unit takes along the parameter-free layers right after it that
 * keep its shape (the ReLU after an add, a channel shuffle), which belong to it in those nets.
 * Each unit is a stretch of the order between cuts, so no path leaves it and comes back.
 */
export function findUnits(model: GraphModel): Block[] {
  const order = [INPUT_ID, ...model.nodes.map((n) => n.id)];
  const position = new Map(order.map((id, i) => [id, i]));
  // jumped[p] > 0: some edge goes from before p to after it.
  const jumped = new Array<number>(order.length + 1).fill(0);
  const sources = new Map<string, Set<string>>();
  for (const e of model.edges) {
    const from = position.get(e.from)!;
    const to = position.get(e.to)!;
    jumped[from + 1]++;
    jumped[to]--;
    sources.set(e.to, (sources.get(e.to) ?? new Set()).add(e.from));
  }
  const cuts: number[] = [];
  for (let p = 0, open = 0; p < order.length; p++) {
    open += jumped[p];
    if (open === 0) cuts.push(p);
  }
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const isMerge = (p: number) => (sources.get(order[p])?.size ?? 0) >= 2;
  const units: Block[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const [start, exit] = [cuts[i] + 1, cuts[i + 1]];
    if (exit - start < 1 || !range(start, exit).some(isMerge)) continue;
    let end = exit;
    const shape = byId.get(order[exit])!.shape;
    // The layers right after the unit, each a cut of its own: take those that only act on its output's values.
    for (let k = i + 2; k < cuts.length && cuts[k] === end + 1; k++) {
      const next = byId.get(order[end + 1])!;
      if (next.params !== 0 || next.shape !== shape || (sources.get(next.id)?.size ?? 0) !== 1) break;
      end++;
    }
    const members = range(start, end).map((p) => order[p]);
    if (members.length < model.nodes.length) units.push({ id: `${members[0]} … ${members.at(-1)}`, depth: 1, kind: 'unit', members });
    // The layers taken along may be where the next unit would start: go on after them.
    while (i + 1 < cuts.length && cuts[i + 1] < end) i++;
  }
  return units;
}

/** from..to, both included. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, k) => from + k);
}

/** The depths at which blocks exist, shallowest first, each with an example block id for a menu. */
export function blockLevels(blocks: Block[]): { depth: number; example: string; count: number; kind: Block['kind'] }[] {
  const depths = [...new Set(blocks.map((b) => b.depth))].sort((a, b) => a - b);
  return depths.map((depth) => {
    const at = blocks.filter((b) => b.depth === depth);
    return { depth, example: at[0].id, count: at.length, kind: at[0].kind };
  });
}

/** A collapsed graph, and for each of its block nodes the block it stands for. */
export interface CollapsedGraph {
  model: GraphModel;
  blocks: Map<string, Block>;
  /** Each layer id of the full graph -> the node that shows it (itself, or its block). */
  shownAs: Map<string, string>;
}

/**
 * The graph with each collapsed block drawn as one node (its layer count, params, MACs, and the
 * output shape of its last layer) and the edges rerouted to it: an edge inside a block goes, and
 * parallel edges merge. A block inside a collapsed block is part of it. Unknown ids are ignored.
 */
export function collapse(model: GraphModel, blocks: Block[], collapsed: Iterable<string>): CollapsedGraph {
  const wanted = new Set(collapsed);
  const shownAs = new Map(model.nodes.map((n) => [n.id, n.id]));
  const used = new Map<string, Block>();
  // Outer blocks first, so an outer block claims its inner blocks' layers.
  for (const block of blocks) {
    if (!wanted.has(block.id) || block.members.some((id) => shownAs.get(id) !== id)) continue;
    for (const id of block.members) shownAs.set(id, block.id);
    used.set(block.id, block);
  }
  if (used.size === 0) return { model, blocks: used, shownAs };
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const nodes: GraphNode[] = [];
  for (const node of model.nodes) {
    const shown = shownAs.get(node.id)!;
    if (shown === node.id) nodes.push(node);
    else if (used.get(shown)!.members[0] === node.id) nodes.push(blockNode(used.get(shown)!, byId, model));
  }
  const rep = (id: string) => (id === INPUT_ID ? id : shownAs.get(id) ?? id);
  return { model: { ...model, nodes, edges: rerouteEdges(model.edges, rep), output: rep(model.output) }, blocks: used, shownAs };
}

function blockNode(block: Block, byId: Map<string, GraphNode>, model: GraphModel): GraphNode {
  const layers = block.members.map((id) => byId.get(id)!);
  // The block's output: the member the rest of the graph reads, else its last.
  const members = new Set(block.members);
  const exit = model.edges.find((e) => members.has(e.from) && !members.has(e.to))?.from ?? block.members.at(-1)!;
  const statuses = new Set(layers.map((l) => l.status).filter((s) => s !== undefined && s !== 'unchanged'));
  const params = layers.reduce((s, l) => s + l.params, 0);
  const macs = layers.reduce((s, l) => s + l.macs, 0);
  return {
    id: block.id,
    type: 'block',
    colour: 'block',
    detail: `${layers.length} layers`,
    shape: byId.get(exit)!.shape,
    params,
    macs,
    attributes: [['layers', block.members.join(', ')]],
    // In a diff, a block with any change says so; the properties panel lists them by layer.
    ...(layers.some((l) => l.status !== undefined) && { status: statuses.size === 0 ? 'unchanged' : statuses.size === 1 ? [...statuses][0] : 'changed' }),
    ...(statuses.size > 0 && { change: `${layers.filter((l) => l.status !== undefined && l.status !== 'unchanged').length} of ${layers.length} layers changed` }),
  };
}

/** Edges between the nodes shown; one per source and target, on ports numbered afresh per target in operand order. */
function rerouteEdges(edges: GraphEdge[], rep: (id: string) => string): GraphEdge[] {
  const out: GraphEdge[] = [];
  const seen = new Set<string>();
  const nextPort = new Map<string, number>();
  for (const edge of [...edges].sort((a, b) => a.port - b.port)) {
    const from = rep(edge.from);
    const to = rep(edge.to);
    const key = `${from}\u0000${to}`;
    if (from === to || seen.has(key)) continue;
    seen.add(key);
    const port = nextPort.get(to) ?? 0;
    nextPort.set(to, port + 1);
    out.push({ ...edge, from, to, port });
  }
  return out;
}

function successorMap(edges: GraphEdge[]): Map<string, string[]> {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  return next;
}

/** No path leaves the set and comes back into it. */
function isConvex(members: Set<string>, successors: Map<string, string[]>): boolean {
  const outside = [...members].flatMap((id) => (successors.get(id) ?? []).filter((to) => !members.has(to)));
  const seen = new Set(outside);
  while (outside.length > 0) {
    for (const to of successors.get(outside.pop()!) ?? []) {
      if (members.has(to)) return false;
      if (!seen.has(to)) {
        seen.add(to);
        outside.push(to);
      }
    }
  }
  return true;
}

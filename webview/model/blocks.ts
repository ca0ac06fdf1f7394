// Blocks of a graph that collapse into one node: the layers sharing an id prefix (`layer1.0.conv1`
// is in `layer1.0.*` and `layer1.*`), which in ResNet, ShuffleNet and MobileNet specs are the
// repeated units and their stages. Only a block no path leaves and re-enters is offered, so a
// collapsed graph stays acyclic. Pure, so the webview collapses without asking the host.
import type { GraphEdge, GraphModel, GraphNode } from '../../protocol/webview';
import { INPUT_ID } from '../../engine/architecture/types';

export interface Block {
  /** The prefix and a `*`: `layer1.0.*`. No layer id has a `*`, so it never names a layer. */
  id: string;
  /** Segments of the prefix: 1 for `layer1.*`, 2 for `layer1.0.*`. */
  depth: number;
  /** Its layers' ids in the graph's (topological) order. */
  members: string[];
}

const SEPARATOR = '.';

/**
 * Every block of the graph, outer blocks first. A prefix whose layers are exactly those of a
 * longer one is left out (the longer names them better), as is one holding every layer.
 */
export function findBlocks(model: GraphModel): Block[] {
  const byPrefix = new Map<string, string[]>();
  for (const node of model.nodes) {
    const parts = node.id.split(SEPARATOR);
    for (let depth = 1; depth < parts.length; depth++) {
      const prefix = parts.slice(0, depth).join(SEPARATOR);
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), node.id]);
    }
  }
  const successors = successorMap(model.edges);
  const candidates = [...byPrefix]
    .filter(([, members]) => members.length >= 2 && members.length < model.nodes.length)
    .map(([prefix, members]) => ({ id: `${prefix}${SEPARATOR}*`, depth: prefix.split(SEPARATOR).length, members }));
  const sameAsDeeper = (block: Block) => candidates.some((other) => other.depth > block.depth && other.id.startsWith(block.id.slice(0, -1)) && other.members.length === block.members.length);
  return candidates.filter((block) => !sameAsDeeper(block) && isConvex(new Set(block.members), successors)).sort((a, b) => a.depth - b.depth);
}

/** The depths at which blocks exist, shallowest first, each with an example block id for a menu. */
export function blockLevels(blocks: Block[]): { depth: number; example: string; count: number }[] {
  const depths = [...new Set(blocks.map((b) => b.depth))].sort((a, b) => a - b);
  return depths.map((depth) => {
    const at = blocks.filter((b) => b.depth === depth);
    return { depth, example: at[0].id, count: at.length };
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

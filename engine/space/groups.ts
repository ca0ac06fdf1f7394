// Shrink groups: the channel counts that must change together for every candidate to stay
// shape-consistent.
//
// Every layer has an input side (the channels it reads) and an output side (the channels it
// writes). Sides are tied together (union-find) when their counts must stay equal:
// - across an edge into a layer that sums its inputs (residual sums included);
// - through a layer that keeps its channels (batchnorm, relu, pooling, shuffle, dropout...);
// - through a conv or linear whose input and output counts are equal in the teacher (the
//   authors' "inter" layers, shrunk to (F', F')); this is also what keeps a removable conv
//   removable after shrinking, and a depthwise conv (groups = channels) in this case always;
// - between the ends of every skip candidate, so that any skip stays shape-compatible in every
//   candidate (compatibility is judged on the teacher, and shrinking cannot break it).
// Two kinds of side are not free but derived from others: a concat's input is the sum of its
// operands, and a flatten of an HxW map gives H*W times its channels. The network input and the
// final output are fixed. A group that would be derived twice (two concats summed), derived
// from itself, or fixed and derived, keeps the teacher's width along with everything it derives
// from, since a sum of free widths cannot be made to match another in general.
//
// Divisibility: a grouped conv (not depthwise) needs its groups to divide both its widths, and a
// channel shuffle its groups to divide its channels. A group's width is rounded down to a
// multiple of the lcm of the divisors its sides must respect (never below that lcm). A derived
// side passes its divisors on to the groups it sums, which is sufficient: a sum of multiples of d
// is one. Where a teacher width is not such a multiple, the derivation keeps the teacher's width.
import { ResolvedGraph } from '../spec/graph';
import { INPUT_ID } from '../spec/types';
import { LayerTensors } from './compatibility';

export interface ShrinkGroup {
  /** A stable name: its first side in topological order, e.g. 'conv3.out'. */
  id: string;
  /** The teacher's channel count. */
  width: number;
  /** Widths stay multiples of this. */
  divisor: number;
  /** Its layer sides, 'id.in' / 'id.out'. */
  sides: string[];
}

/** Channel counts of every layer side for one choice of group widths. */
export interface SideWidths {
  input(position: number): number;
  output(position: number): number;
}

export interface ShrinkPlan {
  /** The free groups, in topological order of their first side. */
  groups: ShrinkGroup[];
  /** Side widths for the given group widths (by group id; groups left out keep the teacher's). */
  widths(groupWidths: Readonly<Record<string, number>>): SideWidths;
}

interface Term {
  node: number;
  coef: number;
}

const INPUT_NODE = 0;
const inNode = (position: number) => 1 + 2 * position;
const outNode = (position: number) => 2 + 2 * position;

class UnionFind {
  private readonly parent: Int32Array;

  constructor(size: number) {
    this.parent = Int32Array.from({ length: size }, (_, i) => i);
  }

  find(x: number): number {
    while (this.parent[x] !== x) {
      this.parent[x] = this.parent[this.parent[x]];
      x = this.parent[x];
    }
    return x;
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    // The smaller root wins so a class's root is its first side in topological order.
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/** Ties, derivations and divisors of every side, before classes are formed. */
interface SideConstraints {
  sets: UnionFind;
  teacherWidth: number[];
  divisor: number[];
  /** Derived node -> its terms (one entry per derivation). */
  derivations: Array<[number, Term[]]>;
  fixed: number[];
}

function sideConstraints(layers: LayerTensors[], graph: ResolvedGraph, inputChannels: number, skips: [string, string][]): SideConstraints {
  const size = 1 + 2 * layers.length;
  const sets = new UnionFind(size);
  const teacherWidth = new Array<number>(size);
  const divisor = new Array<number>(size).fill(1);
  const derivations: Array<[number, Term[]]> = [];
  const positionOf = new Map(layers.map((l) => [l.id, l.position]));
  const sourceNode = (id: string) => (id === INPUT_ID ? INPUT_NODE : outNode(positionOf.get(id)!));
  teacherWidth[INPUT_NODE] = inputChannels;

  for (const t of layers) {
    const p = t.position;
    const layer = graph.order[p].layer;
    const [cin, h, w] = t.input.shape;
    const cout = t.output.shape[0];
    teacherWidth[inNode(p)] = cin;
    teacherWidth[outNode(p)] = cout;
    if (layer.type === 'concat') {
      derivations.push([inNode(p), t.sources.map((id) => ({ node: sourceNode(id), coef: 1 }))]);
    } else {
      for (const id of t.sources) sets.union(inNode(p), sourceNode(id));
    }
    switch (layer.type) {
      case 'conv': {
        const groups = layer.groups ?? 1;
        if (cin === cout) sets.union(inNode(p), outNode(p));
        const depthwise = groups === cin && groups === cout;
        if (groups > 1 && !depthwise) {
          divisor[inNode(p)] = lcm(divisor[inNode(p)], groups);
          divisor[outNode(p)] = lcm(divisor[outNode(p)], groups);
        }
        break;
      }
      case 'linear':
        if (cin === cout) sets.union(inNode(p), outNode(p));
        break;
      case 'flatten':
        if (h * w === 1) sets.union(inNode(p), outNode(p));
        else derivations.push([outNode(p), [{ node: inNode(p), coef: h * w }]]);
        break;
      case 'shuffle':
        divisor[inNode(p)] = lcm(divisor[inNode(p)], layer.groups);
        sets.union(inNode(p), outNode(p));
        break;
      default:
        sets.union(inNode(p), outNode(p));
    }
  }
  for (const [from, to] of skips) sets.union(outNode(positionOf.get(from)!), inNode(positionOf.get(to)!));
  const fixed = [INPUT_NODE, outNode(positionOf.get(graph.output)!)];
  return { sets, teacherWidth, divisor, derivations, fixed };
}

interface SideClass {
  root: number;
  width: number;
  divisor: number;
  derivations: Term[][];
  pinned: boolean;
}

function formClasses(c: SideConstraints): Map<number, SideClass> {
  const classes = new Map<number, SideClass>();
  for (let node = 0; node < c.teacherWidth.length; node++) {
    const root = c.sets.find(node);
    const existing = classes.get(root);
    if (!existing) {
      classes.set(root, { root, width: c.teacherWidth[node], divisor: c.divisor[node], derivations: [], pinned: false });
    } else {
      if (existing.width !== c.teacherWidth[node]) throw new Error(`shrink groups tie sides of different widths (${existing.width}, ${c.teacherWidth[node]})`);
      existing.divisor = lcm(existing.divisor, c.divisor[node]);
    }
  }
  for (const [node, terms] of c.derivations) {
    classes.get(c.sets.find(node))!.derivations.push(terms.map((t) => ({ node: c.sets.find(t.node), coef: t.coef })));
  }
  return classes;
}

function pin(classes: Map<number, SideClass>, root: number): void {
  const cls = classes.get(root)!;
  if (cls.pinned) return;
  cls.pinned = true;
  for (const terms of cls.derivations) for (const t of terms) pin(classes, t.node);
}

function pinCycles(classes: Map<number, SideClass>): void {
  const state = new Map<number, 'open' | 'done'>();
  const visit = (root: number) => {
    state.set(root, 'open');
    for (const terms of classes.get(root)!.derivations) {
      for (const t of terms) {
        const s = state.get(t.node);
        if (s === 'open') pin(classes, root);
        else if (s === undefined) visit(t.node);
      }
    }
    state.set(root, 'done');
  };
  for (const root of classes.keys()) if (!state.has(root)) visit(root);
}

/** Pushes divisors from derived classes down to what they sum; pins a derivation a teacher width cannot follow. */
function propagateDivisors(classes: Map<number, SideClass>): void {
  const derived = [...classes.values()].filter((c) => !c.pinned && c.derivations.length === 1);
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of derived) {
      for (const t of c.derivations[0]) {
        const term = classes.get(t.node)!;
        const d = lcm(term.divisor, c.divisor);
        if (d !== term.divisor) {
          term.divisor = d;
          changed = true;
        }
      }
    }
  }
  const reaches = (c: SideClass, target: SideClass): boolean =>
    c.derivations.some((terms) => terms.some((t) => t.node === target.root || reaches(classes.get(t.node)!, target)));
  const broken = [...classes.values()].filter((c) => !c.pinned && c.width % c.divisor !== 0);
  for (const b of broken) for (const c of derived) if (reaches(c, b)) pin(classes, c.root);
}

function sideName(layers: LayerTensors[], node: number): string {
  const position = (node - 1) >> 1;
  return `${layers[position].id}.${node % 2 === 1 ? 'in' : 'out'}`;
}

/** The shrink groups of a teacher, given the skip candidates that must stay valid. */
export function shrinkPlan(layers: LayerTensors[], graph: ResolvedGraph, inputChannels: number, skips: [string, string][]): ShrinkPlan {
  const constraints = sideConstraints(layers, graph, inputChannels, skips);
  const classes = formClasses(constraints);
  for (const node of constraints.fixed) pin(classes, constraints.sets.find(node));
  for (const c of classes.values()) if (c.derivations.length > 1) pin(classes, c.root);
  pinCycles(classes);
  propagateDivisors(classes);

  const free = [...classes.values()].filter((c) => !c.pinned && c.derivations.length === 0).sort((a, b) => a.root - b.root);
  const sides = new Map<number, string[]>(free.map((c) => [c.root, []]));
  for (let node = 1; node < constraints.teacherWidth.length; node++) sides.get(constraints.sets.find(node))?.push(sideName(layers, node));
  const groups = free.map((c) => ({ id: sideName(layers, c.root), width: c.width, divisor: c.divisor, sides: sides.get(c.root)! }));
  const groupOf = new Map(free.map((c, i) => [c.root, groups[i]]));

  const widths = (groupWidths: Readonly<Record<string, number>>): SideWidths => {
    const memo = new Map<number, number>();
    const classWidth = (root: number): number => {
      const known = memo.get(root);
      if (known !== undefined) return known;
      const cls = classes.get(root)!;
      const group = groupOf.get(root);
      let width = cls.width;
      if (group) width = groupWidths[group.id] ?? cls.width;
      else if (!cls.pinned && cls.derivations.length === 1) width = cls.derivations[0].reduce((s, t) => s + t.coef * classWidth(t.node), 0);
      memo.set(root, width);
      return width;
    };
    return {
      input: (p) => classWidth(constraints.sets.find(inNode(p))),
      output: (p) => classWidth(constraints.sets.find(outNode(p))),
    };
  };
  return { groups, widths };
}

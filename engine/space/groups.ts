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
// Some classes of sides are not free but derived from others, as a sum of terms with positive
// rational coefficients: a concat's input is the sum of its operands, a flatten of an HxW map
// gives H*W times its channels, and a chunk's output is 1/k of its input (or, where the input is
// already derived from the output, as in ShuffleNetV2 with its skips, the input is k times the
// output). The network input and the final output are fixed. A class derived from itself, fixed
// and derived, or derived several ways that do not expand to the same combination of free
// classes, keeps the teacher's width along with everything it derives from. Expanding, not
// comparing derivations term by term, is what lets every unit of a ShuffleNetV2 stage follow the
// stage's width: x = (a + b) / 2 + (a + b) / 2 is a + b.
//
// Divisibility: a grouped conv (not depthwise) needs its groups to divide both its widths, a
// channel shuffle its groups to divide its channels, and a chunk its k to divide its input. A
// free group's width is rounded down to a multiple of the lcm of what its sides need and of what
// keeps each derived class an integer multiple of its own need: a term (p/q) w of a class that
// needs d asks for w to be a multiple of dq / gcd(p, dq), which is sufficient (a sum of multiples
// of d is one). Where a teacher width is not such a multiple, that group keeps the teacher's
// width, and a class whose fixed part then breaks its need keeps it too.
import { ResolvedGraph } from '../architecture/graph';
import { INPUT_ID } from '../architecture/types';
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

/** coef * width(node) / per. */
interface Term {
  node: number;
  coef: number;
  per: number;
}

/** A chunk's sides: output = input / parts. */
interface Split {
  input: number;
  output: number;
  parts: number;
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

/** A non-negative rational p / q in lowest terms. */
interface Fraction {
  p: number;
  q: number;
}

function fraction(p: number, q: number): Fraction {
  const g = gcd(p, q);
  return { p: p / g, q: q / g };
}

function addFractions(a: Fraction, b: Fraction): Fraction {
  return fraction(a.p * b.q + b.p * a.q, a.q * b.q);
}

/** A class's width as a combination of base classes (free or pinned): base root -> coefficient. */
type Expansion = Map<number, Fraction>;

function sameExpansion(a: Expansion, b: Expansion): boolean {
  if (a.size !== b.size) return false;
  for (const [root, x] of a) {
    const y = b.get(root);
    if (!y || y.p !== x.p || y.q !== x.q) return false;
  }
  return true;
}

/** Ties, derivations and divisors of every side, before classes are formed. */
interface SideConstraints {
  sets: UnionFind;
  teacherWidth: number[];
  divisor: number[];
  /** Derived node -> its terms (one entry per derivation). */
  derivations: Array<[number, Term[]]>;
  splits: Split[];
  fixed: number[];
}

function sideConstraints(layers: LayerTensors[], graph: ResolvedGraph, inputChannels: number, skips: [string, string][]): SideConstraints {
  const size = 1 + 2 * layers.length;
  const sets = new UnionFind(size);
  const teacherWidth = new Array<number>(size);
  const divisor = new Array<number>(size).fill(1);
  const derivations: Array<[number, Term[]]> = [];
  const splits: Split[] = [];
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
      derivations.push([inNode(p), t.sources.map((id) => ({ node: sourceNode(id), coef: 1, per: 1 }))]);
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
        else derivations.push([outNode(p), [{ node: inNode(p), coef: h * w, per: 1 }]]);
        break;
      case 'shuffle':
        divisor[inNode(p)] = lcm(divisor[inNode(p)], layer.groups);
        sets.union(inNode(p), outNode(p));
        break;
      case 'chunk':
        divisor[inNode(p)] = lcm(divisor[inNode(p)], layer.chunks);
        splits.push({ input: inNode(p), output: outNode(p), parts: layer.chunks });
        break;
      default:
        sets.union(inNode(p), outNode(p));
    }
  }
  for (const [from, to] of skips) sets.union(outNode(positionOf.get(from)!), inNode(positionOf.get(to)!));
  const fixed = [INPUT_NODE, outNode(positionOf.get(graph.output)!)];
  return { sets, teacherWidth, divisor, derivations, splits, fixed };
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
    classes.get(c.sets.find(node))!.derivations.push(terms.map((t) => ({ ...t, node: c.sets.find(t.node) })));
  }
  for (const split of c.splits) addSplit(classes, c.sets.find(split.input), c.sets.find(split.output), split.parts);
  return classes;
}

/** Whether `from`'s width is derived, directly or not, from `to`'s. */
function derivesFrom(classes: Map<number, SideClass>, from: number, to: number, seen = new Set<number>()): boolean {
  if (seen.has(from)) return false;
  seen.add(from);
  return classes.get(from)!.derivations.some((terms) => terms.some((t) => t.node === to || derivesFrom(classes, t.node, to, seen)));
}

// output = input / parts, unless the input is derived from the output already: then that
// derivation says the same, and input = parts * output adds no cycle.
function addSplit(classes: Map<number, SideClass>, input: number, output: number, parts: number): void {
  if (derivesFrom(classes, input, output)) classes.get(input)!.derivations.push([{ node: output, coef: parts, per: 1 }]);
  else classes.get(output)!.derivations.push([{ node: input, coef: 1, per: parts }]);
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

const isDerived = (c: SideClass) => !c.pinned && c.derivations.length > 0;

interface Expander {
  /** A class's expansion (a base class is itself). */
  ofClass(root: number): Expansion;
  /** The expansion of one derivation. */
  ofTerms(terms: Term[]): Expansion;
}

/** Expansions over the base classes (free or pinned); the derivations must be acyclic. */
function expander(classes: Map<number, SideClass>): Expander {
  const memo = new Map<number, Expansion>();
  const ofTerms = (terms: Term[]): Expansion => {
    const sum: Expansion = new Map();
    for (const t of terms) {
      for (const [base, x] of ofClass(t.node)) {
        const scaled = fraction(x.p * t.coef, x.q * t.per);
        const before = sum.get(base);
        sum.set(base, before ? addFractions(before, scaled) : scaled);
      }
    }
    return sum;
  };
  const ofClass = (root: number): Expansion => {
    const cls = classes.get(root)!;
    if (!isDerived(cls)) return new Map([[root, fraction(1, 1)]]);
    let found = memo.get(root);
    if (!found) memo.set(root, (found = ofTerms(cls.derivations[0])));
    return found;
  };
  return { ofClass, ofTerms };
}

/**
 * Pins derived classes whose derivations disagree or whose fixed part breaks their divisor, and
 * free classes whose teacher width is not a multiple of what they must respect, until none is
 * left; then sets each free class's divisor.
 */
function settleDivisors(classes: Map<number, SideClass>): void {
  for (;;) {
    const expand = expander(classes);
    const derived = [...classes.values()].filter(isDerived);
    const needs = new Map<number, number>();
    const conflicts: SideClass[] = [];
    for (const c of derived) {
      const [first, ...others] = c.derivations.map(expand.ofTerms);
      let fixedPart = fraction(0, 1);
      for (const [base, x] of first) {
        const b = classes.get(base)!;
        if (b.pinned) fixedPart = addFractions(fixedPart, fraction(x.p * b.width, x.q));
        else needs.set(base, lcm(needs.get(base) ?? b.divisor, (c.divisor * x.q) / gcd(x.p, c.divisor * x.q)));
      }
      const fixedBreaks = fixedPart.q !== 1 || fixedPart.p % c.divisor !== 0;
      if (fixedBreaks || others.some((e) => !sameExpansion(e, first))) conflicts.push(c);
    }
    const broken = [...needs].filter(([base, need]) => classes.get(base)!.width % need !== 0);
    for (const c of conflicts) pin(classes, c.root);
    if (conflicts.length === 0) for (const [base] of broken) pin(classes, base);
    if (conflicts.length === 0 && broken.length === 0) {
      for (const [base, need] of needs) classes.get(base)!.divisor = need;
      return;
    }
  }
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
  pinCycles(classes);
  settleDivisors(classes);

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
      else if (isDerived(cls)) width = cls.derivations[0].reduce((s, t) => s + (t.coef * classWidth(t.node)) / t.per, 0);
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

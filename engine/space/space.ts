// The search space around a teacher (paper 3.2, appendix 6.4): every architecture reachable by
// removing layers, shrinking layer widths and adding skip connections. A candidate is made by
// one random action on the teacher, drawn with the authors' distributions.
//
// Validity holds by construction: removal only touches layers whose input and output tensors are
// equal (and a shrink group keeps those equal), or a squeeze-and-excitation block as a whole (its
// mul becomes the identity of the features, its gate's layers go); shrinking goes by groups
// (engine/space/groups), and skips are judged on the teacher but their ends share a shrink group,
// so they still match after shrinking. A skip is never added into a removed layer, nor touches a
// gate.
import { createHash } from 'node:crypto';
import { layerInputs, resolveGraph } from '../architecture/graph';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec, Layer } from '../architecture/types';
import { UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { GateBlock, gateBlocks, layerTensors, LayerTensors, removableLayers, skipPairs } from './compatibility';
import { ShrinkGroup, ShrinkPlan, shrinkPlan, SideWidths } from './groups';

export const DEFAULT_P1_CHOICES: readonly number[] = [0.3, 0.4, 0.5, 0.6, 0.7];
export const DEFAULT_P3_CHOICES: readonly number[] = [0.003, 0.005, 0.01, 0.03, 0.05];

export interface SearchSpaceOptions {
  /** Layer removal (default on). */
  removal?: boolean;
  /** Layer shrinkage (default on). */
  shrink?: boolean;
  /** Skip-connection addition (default on). */
  skip?: boolean;
  /** Removal probability, drawn once per candidate from these. */
  p1Choices?: readonly number[];
  /** Skip probability, drawn once per candidate from these. */
  p3Choices?: readonly number[];
  /** Largest topological distance of an added skip (default: none, as the authors). */
  edgeWindow?: number;
}

/** One candidate's recipe. Plain JSON: it is stored in the run journal and in the candidate spec. */
export type Action = {
  /** The removal probability drawn (absent when removal is off). */
  p1?: number;
  /** Layers replaced by identity. */
  remove: string[];
  /** New width per shrink group id; groups left out keep the teacher's width. */
  shrink: Record<string, number>;
  /** The skip probability drawn (absent when skips are off). */
  p3?: number;
  /** Added connections [from, to], summed with to's other inputs. */
  skip: [string, string][];
};

export interface SearchSpace {
  teacher: ArchitectureSpec;
  teacherParams: number;
  options: Required<SearchSpaceOptions>;
  /** Teacher layers whose input and output tensors are equal, then squeeze-and-excitation blocks by their mul's id. */
  removable: string[];
  /** The squeeze-and-excitation blocks, removable as a whole. */
  gates: GateBlock[];
  /** Shape-compatible [from, to] pairs that are not edges yet. */
  skipCandidates: [string, string][];
  /** Free shrink groups (empty when shrinking is off). */
  groups: ShrinkGroup[];
  /** Teacher layers with their tensors, in topological order. */
  tensors: LayerTensors[];
  plan: ShrinkPlan;
}

function resolveOptions(options: SearchSpaceOptions): Required<SearchSpaceOptions> {
  return {
    removal: options.removal ?? true,
    shrink: options.shrink ?? true,
    skip: options.skip ?? true,
    p1Choices: options.p1Choices ?? DEFAULT_P1_CHOICES,
    p3Choices: options.p3Choices ?? DEFAULT_P3_CHOICES,
    edgeWindow: options.edgeWindow ?? Infinity,
  };
}

/** The search space of a valid teacher spec (no shape issues). */
export function buildSearchSpace(teacher: ArchitectureSpec, options: SearchSpaceOptions = {}): SearchSpace {
  const resolved = resolveOptions(options);
  const graph = resolveGraph(teacher);
  const report = inferShapes(teacher, graph);
  if (report.issues.length > 0) throw new UserError(`teacher '${teacher.name}' is not a valid architecture: ${report.issues[0].message}`);
  const tensors = layerTensors(graph, report);
  const gates = gateBlocks(tensors);
  const skipCandidates = skipPairs(tensors, gates, resolved.edgeWindow);
  const plan = shrinkPlan(tensors, graph, teacher.input.channels, resolved.skip ? skipCandidates : []);
  return {
    teacher,
    teacherParams: report.params,
    options: resolved,
    removable: removableLayers(tensors, gates),
    gates,
    skipCandidates,
    groups: resolved.shrink ? plan.groups : [],
    tensors,
    plan,
  };
}

/** Rounds a width down to a multiple of `divisor`, never below it. */
function roundToDivisor(width: number, divisor: number): number {
  return Math.max(divisor, Math.floor(width / divisor) * divisor);
}

/** One random action, drawn in a fixed order (removal, shrink, skips) so a seed fixes it. */
export function sampleAction(space: SearchSpace, rng: Rng): Action {
  const { options } = space;
  const action: Action = { remove: [], shrink: {}, skip: [] };
  if (options.removal) {
    const p1 = rng.pick(options.p1Choices);
    action.p1 = p1;
    action.remove = space.removable.filter(() => rng.bernoulli(p1));
  }
  for (const group of space.groups) {
    const r = rng.next();
    const width = roundToDivisor(Math.max(1, Math.floor((1 - r) * group.width)), group.divisor);
    if (width !== group.width) action.shrink[group.id] = width;
  }
  if (options.skip) {
    const p3 = rng.pick(options.p3Choices);
    action.p3 = p3;
    const removed = new Set(action.remove);
    action.skip = space.skipCandidates.filter(([, to]) => !removed.has(to) && rng.bernoulli(p3));
  }
  return action;
}

/**
 * A neighbour of an action for evolutionary search: on average one removal toggled, one group
 * width redrawn and one skip toggled (each only where its operator is on). Redrawn until it
 * differs from the parent, except in a space with (almost) nothing to change.
 */
export function mutateAction(space: SearchSpace, parent: Action, rng: Rng): Action {
  const same = JSON.stringify(canonicalAction(parent));
  let child = mutateOnce(space, parent, rng);
  for (let tries = 1; tries < 100 && JSON.stringify(canonicalAction(child)) === same; tries++) child = mutateOnce(space, parent, rng);
  return child;
}

function mutateOnce(space: SearchSpace, parent: Action, rng: Rng): Action {
  const { options } = space;
  const remove = new Set(parent.remove);
  const shrink = { ...parent.shrink };
  const skip = new Map(parent.skip.map(([from, to]) => [pairKey(from, to), [from, to] as [string, string]]));
  const rate = (n: number) => 1 / Math.max(1, n);
  if (options.removal) {
    for (const id of space.removable) if (rng.bernoulli(rate(space.removable.length))) remove.has(id) ? remove.delete(id) : remove.add(id);
  }
  for (const group of space.groups) {
    if (!rng.bernoulli(rate(space.groups.length))) continue;
    const width = roundToDivisor(Math.max(1, Math.floor((1 - rng.next()) * group.width)), group.divisor);
    if (width === group.width) delete shrink[group.id];
    else shrink[group.id] = width;
  }
  if (options.skip) {
    for (const [from, to] of space.skipCandidates) {
      if (!rng.bernoulli(rate(space.skipCandidates.length))) continue;
      const key = pairKey(from, to);
      if (skip.has(key)) skip.delete(key);
      else skip.set(key, [from, to]);
    }
  }
  const child: Action = {
    ...(parent.p1 !== undefined && { p1: parent.p1 }),
    remove: space.removable.filter((id) => remove.has(id)),
    shrink,
    ...(parent.p3 !== undefined && { p3: parent.p3 }),
    skip: [...skip.values()].filter(([, to]) => !remove.has(to)),
  };
  return child;
}

interface Lookups {
  removable: Set<string>;
  groups: Map<string, ShrinkGroup>;
  skips: Set<string>;
  tensors: Map<string, LayerTensors>;
}

const pairKey = (from: string, to: string) => `${from}\u0000${to}`;

// Built once per space: applyAction runs for every sampled candidate.
const lookupCache = new WeakMap<SearchSpace, Lookups>();

function lookups(space: SearchSpace): Lookups {
  let found = lookupCache.get(space);
  if (!found) {
    found = {
      removable: new Set(space.removable),
      groups: new Map(space.groups.map((g) => [g.id, g])),
      skips: new Set(space.skipCandidates.map(([from, to]) => pairKey(from, to))),
      tensors: new Map(space.tensors.map((t) => [t.id, t])),
    };
    lookupCache.set(space, found);
  }
  return found;
}

function checkAction(space: SearchSpace, action: Action): void {
  const { teacher, options } = space;
  const { removable, groups, skips } = lookups(space);
  const fail = (message: string) => {
    throw new UserError(`action for teacher '${teacher.name}': ${message}`);
  };
  if (action.remove.length > 0 && !options.removal) fail('layer removal is off in this search space');
  if (Object.keys(action.shrink).length > 0 && !options.shrink) fail('shrinking is off in this search space');
  if (action.skip.length > 0 && !options.skip) fail('skip connections are off in this search space');
  for (const id of action.remove) if (!removable.has(id)) fail(`layer '${id}' cannot be removed (its input and output shapes differ, or it is not in the teacher)`);
  for (const [id, width] of Object.entries(action.shrink)) {
    const group = groups.get(id);
    if (!group) fail(`'${id}' is not a shrink group`);
    else if (!Number.isInteger(width) || width < 1 || width > group.width || width % group.divisor !== 0) {
      fail(`shrink group '${id}' must get a multiple of ${group.divisor} between ${group.divisor} and ${group.width}, not ${width}`);
    }
  }
  const removed = new Set(action.remove);
  for (const [from, to] of action.skip) {
    if (!skips.has(pairKey(from, to))) fail(`no skip connection can go from '${from}' to '${to}' (shapes differ, the edge exists, or one is not in the teacher)`);
    if (removed.has(to)) fail(`a skip connection cannot go into the removed layer '${to}'`);
  }
}

function resized(layer: Layer, t: LayerTensors, widths: SideWidths): Layer {
  const cin = widths.input(t.position);
  const cout = widths.output(t.position);
  switch (layer.type) {
    case 'conv': {
      const teacherIn = t.input.shape[0];
      const depthwise = layer.groups !== undefined && layer.groups === teacherIn && layer.groups === layer.out;
      return {
        ...layer,
        out: cout,
        ...(layer.in !== undefined && { in: cin }),
        ...(depthwise && { groups: cout }),
      };
    }
    case 'linear':
      return { ...layer, out: cout, ...(layer.in !== undefined && { in: cin }) };
    case 'batchnorm':
      return layer.in === undefined ? layer : { ...layer, in: cin };
    default:
      return layer;
  }
}

/** The action with its keys in one order, so equal actions serialise (and name) alike. */
function canonicalAction(action: Action): Action {
  const shrink = Object.fromEntries(Object.entries(action.shrink).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    ...(action.p1 !== undefined && { p1: action.p1 }),
    remove: [...action.remove],
    shrink,
    ...(action.p3 !== undefined && { p3: action.p3 }),
    skip: action.skip.map(([from, to]): [string, string] => [from, to]),
  };
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The candidate an action makes: a valid spec named `<teacher>-c<hash8 of the action>`. */
export function applyAction(space: SearchSpace, given: Action): ArchitectureSpec {
  const action = canonicalAction(given);
  checkAction(space, action);
  const { teacher } = space;
  const widths = space.plan.widths(action.shrink);
  const tensorsById = lookups(space).tensors;
  const removed = new Set(action.remove);
  const added = new Map<string, string[]>();
  for (const [from, to] of action.skip) added.set(to, [...(added.get(to) ?? []), from]);
  const removedGates = space.gates.filter((g) => removed.has(g.id));
  const gateInput = new Map(removedGates.map((g) => [g.id, g.x]));
  const dropped = new Set(removedGates.flatMap((g) => g.branch));

  const layers = teacher.layers.flatMap((layer, index): Layer[] => {
    if (dropped.has(layer.id)) return [];
    const extra = added.get(layer.id);
    const inputs = extra ? { inputs: [...layerInputs(teacher, index), ...extra] } : layer.inputs && { inputs: layer.inputs };
    const x = gateInput.get(layer.id);
    if (x !== undefined) return [{ id: layer.id, type: 'identity', inputs: [x] }];
    if (removed.has(layer.id)) return [{ id: layer.id, type: 'identity', ...inputs }];
    return [{ ...resized(layer, tensorsById.get(layer.id)!, widths), ...inputs }];
  });
  const { description: _description, candidate: _origin, ...rest } = teacher;
  return {
    ...rest,
    name: `${teacher.name}-c${hash(JSON.stringify(action)).slice(0, 8)}`,
    description: describeAction(action),
    layers,
    candidate: { teacher: teacher.name, action },
  };
}

function describeAction(action: Action): string {
  const shrunk = Object.keys(action.shrink).length;
  return `${action.remove.length} layers removed, ${shrunk} width groups shrunk, ${action.skip.length} skip connections added`;
}

export function sampleCandidate(space: SearchSpace, rng: Rng): { action: Action; spec: ArchitectureSpec } {
  const action = sampleAction(space, rng);
  return { action, spec: applyAction(space, action) };
}

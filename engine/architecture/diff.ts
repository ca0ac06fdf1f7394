// What a compressed student changed in its teacher: layers removed (replaced by identity or
// dropped), added or retyped, channel counts, other attributes, edges, and the size ratio.
// Layers are matched by id, as the search space keeps ids when it edits a teacher. Both specs
// must be valid (engine/architecture/validate).
import { layerInputs } from './graph';
import { inferShapes, ShapeReport } from './shapes';
import { formatCount } from '../../protocol/format';
import { ArchitectureSpec, Layer, LayerType } from './types';

export interface SpecSummaryCounts {
  name: string;
  layers: number;
  params: number;
  macs: number;
}

export interface LayerRef {
  id: string;
  type: LayerType;
}

export interface RemovedLayer extends LayerRef {
  /** `identity`: the id is kept with type identity; `dropped`: the id is gone. */
  how: 'identity' | 'dropped';
}

export interface Change<T> {
  from: T;
  to: T;
}

/** Channels a conv or linear layer reads (`in`) and writes (`out`), where they changed. */
export interface ChannelChange extends LayerRef {
  in?: Change<number>;
  out?: Change<number>;
}

/** Another attribute of a layer kept with the same type (kernel, stride, padding, groups, bias, rate, chunks, index, ceilMode, countIncludePad, eps). */
export interface AttributeChange extends LayerRef {
  attribute: string;
  from: unknown;
  to: unknown;
}

export interface Edge {
  from: string;
  to: string;
}

export interface SpecDiff {
  teacher: SpecSummaryCounts;
  student: SpecSummaryCounts;
  removed: RemovedLayer[];
  added: LayerRef[];
  retyped: (LayerRef & { from: LayerType })[];
  channels: ChannelChange[];
  attributes: AttributeChange[];
  edges: { added: Edge[]; removed: Edge[] };
  /** student params / teacher params. */
  paramRatio: number;
  /** teacher params / student params. */
  timesSmaller: number;
}

const COMPARED_ATTRIBUTES = ['kernel', 'stride', 'padding', 'groups', 'bias', 'rate', 'chunks', 'index', 'ceilMode', 'countIncludePad', 'eps'] as const;

export function diffSpecs(teacher: ArchitectureSpec, student: ArchitectureSpec): SpecDiff {
  const teacherShapes = inferShapes(teacher);
  const studentShapes = inferShapes(student);
  const studentById = new Map(student.layers.map((l) => [l.id, l]));
  const teacherIds = new Set(teacher.layers.map((l) => l.id));

  const removed: RemovedLayer[] = [];
  const retyped: SpecDiff['retyped'] = [];
  const channels: ChannelChange[] = [];
  const attributes: AttributeChange[] = [];
  for (const before of teacher.layers) {
    const after = studentById.get(before.id);
    const ref = { id: before.id, type: before.type };
    if (!after) removed.push({ ...ref, how: 'dropped' });
    else if (after.type === 'identity' && before.type !== 'identity') removed.push({ ...ref, how: 'identity' });
    else if (after.type !== before.type) retyped.push({ id: after.id, type: after.type, from: before.type });
    else {
      const change = channelChange(before, teacherShapes, studentShapes);
      if (change) channels.push(change);
      attributes.push(...attributeChanges(before, after));
    }
  }
  const added = student.layers.filter((l) => !teacherIds.has(l.id)).map((l) => ({ id: l.id, type: l.type }));

  const teacherEdges = edges(teacher);
  const studentEdges = edges(student);
  const teacherCounts = counts(teacher, teacherShapes);
  const studentCounts = counts(student, studentShapes);
  return {
    teacher: teacherCounts,
    student: studentCounts,
    removed,
    added,
    retyped,
    channels,
    attributes,
    edges: { added: minus(studentEdges, teacherEdges), removed: minus(teacherEdges, studentEdges) },
    paramRatio: ratio(studentCounts.params, teacherCounts.params),
    timesSmaller: ratio(teacherCounts.params, studentCounts.params),
  };
}

function counts(spec: ArchitectureSpec, shapes: ShapeReport): SpecSummaryCounts {
  return { name: spec.name, layers: spec.layers.length, params: shapes.params, macs: shapes.macs };
}

// 0/0 is "the same size"; x/0 is infinitely larger.
function ratio(a: number, b: number): number {
  if (b === 0) return a === 0 ? 1 : Infinity;
  return a / b;
}

function channelChange(layer: Layer, before: ShapeReport, after: ShapeReport): ChannelChange | undefined {
  if (layer.type !== 'conv' && layer.type !== 'linear') return undefined;
  const old = before.byId.get(layer.id);
  const now = after.byId.get(layer.id);
  if (!old || !now) return undefined;
  const change: ChannelChange = { id: layer.id, type: layer.type };
  if (old.inShape[0] !== now.inShape[0]) change.in = { from: old.inShape[0], to: now.inShape[0] };
  if (old.shape[0] !== now.shape[0]) change.out = { from: old.shape[0], to: now.shape[0] };
  return change.in || change.out ? change : undefined;
}

function attributeChanges(before: Layer, after: Layer): AttributeChange[] {
  const read = (layer: Layer, name: string) => (layer as unknown as Record<string, unknown>)[name];
  return COMPARED_ATTRIBUTES.filter((name) => read(before, name) !== read(after, name)).map((name) => ({
    id: before.id,
    type: before.type,
    attribute: name,
    from: read(before, name),
    to: read(after, name),
  }));
}

/** Every edge with defaults applied, in file order; `input` stands for the network input. */
function edges(spec: ArchitectureSpec): Edge[] {
  return spec.layers.flatMap((layer, i) => layerInputs(spec, i).map((from) => ({ from, to: layer.id })));
}

function minus(a: Edge[], b: Edge[]): Edge[] {
  const key = (e: Edge) => `${e.from}\u0000${e.to}`;
  const inB = new Set(b.map(key));
  return a.filter((e) => !inB.has(key(e)));
}

export function formatDiff(diff: SpecDiff): string {
  const grouped = (n: number) => n.toLocaleString('en-US');
  const side = (s: SpecSummaryCounts) => `${s.name} (${s.layers} layers, ${formatCount(s.params)} params, ${formatCount(s.macs)} MACs)`;
  const out = [
    `teacher: ${side(diff.teacher)}`,
    `student: ${side(diff.student)}`,
    `params: ${grouped(diff.teacher.params)} -> ${grouped(diff.student.params)} (ratio ${diff.paramRatio.toFixed(4)}, ${diff.timesSmaller.toFixed(2)}x smaller)`,
    `MACs: ${grouped(diff.teacher.macs)} -> ${grouped(diff.student.macs)}`,
  ];
  const section = <T>(title: string, items: T[], line: (item: T) => string) => {
    if (items.length > 0) out.push(`${title} (${items.length}):`, ...items.map((item) => `  ${line(item)}`));
  };
  const change = (name: string, c?: Change<number>) => (c ? [`${name} ${c.from} -> ${c.to}`] : []);
  section('removed layers', diff.removed, (r) => `${r.id} (${r.type}): ${r.how === 'identity' ? 'replaced by identity' : 'dropped'}`);
  section('added layers', diff.added, (a) => `${a.id} (${a.type})`);
  section('retyped layers', diff.retyped, (r) => `${r.id}: ${r.from} -> ${r.type}`);
  section('channels changed', diff.channels, (c) => `${c.id} (${c.type}): ${[...change('in', c.in), ...change('out', c.out)].join(', ')}`);
  section('attributes changed', diff.attributes, (a) => `${a.id} (${a.type}): ${a.attribute} ${String(a.from ?? 'default')} -> ${String(a.to ?? 'default')}`);
  section('edges added', diff.edges.added, (e) => `${e.from} -> ${e.to}`);
  section('edges removed', diff.edges.removed, (e) => `${e.from} -> ${e.to}`);
  if (out.length === 4) out.push('no layer, channel or edge differences');
  return out.join('\n');
}

// Teacher and student in one graph: the union of their layers (matched by id, as the search space
// keeps ids) with what happened to each, and the union of their edges with new skip connections
// marked. Built on engine/architecture/diff, so the picture says what `esnac diff` says.
import type { EdgeStatus, GraphDiffSummary, GraphEdge, GraphModel, GraphNode } from '../../protocol/webview';
import { AttributeChange, diffSpecs } from '../../engine/architecture/diff';
import type { ArchitectureSpec } from '../../engine/architecture/types';
import { buildGraphModel } from './graph';

export interface DiffModel {
  graph: GraphModel;
  summary: GraphDiffSummary;
}

/** Both specs must pass validation. */
export function buildDiffModel(teacher: ArchitectureSpec, student: ArchitectureSpec): DiffModel {
  const diff = diffSpecs(teacher, student);
  const before = buildGraphModel(teacher);
  const after = buildGraphModel(student);
  const afterById = new Map(after.nodes.map((n) => [n.id, n]));
  const removed = new Map(diff.removed.map((r) => [r.id, r]));
  const retyped = new Map(diff.retyped.map((r) => [r.id, r]));
  const channels = new Map(diff.channels.map((c) => [c.id, c]));
  const attributes = new Map<string, AttributeChange[]>();
  for (const a of diff.attributes) attributes.set(a.id, [...(attributes.get(a.id) ?? []), a]);
  const arrow = (from: unknown, to: unknown) => `${String(from ?? 'default')} → ${String(to ?? 'default')}`;

  const kept = before.nodes.map((old): GraphNode => {
    const gone = removed.get(old.id);
    if (gone) return { ...old, status: 'removed', change: gone.how === 'identity' ? 'now identity' : 'dropped' };
    const now = afterById.get(old.id)!;
    const typeChange = retyped.get(old.id);
    if (typeChange) return { ...now, status: 'retyped', change: `was ${typeChange.from}` };
    const channel = channels.get(old.id);
    if (channel) {
      const parts = [...(channel.in ? [`in ${arrow(channel.in.from, channel.in.to)}`] : []), ...(channel.out ? [`${arrow(channel.out.from, channel.out.to)} ch`] : [])];
      return { ...now, status: 'shrunk', change: parts.join(', ') };
    }
    const oldChannels = channelsOf(old.shape);
    const newChannels = channelsOf(now.shape);
    if (old.params > 0 && oldChannels !== newChannels) return { ...now, status: 'shrunk', change: `${arrow(oldChannels, newChannels)} ch` };
    const changed = attributes.get(old.id);
    if (changed) return { ...now, status: 'changed', change: changed.map((a) => `${a.attribute} ${arrow(a.from, a.to)}`).join(', ') };
    return { ...now, status: 'unchanged' };
  });
  const teacherIds = new Set(before.nodes.map((n) => n.id));
  const added = after.nodes.filter((n) => !teacherIds.has(n.id)).map((n): GraphNode => ({ ...n, status: 'added', change: 'new layer' }));

  const nodes = [...kept, ...added];
  return {
    graph: { ...after, name: `${teacher.name} → ${student.name}`, nodes, edges: mergeEdges(before.edges, after.edges) },
    summary: {
      teacher: { name: teacher.name, params: before.params, layers: teacher.layers.length },
      student: { name: student.name, params: after.params, layers: student.layers.length },
      removed: diff.removed.length,
      shrunk: nodes.filter((n) => n.status === 'shrunk').length,
      addedEdges: diff.edges.added.length,
      timesSmaller: diff.timesSmaller,
    },
  };
}

function channelsOf(shape: string): string {
  return shape.split('x')[0];
}

/**
 * The student's edges, marked `added` where the teacher lacks them, then the teacher's edges the
 * student lost, on ports after the student's so no two edges share a port.
 */
function mergeEdges(teacher: GraphEdge[], student: GraphEdge[]): GraphEdge[] {
  const key = (e: GraphEdge) => `${e.from}\u0000${e.to}`;
  const teacherKeys = new Set(teacher.map(key));
  const studentKeys = new Set(student.map(key));
  const status = (e: GraphEdge): EdgeStatus => (teacherKeys.has(key(e)) ? 'unchanged' : 'added');
  const merged = student.map((e) => ({ ...e, status: status(e) }));
  const nextPort = new Map<string, number>();
  for (const e of student) nextPort.set(e.to, Math.max(nextPort.get(e.to) ?? 0, e.port + 1));
  for (const e of teacher) {
    if (studentKeys.has(key(e))) continue;
    const port = nextPort.get(e.to) ?? 0;
    nextPort.set(e.to, port + 1);
    merged.push({ ...e, port, status: 'removed' });
  }
  return merged;
}

// Per-layer statistics of a valid spec (shapes, parameters, MACs from engine/architecture/shapes), as
// data for `esnac stats --json` and as a text table.
import { formatCount } from '../../protocol/format';
import { formatShape, inferShapes } from './shapes';
import { ArchitectureSpec, LayerType, Shape } from './types';

export interface LayerRow {
  id: string;
  type: LayerType;
  /** Output shape [C, H, W]. */
  shape: Shape;
  params: number;
  macs: number;
}

export interface SpecStats {
  params: number;
  macs: number;
  /** In topological order (the file's order when the file is already in it). */
  layers: LayerRow[];
}

export function specStats(spec: ArchitectureSpec): SpecStats {
  const report = inferShapes(spec);
  return {
    params: report.params,
    macs: report.macs,
    layers: report.layers.map(({ id, type, shape, params, macs }) => ({ id, type, shape, params, macs })),
  };
}

/** `name: 12 layers, 1.23M params, 45.60M MACs` */
export function specSummary(spec: ArchitectureSpec, stats: SpecStats = specStats(spec)): string {
  return `${spec.name}: ${spec.layers.length} layers, ${formatCount(stats.params)} params, ${formatCount(stats.macs)} MACs`;
}

const grouped = (n: number) => n.toLocaleString('en-US');

export function formatStatsTable(stats: SpecStats): string {
  const header = ['id', 'type', 'output (CxHxW)', 'params', 'MACs'];
  const rows = stats.layers.map((l) => [l.id, l.type, formatShape(l.shape), grouped(l.params), grouped(l.macs)]);
  const total = ['total', '', '', grouped(stats.params), grouped(stats.macs)];
  const all = [header, ...rows, total];
  const widths = header.map((_, c) => Math.max(...all.map((r) => r[c].length)));
  // Text columns left-aligned, numbers right-aligned.
  const line = (r: string[]) => r.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line), rule, line(total)].join('\n');
}

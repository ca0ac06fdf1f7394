// Serialising specs. Keys are written in one canonical order so generated files diff cleanly.
import { Document, isMap, isScalar, isSeq, visit } from 'yaml';
import { ArchitectureSpec, Layer } from './types';

export type SpecFormat = 'json' | 'yaml';

const TOP_KEYS = ['format', 'name', 'description', 'input', 'classes', 'output', 'candidate', 'layers'] as const;
const LAYER_KEYS = ['id', 'type', 'inputs', 'in', 'out', 'kernel', 'stride', 'padding', 'groups', 'bias', 'rate'] as const;

/** The format a path's extension asks for: .json, else YAML (.yaml / .yml). */
export function formatForPath(path: string): SpecFormat {
  return path.toLowerCase().endsWith('.json') ? 'json' : 'yaml';
}

function ordered<T extends object>(value: T, keys: readonly string[]): T {
  const out: Record<string, unknown> = {};
  for (const k of keys) if ((value as Record<string, unknown>)[k] !== undefined) out[k] = (value as Record<string, unknown>)[k];
  for (const [k, v] of Object.entries(value)) if (!(k in out) && v !== undefined) out[k] = v;
  return out as T;
}

export function canonicalSpec(spec: ArchitectureSpec): ArchitectureSpec {
  const top = ordered(spec, TOP_KEYS);
  return { ...top, layers: spec.layers.map((l) => ordered<Layer>(l, LAYER_KEYS)) };
}

export function specToText(spec: ArchitectureSpec, format: SpecFormat): string {
  const value = canonicalSpec(spec);
  if (format === 'json') return JSON.stringify(value, null, 2) + '\n';
  const doc = new Document(value, { aliasDuplicateObjects: false });
  // Short collections (a layer's inputs, the input shape) in flow style keep a layer to a few lines.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && (pair.key.value === 'inputs' || pair.key.value === 'input') && (isSeq(pair.value) || isMap(pair.value))) {
        pair.value.flow = true;
      }
    },
  });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

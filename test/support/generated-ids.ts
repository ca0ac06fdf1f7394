// A spec whose ids carry no structure, as an ONNX file from an exporter that names nodes by
// operator and number has them: what the graph's units are found on (tests, screenshots).
import type { ArchitectureSpec } from '../../engine/architecture/types';

/** The spec with each layer renamed to its type and position (Conv_0, Batchnorm_1, Relu_2), and the renaming. */
export function withGeneratedIds(spec: ArchitectureSpec): { spec: ArchitectureSpec; renamed: Map<string, string> } {
  const renamed = new Map(spec.layers.map((l, i) => [l.id, `${l.type[0].toUpperCase()}${l.type.slice(1)}_${i}`]));
  const rename = (id: string) => renamed.get(id) ?? id;
  return {
    spec: { ...spec, layers: spec.layers.map((l) => ({ ...l, id: rename(l.id), ...(l.inputs && { inputs: l.inputs.map(rename) }) })), ...(spec.output && { output: rename(spec.output) }) },
    renamed,
  };
}

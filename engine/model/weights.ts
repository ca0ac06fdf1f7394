// Which weights a spec's layers own, their shapes, and PyTorch's default initialisation.
//
// Names are `<layer id>/<kind>` like PyTorch's state_dict keys. Layouts are tfjs's (the tensors
// are used as stored, no conversion per step); an exporter converts:
//   conv   weight [kh, kw, in / groups, out]   (PyTorch: [out, in / groups, kh, kw])
//   linear weight [in, out]                    (PyTorch: [out, in]); inputs in CHW flatten order
//   bias, batchnorm weight / bias / running_mean / running_var: [channels]
import * as tf from '@tensorflow/tfjs-core';
import { inferShapes, ShapeReport } from '../architecture/shapes';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';

export type WeightKind = 'weight' | 'bias' | 'running_mean' | 'running_var';

export interface WeightSpec {
  /** `<layer id>/<kind>`. */
  name: string;
  layer: string;
  kind: WeightKind;
  shape: number[];
  /** Running statistics are buffers: updated by forward passes, not by the optimiser. */
  trainable: boolean;
  /** PyTorch's fan_in for conv and linear (the uniform bound is 1 / sqrt(fan_in)). */
  fanIn?: number;
}

export type WeightMap = Map<string, tf.Tensor>;

export function weightName(layer: string, kind: WeightKind): string {
  return `${layer}/${kind}`;
}

/** The weights a spec needs, in topological layer order. The spec's shapes must be valid. */
export function weightSpecs(spec: ArchitectureSpec, shapes: ShapeReport = inferShapes(spec)): WeightSpec[] {
  const specs: WeightSpec[] = [];
  const add = (layer: string, kind: WeightKind, shape: number[], trainable: boolean, fanIn?: number) =>
    specs.push({ name: weightName(layer, kind), layer, kind, shape, trainable, ...(fanIn !== undefined ? { fanIn } : {}) });
  for (const stats of shapes.layers) {
    const layer = spec.layers[stats.index];
    const channels = stats.inShape[0];
    if (layer.type === 'conv') {
      const perGroup = channels / (layer.groups ?? 1);
      const fanIn = perGroup * layer.kernel * layer.kernel;
      add(layer.id, 'weight', [layer.kernel, layer.kernel, perGroup, layer.out], true, fanIn);
      if (layer.bias !== false) add(layer.id, 'bias', [layer.out], true, fanIn);
    } else if (layer.type === 'linear') {
      add(layer.id, 'weight', [channels, layer.out], true, channels);
      if (layer.bias !== false) add(layer.id, 'bias', [layer.out], true, channels);
    } else if (layer.type === 'batchnorm') {
      add(layer.id, 'weight', [channels], true);
      add(layer.id, 'bias', [channels], true);
      add(layer.id, 'running_mean', [channels], false);
      add(layer.id, 'running_var', [channels], false);
    }
  }
  return specs;
}

/**
 * PyTorch's defaults: conv and linear weights and biases U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * (kaiming_uniform with a = sqrt(5)); batchnorm weight 1, bias 0, running mean 0, variance 1.
 */
export function initialWeight(w: WeightSpec, rng: Rng): tf.Tensor {
  const size = w.shape.reduce((a, b) => a * b, 1);
  if (w.fanIn !== undefined) {
    const bound = 1 / Math.sqrt(w.fanIn);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * bound;
    return tf.tensor(values, w.shape);
  }
  const one = w.kind === 'weight' || w.kind === 'running_var';
  return one ? tf.ones(w.shape) : tf.zeros(w.shape);
}

export function initialWeights(spec: ArchitectureSpec, rng: Rng): WeightMap {
  return new Map(weightSpecs(spec).map((w) => [w.name, initialWeight(w, rng)]));
}

export function disposeWeights(weights: WeightMap): void {
  for (const t of weights.values()) t.dispose();
}

// A candidate starts from its teacher's weights, matched by layer id, as in the authors' code:
// conv and linear keep the first F_out outputs and the first F_in / groups inputs; batchnorm keeps
// weight and bias of its first channels and restarts its running statistics; layers that became
// identity own no weights. Because linear inputs are in CHW flatten order, "the first inputs" of a
// classifier after a shrunk conv are exactly the kept channels' features.
import * as tf from '@tensorflow/tfjs-core';
import { ArchitectureSpec, Layer } from '../architecture/types';
import { Rng } from '../util/rng';
import { initialWeight, WeightMap, weightSpecs, WeightSpec } from './weights';

export interface WeightSource {
  spec: ArchitectureSpec;
  weights: WeightMap;
}

/**
 * New tensors (the caller disposes them) for every weight of `candidate`. A weight whose layer is
 * not in the teacher with the same type and kernel, or that is larger than the teacher's on some
 * axis, is initialised afresh from `rng` (PyTorch defaults).
 */
export function inheritWeights(teacher: WeightSource, candidate: ArchitectureSpec, rng: Rng): WeightMap {
  const teacherLayers = new Map(teacher.spec.layers.map((l) => [l.id, l]));
  const layers = new Map(candidate.layers.map((l) => [l.id, l]));
  const result: WeightMap = new Map();
  for (const w of weightSpecs(candidate)) {
    const source = sameKind(layers.get(w.layer)!, teacherLayers.get(w.layer)) ? teacher.weights.get(w.name) : undefined;
    result.set(w.name, inherited(w, source) ?? initialWeight(w, rng));
  }
  return result;
}

function sameKind(layer: Layer, teacher: Layer | undefined): boolean {
  if (!teacher || teacher.type !== layer.type) return false;
  return layer.type !== 'conv' || (teacher.type === 'conv' && teacher.kernel === layer.kernel);
}

function inherited(w: WeightSpec, source: tf.Tensor | undefined): tf.Tensor | undefined {
  if (!source || !w.trainable || source.rank !== w.shape.length) return undefined;
  if (w.shape.some((size, axis) => size > source.shape[axis])) return undefined;
  return tf.slice(source, new Array<number>(w.shape.length).fill(0), w.shape);
}

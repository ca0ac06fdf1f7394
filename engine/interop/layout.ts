// esnac stores weights in tfjs layouts (engine/model/weights); PyTorch and ONNX use
//   conv weight [out, in / groups, kh, kw]   (esnac: [kh, kw, in / groups, out])
//   linear weight [out, in]                  (esnac: [in, out])
// and the same 1-D layout for biases and batchnorm tensors.
import * as tf from '@tensorflow/tfjs-core';
import { inferShapes } from '../spec/shapes';
import { ArchitectureSpec } from '../spec/types';
import { WeightKind, WeightMap, weightSpecs } from '../model/weights';

export interface TorchTensor {
  /** The spec layer and the weight's kind: PyTorch's state_dict key is `<module>.<kind>`. */
  layer: string;
  kind: WeightKind;
  /** PyTorch's shape. */
  shape: number[];
  data: Float32Array;
}

/** Axis order taking a weight of `rank` from the esnac layout to PyTorch's; undefined when equal. */
function toTorchAxes(rank: number): number[] | undefined {
  if (rank === 4) return [3, 2, 0, 1];
  if (rank === 2) return [1, 0];
  return undefined;
}

function fromTorchAxes(rank: number): number[] | undefined {
  if (rank === 4) return [2, 3, 1, 0];
  if (rank === 2) return [1, 0];
  return undefined;
}

/** Every weight of `spec` in PyTorch's layout, in the spec's topological order. */
export function torchTensors(spec: ArchitectureSpec, weights: WeightMap): TorchTensor[] {
  return weightSpecs(spec, inferShapes(spec)).map((w) => {
    const axes = toTorchAxes(w.shape.length);
    const source = weights.get(w.name)!;
    const data = tf.tidy(() => (axes ? tf.transpose(source, axes) : source).dataSync() as Float32Array);
    return { layer: w.layer, kind: w.kind, shape: axes ? axes.map((a) => w.shape[a]) : [...w.shape], data: Float32Array.from(data) };
  });
}

/** A tensor in the esnac layout from values in PyTorch's layout (the caller disposes it). */
export function fromTorchLayout(values: Float32Array, torchShape: number[]): tf.Tensor {
  const axes = fromTorchAxes(torchShape.length);
  return tf.tidy(() => {
    const t = tf.tensor(values, torchShape, 'float32');
    return axes ? tf.transpose(t, axes) : t;
  });
}

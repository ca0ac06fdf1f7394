// esnac stores weights in tfjs layouts (engine/model/weights); PyTorch and ONNX use
//   conv weight [out, in / groups, kh, kw]   (esnac: [kh, kw, in / groups, out])
//   linear weight [out, in]                  (esnac: [in, out])
// and the same 1-D layout for biases and batchnorm tensors.
import * as tf from '@tensorflow/tfjs-core';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec } from '../architecture/types';
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
    const data = weights.get(w.name)!.dataSync() as Float32Array;
    return { layer: w.layer, kind: w.kind, shape: axes ? axes.map((a) => w.shape[a]) : [...w.shape], data: axes ? permute(data, w.shape, axes) : Float32Array.from(data) };
  });
}

/** A tensor in the esnac layout from values in PyTorch's layout (the caller disposes it). */
export function fromTorchLayout(values: Float32Array, torchShape: number[]): tf.Tensor {
  const axes = fromTorchAxes(torchShape.length);
  return axes ? tf.tensor(permute(values, torchShape, axes), axes.map((a) => torchShape[a]), 'float32') : tf.tensor(values, torchShape, 'float32');
}

/**
 * `values` of `shape` with its axes reordered (axis i of the result is axis axes[i] of the
 * input). Plain loops: tfjs's cpu transpose takes seconds for a ResNet-18's weights.
 */
export function permute(values: Float32Array, shape: number[], axes: number[]): Float32Array {
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const outShape = axes.map((a) => shape[a]);
  const step = axes.map((a) => strides[a]);
  const index = outShape.map(() => 0);
  const out = new Float32Array(values.length);
  let source = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = values[source];
    // Advance the result's index like an odometer, moving `source` by each axis's input stride.
    for (let d = outShape.length - 1; d >= 0; d--) {
      source += step[d];
      if (++index[d] < outShape[d]) break;
      source -= step[d] * outShape[d];
      index[d] = 0;
    }
  }
  return out;
}

// The ONNX model a spec times as on the meters that run ONNX (onnxruntime here, the user's
// command): its structure with fixed random weights, since values do not change the time.
import { ArchitectureSpec } from '../architecture/types';
import { withSynchronousBackend } from '../backend';
import { exportOnnx } from '../interop/onnx-export';
import { OnnxModel } from '../interop/onnx-model';
import { disposeWeights, initialWeights } from '../model/weights';
import { Rng } from '../util/rng';

export async function timingModel(spec: ArchitectureSpec): Promise<OnnxModel> {
  return withSynchronousBackend(async () => {
    const weights = initialWeights(spec, new Rng(0));
    try {
      const model = exportOnnx(spec, weights);
      // A unit's output is no logits vector: a symbolic width keeps onnxruntime from warning so.
      const outputs = model.graph.outputs.map((o) => ({ ...o, dims: ['batch', 'features'] }));
      return { ...model, graph: { ...model.graph, outputs } };
    } finally {
      disposeWeights(weights);
    }
  });
}

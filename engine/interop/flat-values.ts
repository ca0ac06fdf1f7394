// PyTorch and ONNX hold features after flatten and linear as [N, F] but feature maps as
// [N, C, H, W]; the spec writes both as [C, H, W] (F x 1 x 1). An exporter converts where a
// layer needs the other rank: linear after globalavgpool, a conv or pool reading flat features.
import { ResolvedGraph } from '../architecture/graph';
import { INPUT_ID, Layer } from '../architecture/types';

/**
 * Whether the layer reads its inputs as [N, F]: what it needs, else flat when an input is (a sum
 * of flat features and 1x1 maps). A product is flat only when every input is: a [N, C] gate
 * multiplies [N, C, H, W] features as [N, C, 1, 1].
 */
export function readsFlat(layer: Layer, flat: Map<string, boolean>, inputs: string[]): boolean {
  const needed = needsFlat(layer);
  if (needed !== undefined) return needed;
  return layer.type === 'mul' ? inputs.every((id) => flat.get(id)) : inputs.some((id) => flat.get(id));
}

/** Whether a layer needs [N, F] (true) or [N, C, H, W] (false) input; undefined when either works. */
function needsFlat(layer: Layer): boolean | undefined {
  if (layer.type === 'linear') return true;
  if (layer.type === 'conv' || layer.type === 'maxpool' || layer.type === 'avgpool' || layer.type === 'globalavgpool' || layer.type === 'shuffle') return false;
  return undefined;
}

/** Which layer outputs (and `input`) PyTorch holds as [N, F]. */
export function flatValues(graph: ResolvedGraph): Map<string, boolean> {
  const flat = new Map<string, boolean>([[INPUT_ID, false]]);
  for (const { layer, inputs } of graph.order) {
    flat.set(layer.id, layer.type === 'flatten' || readsFlat(layer, flat, inputs));
  }
  return flat;
}

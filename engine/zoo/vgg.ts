// VGG with batch norm, as the paper's CIFAR teacher: blocks of [3x3 conv with bias, BN, ReLU]
// each closed by a 2x2 max-pool, then flatten and one linear classifier (no hidden FC layers).
import { InputShape, Layer } from '../architecture/types';
import { windowOutput } from '../architecture/shapes';
import { batchnorm, conv, linear, plain, pool, relu } from './layers';

/** Output channels of each conv, one array per block; every block ends with a max-pool. */
export type VggConfig = readonly (readonly number[])[];

export const VGG19: VggConfig = [[64, 64], [128, 128], [256, 256, 256, 256], [512, 512, 512, 512], [512, 512, 512, 512]];
export const VGG_MINI: VggConfig = [[16, 16], [32, 32], [64, 64]];

function pooledSizes(config: VggConfig, size: number): number[] {
  const sizes = [size];
  for (let b = 0; b < config.length; b++) sizes.push(windowOutput(sizes[b], 2, 2, 0));
  return sizes;
}

/** Why `input` is too small for this VGG (each max-pool halves it), or undefined when it fits. */
export function vggInputProblem(name: string, config: VggConfig, input: InputShape): string | undefined {
  const side = Math.min(input.height, input.width);
  const sizes = pooledSizes(config, side);
  if (sizes[sizes.length - 1] >= 1) return undefined;
  const needed = 2 ** config.length;
  return (
    `${name} cannot take ${input.height}x${input.width} images: its ${config.length} 2x2 max-pools shrink them to nothing ` +
    `(${sizes.join(' -> ')}); it needs at least ${needed}x${needed}`
  );
}

export function vggLayers(config: VggConfig, input: InputShape, classes: number): Layer[] {
  const layers: Layer[] = [];
  let channels = input.channels;
  config.forEach((widths, b) => {
    const block = `block${b + 1}`;
    widths.forEach((out, c) => {
      layers.push(conv(`${block}.conv${c + 1}`, channels, out, 3, { padding: 1 }));
      layers.push(batchnorm(`${block}.bn${c + 1}`, out));
      layers.push(relu(`${block}.relu${c + 1}`));
      channels = out;
    });
    layers.push(pool(`${block}.pool`, 'maxpool', 2));
  });
  const height = pooledSizes(config, input.height).pop()!;
  const width = pooledSizes(config, input.width).pop()!;
  layers.push(plain('flatten', 'flatten'));
  layers.push(linear('fc', channels * height * width, classes));
  return layers;
}

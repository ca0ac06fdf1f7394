// Small constructors that keep the zoo's layer lists readable. Parametrised layers state their
// input width (`in`), as their PyTorch counterparts do, so a file can be read without inference.
import { BatchNormLayer, ConvLayer, Layer, LinearLayer, PlainLayer, PoolLayer } from '../architecture/types';
import { windowOutput } from '../architecture/shapes';

export interface ConvOptions {
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
  inputs?: string[];
}

/** Drops unset options so generated specs carry no `undefined` keys. */
function given<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const CONV_DEFAULTS: ConvOptions = { stride: 1, padding: 0, groups: 1, bias: true };

/** Options at the spec's default value are left out, so files say only what differs. */
export function conv(id: string, inChannels: number, out: number, kernel: number, options: ConvOptions = {}): ConvLayer {
  const differing = Object.entries(given(options)).filter(([k, v]) => CONV_DEFAULTS[k as keyof ConvOptions] !== v);
  return { id, type: 'conv', in: inChannels, out, kernel, ...Object.fromEntries(differing) };
}

export function batchnorm(id: string, channels: number): BatchNormLayer {
  return { id, type: 'batchnorm', in: channels };
}

export function relu(id: string, inputs?: string[]): PlainLayer {
  return plain(id, 'relu', inputs);
}

export function pool(id: string, type: PoolLayer['type'], kernel: number, options: Omit<ConvOptions, 'groups' | 'bias'> = {}): PoolLayer {
  return { id, type, kernel, ...given(options) };
}

export function plain(id: string, type: PlainLayer['type'], inputs?: string[]): PlainLayer {
  return { id, type, ...given({ inputs }) };
}

export function linear(id: string, inFeatures: number, out: number): LinearLayer {
  return { id, type: 'linear', in: inFeatures, out };
}

/** Spatial size after a 3x3, padding 1 window with the given stride (conv or pool alike). */
export function after3x3(size: number, stride: number): number {
  return windowOutput(size, 3, stride, 1);
}

/** conv1 - bn1 - relu, the stem of the paper's ResNet and ShuffleNet (no conv bias before BN). */
export function stem(inChannels: number, out: number, kernel: number): Layer[] {
  return [conv('conv1', inChannels, out, kernel, { padding: (kernel - 1) / 2, bias: false }), batchnorm('bn1', out), relu('relu')];
}

/**
 * avgpool, flatten, linear. By default one window covers the whole (size x size) final map: the
 * paper's CIFAR head, avgpool(4) on the final 4x4 map (28x28 inputs end at 4x4 too: 28 -> 14 -> 7
 * -> 4). A smaller `kernel` keeps a coarse spatial grid for the classifier.
 */
export function averagedHead(size: number, channels: number, classes: number, kernel = size): Layer[] {
  const side = windowOutput(size, kernel, kernel, 0);
  return [pool('avgpool', 'avgpool', kernel), plain('flatten', 'flatten'), linear('fc', channels * side * side, classes)];
}

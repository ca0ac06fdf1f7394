// The architecture spec format (esnac.architecture/v1). schemas/architecture.schema.json is the
// authority on what a file may contain; these types describe a spec that passed it.

export const ARCH_FORMAT = 'esnac.architecture/v1';

/** The reserved id a first layer (or any layer) reads the network input from. */
export const INPUT_ID = 'input';

export const LAYER_TYPES = [
  'conv',
  'linear',
  'batchnorm',
  'relu',
  'relu6',
  'sigmoid',
  'hardsigmoid',
  'hardswish',
  'silu',
  'tanh',
  'maxpool',
  'avgpool',
  'globalavgpool',
  'flatten',
  'concat',
  'mul',
  'shuffle',
  'chunk',
  'identity',
  'dropout',
] as const;

export type LayerType = (typeof LAYER_TYPES)[number];

/** Batchnorm's epsilon where a layer sets no `eps` (PyTorch's default). */
export const BN_EPSILON = 1e-5;

interface LayerBase {
  id: string;
  /** Defaults to the previous layer in the list; the first layer reads `input`. */
  inputs?: string[];
}

export interface ConvLayer extends LayerBase {
  type: 'conv';
  in?: number;
  out: number;
  kernel: number;
  stride?: number;
  padding?: number;
  groups?: number;
  bias?: boolean;
}

export interface LinearLayer extends LayerBase {
  type: 'linear';
  in?: number;
  out: number;
  bias?: boolean;
}

export interface PoolLayer extends LayerBase {
  type: 'maxpool' | 'avgpool';
  kernel: number;
  stride?: number;
  padding?: number;
  /** PyTorch's ceil_mode: the output size rounds up (default false). */
  ceilMode?: boolean;
  /** avgpool only: divide by the whole window, padding included (default true). */
  countIncludePad?: boolean;
}

export interface ShuffleLayer extends LayerBase {
  type: 'shuffle';
  groups: number;
}

/** Part `index` of `chunks` equal channel parts: torch.chunk(x, chunks, dim=1)[index]. */
export interface ChunkLayer extends LayerBase {
  type: 'chunk';
  chunks: number;
  index: number;
}

export interface DropoutLayer extends LayerBase {
  type: 'dropout';
  rate: number;
}

export interface BatchNormLayer extends LayerBase {
  type: 'batchnorm';
  in?: number;
  /** Added to the variance (default BN_EPSILON). */
  eps?: number;
}

/** Element-wise activations, in the order of ACTIVATION_TYPES. */
export const ACTIVATION_TYPES = ['relu', 'relu6', 'sigmoid', 'hardsigmoid', 'hardswish', 'silu', 'tanh'] as const;
export type ActivationType = (typeof ACTIVATION_TYPES)[number];

export function isActivation(type: LayerType): type is ActivationType {
  return (ACTIVATION_TYPES as readonly string[]).includes(type);
}

export interface PlainLayer extends LayerBase {
  /** `mul` multiplies its inputs where other layers sum them; a Cx1x1 input broadcasts over height and width. */
  type: ActivationType | 'globalavgpool' | 'flatten' | 'concat' | 'mul' | 'identity';
}

export type Layer = ConvLayer | LinearLayer | PoolLayer | ShuffleLayer | ChunkLayer | DropoutLayer | BatchNormLayer | PlainLayer;

export interface InputShape {
  channels: number;
  height: number;
  width: number;
}

/** How a candidate was made from its teacher: enough to regenerate and diff it. */
export interface CandidateOrigin {
  /** The teacher's name, and its file path relative to the candidate file when known. */
  teacher: string;
  teacherPath?: string;
  /** The action that made it (its shape belongs to the search space: engine/space). */
  action: Record<string, unknown>;
}

export interface ArchitectureSpec {
  format: typeof ARCH_FORMAT;
  name: string;
  description?: string;
  input: InputShape;
  classes: number;
  layers: Layer[];
  /** Layer id of the network output; defaults to the last layer. */
  output?: string;
  candidate?: CandidateOrigin;
}

/** [channels, height, width]; features after flatten/linear are [F, 1, 1]. */
export type Shape = [number, number, number];

/** A path into the spec document: ['layers', 3, 'inputs', 0]. Positions come from it. */
export type SpecPath = (string | number)[];

/**
 * What an editor needs to offer a fix for an issue beyond its path (the language server's quick
 * fixes build the edits): the value at the path is an unknown layer type or an id that names no
 * layer; a declared `in` that is not the `actual` channels; a required `property` missing from
 * the mapping at the path.
 */
export type IssueFix =
  | { kind: 'unknownType' }
  | { kind: 'unknownId' }
  | { kind: 'declaredIn'; actual: number }
  | { kind: 'missingProperty'; property: string };

/** A problem with a spec, located by path; engine/architecture/source turns paths into line:col. */
export interface SpecIssue {
  path: SpecPath;
  message: string;
  fix?: IssueFix;
}

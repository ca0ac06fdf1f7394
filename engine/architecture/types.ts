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
  'maxpool',
  'avgpool',
  'globalavgpool',
  'flatten',
  'concat',
  'shuffle',
  'chunk',
  'identity',
  'dropout',
] as const;

export type LayerType = (typeof LAYER_TYPES)[number];

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
}

export interface PlainLayer extends LayerBase {
  type: 'relu' | 'relu6' | 'globalavgpool' | 'flatten' | 'concat' | 'identity';
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

/** A problem with a spec, located by path; engine/architecture/source turns paths into line:col. */
export interface SpecIssue {
  path: SpecPath;
  message: string;
}

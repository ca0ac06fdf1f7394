// A spec as a readable PyTorch module: one attribute per layer named after its id, a forward
// pass that follows the graph (sums, products, concatenations, channel shuffles and chunks, flatten in
// NCHW order), and, with weights, a loader for the .safetensors file written beside it (read
// with the standard library and torch only, so the safetensors package is not needed).
import { resolveGraph } from '../architecture/graph';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec, BN_EPSILON, INPUT_ID, Layer } from '../architecture/types';
import type { Normalisation } from '../../protocol';
import { WeightMap } from '../model/weights';
import { encodeSafetensors } from './safetensors';
import { flatValues, readsFlat } from './flat-values';
import { torchTensors } from './layout';
import { fileStem } from '../util/file-name';
import { visible } from '../util/text';

export interface PytorchExport {
  /** The .py source. */
  source: string;
  /** The .safetensors bytes when weights were given. */
  weights?: Uint8Array;
}

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield'.split(' '),
);
/** Names the generated file itself uses, and nn.Module attributes a layer must not shadow. */
const RESERVED = new Set(['self', 'x', 'torch', 'nn', 'json', 'os', 'struct', 'ChannelShuffle', 'load_safetensors', 'build', 'training', 'forward', 'state_dict', 'eval', 'train', 'to', 'cuda', 'cpu', 'parameters', 'modules', 'children', 'apply', 'half', 'float', 'double', 'type', 'zero_grad']);

/** Python identifiers for the layer ids: '.' and '-' become '_', clashes get a suffix. */
export function pythonNames(spec: ArchitectureSpec): Map<string, string> {
  const names = new Map<string, string>([[INPUT_ID, 'x']]);
  const used = new Set<string>(['x']);
  for (const layer of spec.layers) {
    let base = layer.id.replace(/[^A-Za-z0-9_]/g, '_');
    if (PYTHON_KEYWORDS.has(base) || RESERVED.has(base)) base = `${base}_`;
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    names.set(layer.id, name);
  }
  return names;
}

export function className(spec: ArchitectureSpec): string {
  const words = spec.name.split(/[^A-Za-z0-9]+/).filter((w) => w !== '');
  const name = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('');
  return /^[A-Za-z]/.test(name) ? name : `Net${name}`;
}

/** The nn.Module constructor call for a layer, or undefined for layers done in forward (concat, mul, chunk, identity). */
function moduleFor(layer: Layer, inChannels: number, flat: boolean): string | undefined {
  switch (layer.type) {
    case 'conv': {
      const options = [`stride=${layer.stride ?? 1}`, `padding=${layer.padding ?? 0}`];
      if ((layer.groups ?? 1) !== 1) options.push(`groups=${layer.groups}`);
      if (layer.bias === false) options.push('bias=False');
      return `nn.Conv2d(${inChannels}, ${layer.out}, ${layer.kernel}, ${options.join(', ')})`;
    }
    case 'linear':
      return `nn.Linear(${inChannels}, ${layer.out}${layer.bias === false ? ', bias=False' : ''})`;
    case 'batchnorm':
      return `nn.BatchNorm${flat ? '1' : '2'}d(${inChannels}${layer.eps !== undefined && layer.eps !== BN_EPSILON ? `, eps=${layer.eps}` : ''})`;
    case 'relu':
      return 'nn.ReLU()';
    case 'relu6':
      return 'nn.ReLU6()';
    case 'sigmoid':
      return 'nn.Sigmoid()';
    case 'hardsigmoid':
      return 'nn.Hardsigmoid()';
    case 'hardswish':
      return 'nn.Hardswish()';
    case 'silu':
      return 'nn.SiLU()';
    case 'tanh':
      return 'nn.Tanh()';
    case 'maxpool':
    case 'avgpool': {
      const options = [`stride=${layer.stride ?? layer.kernel}`, `padding=${layer.padding ?? 0}`];
      if (layer.ceilMode) options.push('ceil_mode=True');
      if (layer.countIncludePad === false) options.push('count_include_pad=False');
      return `nn.${layer.type === 'maxpool' ? 'MaxPool2d' : 'AvgPool2d'}(${layer.kernel}, ${options.join(', ')})`;
    }
    case 'globalavgpool':
      return 'nn.AdaptiveAvgPool2d(1)';
    case 'flatten':
      return 'nn.Flatten()';
    case 'shuffle':
      return `ChannelShuffle(${layer.groups})`;
    case 'dropout':
      return `nn.Dropout(${layer.rate})`;
    case 'concat':
    case 'mul':
    case 'chunk':
    case 'identity':
      return undefined;
  }
}

/** What a layer without a module computes from its inputs (already in the rank it needs). */
function forwardExpression(layer: Layer, operands: string[]): string {
  if (layer.type === 'concat') return `torch.cat([${operands.join(', ')}], 1)`;
  if (layer.type === 'mul') return operands.join(' * ');
  const x = operands.join(' + ');
  return layer.type === 'chunk' ? `torch.chunk(${x}, ${layer.chunks}, 1)[${layer.index}]` : x;
}

const HEADER = `import json
import os
import struct

import torch
from torch import nn


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: view(N, g, C/g, H, W), swap the two channel axes."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)
`;

const LOADER = `

def load_safetensors(path):
    """A state dict from a .safetensors file of float32 tensors (no safetensors package needed)."""
    with open(path, 'rb') as f:
        size = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    state = {}
    for name, info in header.items():
        if name == '__metadata__':
            continue
        start, end = info['data_offsets']
        state[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(info['shape'])
    return state
`;

/** What a trained network's input must be, in one sentence (module docstrings, ONNX metadata). */
export function inputSentence(n: Normalisation): string {
  return `Input: pixels scaled to [0, 1], then per channel (x - mean) / std with mean ${JSON.stringify(n.mean)}, std ${JSON.stringify(n.std)} (normalisation ${n.rule}).`;
}

function pythonTuple(values: number[]): string {
  return `(${values.join(', ')}${values.length === 1 ? ',' : ''})`;
}

/** The .py source (and .safetensors bytes when `weights` are given) for `spec`; `weightsFile` is the name the loader opens, beside the .py. */
export function exportPytorch(spec: ArchitectureSpec, weights?: WeightMap, weightsFile = `${fileStem(spec.name)}.safetensors`, normalisation?: Normalisation): PytorchExport {
  const graph = resolveGraph(spec);
  const flat = flatValues(graph);
  const names = pythonNames(spec);
  const shapes = inferShapes(spec, graph);
  const cls = className(spec);
  const init: string[] = [];
  const forward: string[] = [];
  for (const { layer, inputs } of graph.order) {
    const name = names.get(layer.id)!;
    const wantsFlat = readsFlat(layer, flat, inputs);
    const operand = (id: string) => converted(names.get(id)!, flat.get(id)!, wantsFlat);
    const module = moduleFor(layer, shapes.byId.get(layer.id)!.inShape[0], wantsFlat);
    if (module) init.push(`        self.${name} = ${module}`);
    const operands = inputs.map(operand);
    forward.push(`        ${name} = ${module ? `self.${name}(${operands.join(' + ')})` : forwardExpression(layer, operands)}`);
  }
  const output = names.get(graph.output)!;
  const { channels: c, height: h, width: w } = spec.input;
  const lines = [
    `# ${visible(spec.name)}: written by esnac from its architecture spec. Layers are named after the spec's`,
    `# layer ids ('.' and '-' become '_'); the forward pass follows the spec's graph.`,
    HEADER,
    '',
    `class ${cls}(nn.Module):`,
    `    """${docstringText(spec.name)}: input ${c}x${h}x${w} (NCHW), ${spec.classes} classes.${normalisation ? `\n\n    ${inputSentence(normalisation)}\n    ` : ''}"""`,
    '',
    `    input_shape = (${c}, ${h}, ${w})`,
    `    classes = ${spec.classes}`,
    ...(normalisation
      ? [
          '    # The input the trained weights expect: pixels scaled to [0, 1], then (x - input_mean[c]) / input_std[c].',
          `    input_normalisation = ${JSON.stringify(normalisation.rule)}`,
          `    input_mean = ${pythonTuple(normalisation.mean)}`,
          `    input_std = ${pythonTuple(normalisation.std)}`,
        ]
      : []),
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...(init.length > 0 ? init : ['        pass']),
    '',
    '    def forward(self, x):',
    ...forward,
    `        return ${flat.get(graph.output) ? output : `torch.flatten(${output}, 1)`}`,
  ];
  if (weights) {
    lines.push(
      LOADER,
      '',
      `def build(weights=os.path.join(os.path.dirname(os.path.abspath(__file__)), ${JSON.stringify(weightsFile)})):`,
      `    """A ${cls} with the trained weights (weights=None: PyTorch's initialisation)."""`,
      `    model = ${cls}()`,
      '    if weights is not None:',
      '        missing, unexpected = model.load_state_dict(load_safetensors(weights), strict=False)',
      "        missing = [k for k in missing if not k.endswith('num_batches_tracked')]",
      '        if missing or unexpected:',
      "            raise RuntimeError(f'{weights} does not fit {type(model).__name__}: missing {missing}, unexpected {unexpected}')",
      '    return model',
    );
  } else {
    lines.push('', '', 'def build():', `    return ${cls}()`);
  }
  return { source: lines.join('\n') + '\n', ...(weights ? { weights: safetensorsFor(spec, weights, names) } : {}) };
}

/** Text inside a """docstring""": no quote can close it, no backslash starts an escape, one line. */
function docstringText(text: string): string {
  return visible(text.replace(/[\\"]/g, (ch) => `\\${ch}`));
}

/** A value in the rank the reading layer needs (flat: [N, F]; else [N, C, H, W]). */
function converted(name: string, isFlat: boolean, wantFlat: boolean): string {
  if (isFlat === wantFlat) return name;
  return wantFlat ? `torch.flatten(${name}, 1)` : `${name}[:, :, None, None]`;
}

function safetensorsFor(spec: ArchitectureSpec, weights: WeightMap, names: Map<string, string>): Uint8Array {
  const tensors = torchTensors(spec, weights).map((t) => ({ name: `${names.get(t.layer)}.${t.kind}`, shape: t.shape, data: t.data }));
  return encodeSafetensors(tensors, { format: 'pt', architecture: spec.name });
}

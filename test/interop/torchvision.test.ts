// Every classification model of Debian's torchvision (0.14), exported by torch.onnx with its
// default (training=EVAL: batchnorm folded into the convs) and with training=PRESERVE: each
// imports with the parameter count of what was exported and PyTorch's outputs within 1e-4 of the
// largest logit, or is refused with a list naming every node whose operator esnac has no layer
// for. By default the smallest model of most families is swept (QUICK); ESNAC_TORCHVISION=families
// takes the smallest of every family, ESNAC_TORCHVISION=all all 80 (two are too big for one .onnx
// file, torch 1.13 cannot export the three Swin V2: 81 minutes here, niced, exports included). ESNAC_TORCHVISION_CACHE=DIR keeps the exports in DIR
// and reuses them in later runs (exporting takes most of the test's time).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { initBackend } from '../../engine/backend';
import { readOnnxFile } from '../../engine/interop/onnx-codec';
import { importOnnx, SUPPORTED_OPERATORS } from '../../engine/interop/onnx-import';
import { Network } from '../../engine/model/network';
import { disposeWeights } from '../../engine/model/weights';
import { inferShapes } from '../../engine/architecture/shapes';
import { UserError } from '../../engine/util/errors';
import { relativeError } from './helpers';
import { runHelper, skipReason } from './python';

/**
 * The smallest model of each family that exports in under half a minute here (two shared cores).
 * ESNAC_TORCHVISION=families adds the smallest of the others: alexnet, efficientnet_v2_s, maxvit_t,
 * swin_t, vgg11_bn, vit_b_32, wide_resnet50_2 (40 s to 5 min each to export, 42 min for all 23).
 */
const QUICK = [
  'convnext_tiny', 'densenet121', 'efficientnet_b0', 'googlenet', 'inception_v3', 'mnasnet0_5', 'mobilenet_v2', 'mobilenet_v3_small',
  'mobilenet_v3_large', 'regnet_x_400mf', 'regnet_y_400mf', 'resnet18', 'resnext50_32x4d', 'shufflenet_v2_x0_5', 'squeezenet1_0', 'squeezenet1_1',
];
const FAMILIES = [...QUICK, 'alexnet', 'efficientnet_v2_s', 'maxvit_t', 'swin_t', 'vgg11_bn', 'vit_b_32', 'wide_resnet50_2'];
const SWEEPS: Record<string, string[]> = { all: [], families: FAMILIES };

/**
 * The transformers and ConvNeXt: layer normalisation (ReduceMean, Pow, Sqrt, Div over channels),
 * GELU (Erf), attention (MatMul of two computed tensors, Softmax inside), patch embeddings and
 * channels-last blocks (Reshape and Transpose of feature maps) are not in the spec format (the
 * refusal's hints name the attention and layer normalisation). Inception v3
 * factorises 7x7 convolutions into 1x7 and 7x1: the spec has square kernels. Every other model
 * must import.
 */
const REFUSED = /^(convnext|swin|vit|maxvit|inception)/;

/**
 * Debian's torch 1.13 cannot export these at opset 13 (no ONNX symbolic for aten::zero, used by
 * Swin V2's relative position bias): they never reach esnac, and only that refusal is accepted.
 */
const TORCH_CANNOT_EXPORT = /^swin_v2_/;

interface ModeResult {
  onnx?: string;
  params?: number;
  exportError?: string;
}

interface SweepResult {
  name: string;
  skipped?: string;
  inputShape?: [number, number, number, number];
  output?: number[];
  modes?: Record<'default' | 'preserve', ModeResult>;
}

const cache = process.env.ESNAC_TORCHVISION_CACHE;
let dir: string;
let results: SweepResult[] = [];

before(async () => {
  if (skipReason) return;
  dir = cache ?? mkdtempSync(join(tmpdir(), 'esnac-torchvision-'));
  if (!cache || !existsSync(join(dir, 'sweep.json'))) runHelper('torchvision_sweep.py', [dir, ...(SWEEPS[process.env.ESNAC_TORCHVISION ?? ''] ?? QUICK)]);
  results = JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8'));
  await initBackend('wasm');
});

after(async () => {
  if (dir && !cache) rmSync(dir, { recursive: true, force: true });
  await tf.setBackend('cpu');
});

test('torchvision classification models, default export and PRESERVE: imported with their outputs, or refused naming every unsupported node', { skip: skipReason }, async (t) => {
  const imported: string[] = [];
  const refused: string[] = [];
  for (const model of results) {
    if (model.skipped) {
      t.diagnostic(`${model.name}: not exported: ${model.skipped}`);
      continue;
    }
    for (const [mode, exported] of Object.entries(model.modes!)) {
      const label = `${model.name} (${mode})`;
      await t.test(label, (st) => {
        if (exported.exportError !== undefined && TORCH_CANNOT_EXPORT.test(model.name)) {
          assert.match(exported.exportError, /UnsupportedOperatorError: Exporting the operator 'aten::zero'/);
          return st.skip(`torch.onnx cannot export it: ${exported.exportError.split('.')[0]}`);
        }
        assert.equal(exported.exportError, undefined, `torch.onnx could not export it: ${exported.exportError}`);
        let onnx;
        try {
          onnx = readOnnxFile(exported.onnx!);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          assert.match(model.name, REFUSED, `${label} cannot be read:\n${err.message}`);
          refused.push(`${label}: cannot be read: ${err.message}`);
          return;
        }
        let result;
        try {
          result = importOnnx(onnx, model.name, `${model.name}.onnx`);
        } catch (err) {
          if (!(err instanceof UserError)) throw err;
          const unsupported = onnx.graph.nodes.filter((n) => !SUPPORTED_OPERATORS.has(n.opType));
          assert.ok(unsupported.length > 0 || /nodes? \d+ /.test(err.message), err.message);
          for (const n of unsupported) assert.ok(err.message.includes(`'${n.name}' (${n.opType}`), `${label}: the refusal does not name node '${n.name}' (${n.opType})`);
          assert.match(model.name, REFUSED, `${label} is refused:\n${err.message}`);
          const ops = [...new Set(unsupported.map((n) => n.opType))].sort();
          refused.push(`${label}: ${err.message.split('\n')[0]} [${ops.join(', ')}]`);
          return;
        }
        assert.doesNotMatch(model.name, REFUSED, `${label} was expected to be refused`);
        const { spec, weights } = result;
        assert.equal(inferShapes(spec).params, exported.params, `${label}: parameter count`);
        const net = new Network(spec, weights);
        const bytes = readFileSync(join(dir, `${model.name}.input.bin`));
        const output = tf.tidy(() => {
          const nchw = tf.tensor4d(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), model.inputShape!);
          return Array.from(net.forward(tf.transpose(nchw, [0, 2, 3, 1]), { training: false }).dataSync());
        });
        net.dispose();
        disposeWeights(weights);
        const error = relativeError(output, model.output!);
        assert.ok(error <= 1e-4, `${label}: outputs differ by ${error} of the largest logit`);
        imported.push(`${label} ${error.toExponential(1)}`);
      });
    }
  }
  t.diagnostic(`imported (largest difference from PyTorch, of the largest logit): ${imported.join('; ')}`);
  for (const line of refused) t.diagnostic(`refused: ${line}`);
});

import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { encodeModel, writeModel } from '../../engine/model/io';
import { Network } from '../../engine/model/network';
import { WeightMap } from '../../engine/model/weights';
import { inferShapes } from '../../engine/architecture/shapes';
import { ArchitectureSpec } from '../../engine/architecture/types';
import { specToText } from '../../engine/architecture/write';
import { Rng } from '../../engine/util/rng';
import { esnac, runHelper } from './python';

/** The largest difference as a fraction of the largest expected magnitude. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length);
  const scale = Math.max(...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  return worst / scale;
}

/** Equal within `relative` of the largest expected magnitude; returns the relative error. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number): number {
  const error = relativeError(actual, expected);
  assert.ok(error <= relative, `largest difference is ${error} of the largest output, more than ${relative}`);
  return error;
}

export interface Student {
  spec: ArchitectureSpec;
  weights: WeightMap;
}

export interface TfjsRun {
  /** Raw NCHW values. */
  input: Float32Array;
  shape: number[];
  output: number[];
}

/** Random inputs [N, C, H, W] and tfjs's logits for them. */
export function runTfjs(s: Student, batch: number, rng: Rng): TfjsRun {
  const { channels, height, width } = s.spec.input;
  const shape = [batch, channels, height, width];
  const input = Float32Array.from({ length: batch * channels * height * width }, () => rng.normal());
  const net = new Network(s.spec, s.weights);
  const output = tf.tidy(() => Array.from(net.forward(tf.transpose(tf.tensor4d(input, shape as [number, number, number, number]), [0, 2, 3, 1]), { training: false }).dataSync()));
  net.dispose();
  return { input, shape, output };
}

/** What check_export.py found, the differences as fractions of the largest logit. */
export interface ExportCheck {
  pytorch: number;
  onnx: number;
  /** The exported files. */
  files: { pytorch: string; onnx: string };
}

/**
 * `esnac export` of a student (its spec and weights folder written to `dir` as NAME.*) to
 * PyTorch and ONNX, checked by PyTorch and onnx.checker: both build, have the spec's parameter
 * count and give tfjs's outputs `run` within 1e-4 of the largest logit.
 */
export async function checkExport(dir: string, name: string, s: Student, run: TfjsRun): Promise<ExportCheck> {
  const specPath = join(dir, `${name}.arch.yaml`);
  const weightsDir = join(dir, `${name}.weights`);
  writeFileSync(specPath, specToText(s.spec, 'yaml'));
  writeModel(weightsDir, await encodeModel(s.spec, s.weights));
  const files = { pytorch: join(dir, `${name}.py`), onnx: join(dir, `${name}.onnx`) };
  for (const to of ['pytorch', 'onnx'] as const) {
    const exported = esnac(['export', specPath, '--to', to, '-o', files[to], '--weights', weightsDir]);
    assert.equal(exported.status, 0, exported.stderr);
    assert.doesNotMatch(exported.stderr, /random/);
  }
  assert.ok(existsSync(join(dir, `${name}.safetensors`)));
  writeFileSync(join(dir, `${name}.input.bin`), new Uint8Array(run.input.buffer));
  const casePath = join(dir, `${name}.case.json`);
  writeFileSync(casePath, JSON.stringify({ ...files, input: join(dir, `${name}.input.bin`), inputShape: run.shape, expected: run.output }));
  const report = JSON.parse(runHelper('check_export.py', [casePath]));
  const params = inferShapes(s.spec).params;
  const scale = Math.max(...run.output.map(Math.abs));
  assert.equal(report.pytorchParams, params);
  assert.equal(report.onnxParams, params);
  assert.ok(report.onnxChecked);
  assert.ok(report.pytorchDifference <= 1e-4 * scale, `PyTorch differs by ${report.pytorchDifference} (outputs up to ${scale})`);
  assert.ok(report.onnxDifference <= 1e-4 * scale, `the ONNX graph differs by ${report.onnxDifference} (outputs up to ${scale})`);
  return { pytorch: report.pytorchDifference / scale, onnx: report.onnxDifference / scale, files };
}

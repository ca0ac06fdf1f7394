// Files in and out of other frameworks, for `esnac import` / `esnac export` and the extension's
// commands: an .onnx file as a spec file and a weights folder, a spec (and trained weights) as a
// PyTorch module or an .onnx file. Nothing is overwritten without `force`, and every target is
// checked before the first file is written. The caller picks the tfjs backend.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { version } from '../../package.json';
import type { Normalisation } from '../../protocol';
import { encodeModel, loadModel, MODEL_FILE, writeModel } from '../model/io';
import { checkWeights } from '../model/network';
import { disposeWeights, initialWeights, WeightMap, weightSpecs } from '../model/weights';
import { inferShapes } from '../architecture/shapes';
import { ArchitectureSpec } from '../architecture/types';
import { loadSpecFile } from '../architecture/validate';
import { formatForPath, specToText } from '../architecture/write';
import { makeFolder, writeFileAtomic } from '../util/atomic-write';
import { errorMessage, UserError } from '../util/errors';
import { Rng } from '../util/rng';
import { encodeOnnx, readOnnxFile } from './onnx-codec';
import { exportOnnx } from './onnx-export';
import { importOnnx } from './onnx-import';
import { exportPytorch } from './pytorch-export';

export interface ImportRequest {
  /** The .onnx file. */
  model: string;
  /** The spec file to write: .json for JSON, .yaml / .yml for YAML. */
  spec: string;
  /** A weights folder (model.json + weights.bin) to write too. */
  weights?: string;
  /** The architecture's name; the model file's name without .onnx by default. */
  name?: string;
  /** How the network was trained, for its number of input channels; recorded with the weights (esnac import --normalise). */
  normalisation?: (channels: number) => Normalisation;
  force?: boolean;
}

export interface ImportResult {
  spec: ArchitectureSpec;
  params: number;
  normalisation?: Normalisation;
  /** What the import changed or noticed (a dropped final softmax, batchnorm folded into convs). */
  notes: string[];
}

export type ExportFormat = 'pytorch' | 'onnx';

export const EXPORT_EXTENSIONS: Record<ExportFormat, string> = { pytorch: '.py', onnx: '.onnx' };

export interface ExportRequest {
  spec: string;
  to: ExportFormat;
  /** The .py or .onnx file; a PyTorch module's weights go beside it as <name>.safetensors. */
  output: string;
  /** Trained weights: a folder written by `esnac train` or a search. */
  weights?: string;
  /** Without weights, an ONNX graph gets PyTorch-style random weights drawn with this seed. */
  seed?: number;
  force?: boolean;
}

export interface ExportResult {
  spec: ArchitectureSpec;
  files: string[];
  /** Where the written weights come from: `none` for a PyTorch module without weights (PyTorch initialises it). */
  weights: 'trained' | 'random' | 'none';
  /** The input the weights expect, as their model.json records it. */
  normalisation?: Normalisation;
}

/** Writes the spec (and weights folder) of an .onnx file; refuses what the spec format cannot express. */
export async function importOnnxFile(request: ImportRequest): Promise<ImportResult> {
  const { model: modelPath, spec: specPath, weights: weightsDir, force = false } = request;
  if (!/\.(json|ya?ml)$/i.test(specPath)) throw new UserError(`${specPath}: name the spec file .json, .yaml or .yml so its format is clear`);
  refuseExisting(specPath, force);
  if (weightsDir !== undefined) refuseFullFolder(weightsDir, force);
  const name = request.name ?? basename(modelPath).replace(/\.onnx$/i, '');
  if (request.normalisation !== undefined && weightsDir === undefined) throw new UserError('--normalise is recorded with the weights: give --weights DIR too');
  const imported = importOnnx(readOnnxFile(modelPath), name, modelPath);
  try {
    const spec = { ...imported.spec, description: `imported from ${basename(modelPath)}` };
    const normalisation = request.normalisation?.(spec.input.channels);
    if (weightsDir !== undefined) writeModel(weightsDir, await encodeModel(spec, imported.weights, { importedFrom: basename(modelPath) }, normalisation), force);
    writeCreatingFolder(specPath, specToText(spec, formatForPath(specPath)));
    return { spec, params: inferShapes(spec).params, notes: imported.notes, ...(normalisation ? { normalisation } : {}) };
  } finally {
    disposeWeights(imported.weights);
  }
}

/** Writes the spec as a PyTorch module (.py, + .safetensors with weights) or an ONNX graph. */
export async function exportSpecFile(request: ExportRequest): Promise<ExportResult> {
  const { spec: specPath, to, output, force = false } = request;
  const extension = EXPORT_EXTENSIONS[to];
  if (!output.endsWith(extension)) throw new UserError(`${output}: the ${to === 'pytorch' ? 'PyTorch module' : 'ONNX model'} must be a ${extension} file`);
  const spec = await loadSpecFile(specPath);
  const loaded = request.weights !== undefined ? trainedWeights(request.weights, spec, specPath) : undefined;
  const trained = loaded?.weights;
  const normalisation = loaded?.normalisation;
  try {
    if (to === 'pytorch') {
      const weightsPath = safetensorsPath(output);
      refuseExisting(output, force);
      if (trained) refuseExisting(weightsPath, force);
      const result = exportPytorch(spec, trained, basename(weightsPath), normalisation);
      writeCreatingFolder(output, result.source);
      if (result.weights) writeCreatingFolder(weightsPath, result.weights);
      return { spec, files: result.weights ? [output, weightsPath] : [output], weights: trained ? 'trained' : 'none', ...(normalisation ? { normalisation } : {}) };
    }
    refuseExisting(output, force);
    const weights = trained ?? initialWeights(spec, new Rng(request.seed ?? 0));
    try {
      writeCreatingFolder(output, encodeOnnx(exportOnnx(spec, weights, version, normalisation)));
    } finally {
      if (!trained) disposeWeights(weights);
    }
    return { spec, files: [output], weights: trained ? 'trained' : 'random', ...(normalisation ? { normalisation } : {}) };
  } finally {
    if (trained) disposeWeights(trained);
  }
}

/** Where a PyTorch module's weights go: beside it, `student.py` -> `student.safetensors`. */
export function safetensorsPath(modulePath: string): string {
  return join(dirname(modulePath), `${basename(modulePath, EXPORT_EXTENSIONS.pytorch)}.safetensors`);
}

/**
 * Weights folders that may belong to a spec file, best first: a run's candidate
 * `candidates/c7.arch.yaml` has `c7.finetuned` and `c7.weights` beside it, `best.arch.yaml` has
 * `best.weights`.
 */
export function weightsFoldersFor(specPath: string): string[] {
  const stem = specPath.replace(/\.arch\.(json|ya?ml)$/i, '');
  if (stem === specPath) return [];
  return [`${stem}.finetuned`, `${stem}.weights`].filter((dir) => existsSync(join(dir, MODEL_FILE)));
}

function trainedWeights(dir: string, spec: ArchitectureSpec, specPath: string): { weights: WeightMap; normalisation?: Normalisation } {
  const loaded = loadModel(dir);
  try {
    checkWeights(spec.name, weightSpecs(spec), loaded.weights);
  } catch (err) {
    disposeWeights(loaded.weights);
    throw new UserError(`${dir} does not hold weights for ${specPath}: ${errorMessage(err)}`);
  }
  return loaded;
}

function refuseExisting(path: string, force: boolean): void {
  if (!force && existsSync(path)) throw new UserError(`${path} exists; choose another name or pass --force to overwrite it`);
}

function refuseFullFolder(dir: string, force: boolean): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`${dir} is a file; the weights need a folder`);
  if (!force && existsSync(dir) && readdirSync(dir).length > 0) throw new UserError(`${dir} exists and is not empty; choose another folder or pass --force to overwrite it`);
}

function writeCreatingFolder(path: string, data: string | Uint8Array): void {
  try {
    makeFolder(dirname(path));
    writeFileAtomic(path, data);
  } catch (err) {
    throw new UserError(`cannot write ${path}: ${errorMessage(err)}`);
  }
}

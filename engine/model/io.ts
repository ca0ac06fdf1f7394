// Trained weights on disk: a folder with a tfjs-style `model.json` (format, the spec itself, and
// the weightsManifest of tf.io.encodeWeights) next to `weights.bin`. Layouts: engine/model/weights.
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArchitectureSpec } from '../architecture/types';
import type { Normalisation } from '../../protocol';
import { writeFolderAtomic } from '../util/atomic-write';
import { errorMessage, UserError } from '../util/errors';
import { checkWeights } from './network';
import { WeightMap, weightSpecs } from './weights';

export const WEIGHTS_FORMAT = 'esnac.weights/v1';
export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** A model as bytes: what a folder holds, and what can be posted to a worker. */
export interface EncodedModel {
  spec: ArchitectureSpec;
  manifest: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
  /** How it was trained (dataset, epochs, accuracy...), for people reading model.json. */
  training?: Record<string, unknown>;
  /** The input the weights were trained on: pixels in [0, 1], then (x - mean[c]) / std[c]. */
  normalisation?: Normalisation;
}

interface ModelJson {
  format: typeof WEIGHTS_FORMAT;
  spec: ArchitectureSpec;
  training?: Record<string, unknown>;
  normalisation?: Normalisation;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

export async function encodeModel(spec: ArchitectureSpec, weights: WeightMap, training?: Record<string, unknown>, normalisation?: Normalisation): Promise<EncodedModel> {
  const names = weightSpecs(spec).map((w) => w.name);
  const { data, specs } = await tf.io.encodeWeights(names.map((name) => ({ name, tensor: weights.get(name)! })));
  return { spec, manifest: specs, data: data as ArrayBuffer, ...(training ? { training } : {}), ...(normalisation ? { normalisation } : {}) };
}

/** The weights as tensors (the caller disposes them); a UserError when they do not fit the spec. */
export function decodeModel(model: EncodedModel, where = model.spec.name): WeightMap {
  const expected = model.manifest.reduce((sum, e) => sum + e.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (model.manifest.some((e) => e.dtype !== 'float32') || expected !== model.data.byteLength) {
    throw new UserError(`${where}: ${WEIGHTS_FILE} holds ${model.data.byteLength} bytes but the manifest describes ${expected} bytes of float32 weights`);
  }
  const weights: WeightMap = new Map(Object.entries(tf.io.decodeWeights(model.data, model.manifest)));
  try {
    checkWeights(where, weightSpecs(model.spec), weights);
  } catch (err) {
    for (const t of weights.values()) t.dispose();
    throw err;
  }
  return weights;
}

/** Writes model.json + weights.bin into `dir`, whole or not at all; refuses a non-empty folder unless `force`. */
export function writeModel(dir: string, model: EncodedModel, force = false): void {
  if (!force && existsSync(dir) && readdirSync(dir).length > 0) {
    throw new UserError(`${dir} exists and is not empty; choose another folder or pass --force to overwrite it`);
  }
  writeFolderAtomic(dir, (temporary) => writeModelFiles(temporary, model), force);
}

/**
 * Writes a model into an existing empty scratch folder that no record points to and that is
 * deleted after use (a PyTorch job's initial weights): no temporary folder, no fsync, which cost
 * 16-110 ms a candidate on this shared machine against 0.5 ms for the writes themselves.
 */
export function writeScratchModel(dir: string, model: EncodedModel): void {
  writeModelFiles(dir, model);
}

function writeModelFiles(dir: string, model: EncodedModel): void {
  const json: ModelJson = {
    format: WEIGHTS_FORMAT,
    spec: model.spec,
    ...(model.training ? { training: model.training } : {}),
    ...(model.normalisation ? { normalisation: model.normalisation } : {}),
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: model.manifest }],
  };
  writeFileSync(join(dir, WEIGHTS_FILE), new Uint8Array(model.data));
  writeFileSync(join(dir, MODEL_FILE), JSON.stringify(json, null, 2) + '\n');
}

/** Reads a folder written by writeModel; a UserError naming the file when it is not one. */
export function readModel(dir: string): EncodedModel {
  const jsonPath = join(dir, MODEL_FILE);
  if (!existsSync(jsonPath)) throw new UserError(`${dir}: no ${MODEL_FILE} (expected a folder written by 'esnac train')`);
  let json: ModelJson;
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8')) as ModelJson;
  } catch (err) {
    throw new UserError(`${jsonPath}: not valid JSON (${errorMessage(err)})`);
  }
  if (json?.format !== WEIGHTS_FORMAT) throw new UserError(`${jsonPath}: format is ${JSON.stringify(json?.format)}, expected "${WEIGHTS_FORMAT}"`);
  const groups = json.weightsManifest;
  if (!Array.isArray(groups) || groups.length !== 1 || groups[0].paths?.[0] !== WEIGHTS_FILE || !Array.isArray(groups[0].weights)) {
    throw new UserError(`${jsonPath}: weightsManifest must list one group stored in ${WEIGHTS_FILE}`);
  }
  const binPath = join(dir, WEIGHTS_FILE);
  if (!existsSync(binPath)) throw new UserError(`${dir}: ${WEIGHTS_FILE} is missing`);
  const bytes = readFileSync(binPath);
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return {
    spec: json.spec,
    manifest: groups[0].weights,
    data,
    ...(json.training ? { training: json.training } : {}),
    ...(json.normalisation ? { normalisation: checkedNormalisation(json.normalisation, json.spec, jsonPath) } : {}),
  };
}

function checkedNormalisation(n: Normalisation, spec: ArchitectureSpec, jsonPath: string): Normalisation {
  const channels = spec.input?.channels;
  const fits = (values: unknown) => Array.isArray(values) && values.length === channels && values.every((v) => typeof v === 'number' && Number.isFinite(v));
  if (typeof n.rule !== 'string' || !fits(n.mean) || !fits(n.std) || n.std.some((s) => !(s > 0))) {
    throw new UserError(`${jsonPath}: normalisation must be { rule, mean, std } with ${channels} number(s) each, std > 0`);
  }
  return n;
}

/** readModel + decodeModel: the spec and its weights as tensors. */
export function loadModel(dir: string): { spec: ArchitectureSpec; weights: WeightMap; normalisation?: Normalisation } {
  const model = readModel(dir);
  return { spec: model.spec, weights: decodeModel(model, join(dir, MODEL_FILE)), ...(model.normalisation ? { normalisation: model.normalisation } : {}) };
}

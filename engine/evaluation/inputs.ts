// What an external trainer reads besides its command line: the run's training and validation
// examples as plain files, as the engine holds them (bytes for image data, normalised per batch
// by the trainer with the recorded numbers: written once per run, so trainers in any language
// need no dataset loaders and see exactly the examples, limits and normalisation the engine
// uses; the test split is not exported, nothing outside the final evaluation sees it), and each
// candidate's initial weights (inherited from the teacher as the local evaluator does).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, LoadOptions, loadDataset, Split } from '../data';
import { inheritWeights } from '../model/inherit';
import { decodeModel, encodeModel, readModel, writeModel, writeScratchModel } from '../model/io';
import { disposeWeights, initialWeights, WeightMap } from '../model/weights';
import { candidateSeed } from './local/candidate';
import { ArchitectureSpec } from '../architecture/types';
import { Rng } from '../util/rng';
import { writeFolderAtomic } from '../util/atomic-write';

export const DATASET_FORMAT = 'esnac.dataset/v2';
export const DATASET_FILE = 'dataset.json';

/**
 * Writes `dir`/dataset.json and the split files (unless a complete export is there already, as
 * on resume) and returns `dir`. The folder appears whole or not at all.
 */
export async function exportDataset(name: string, load: LoadOptions, dir: string): Promise<string> {
  if (existsSync(join(dir, DATASET_FILE))) return dir;
  writeDatasetFolder(await loadDataset(name, load), dir);
  return dir;
}

/** Writes `data` as `dir`/dataset.json and its split files, the folder whole or not at all. */
export function writeDatasetFolder(data: Dataset, dir: string): void {
  writeFolderAtomic(dir, (partial) => writeDataset(data, partial));
}

function writeDataset(data: Dataset, partial: string): void {
  const split = (prefix: string, s: Split) => {
    const [dtype, extension] = s.pixels instanceof Uint8Array ? ['uint8', 'u8'] : ['float32', 'f32'];
    writeFileSync(join(partial, `${prefix}-images.${extension}`), bytes(s.pixels));
    writeFileSync(join(partial, `${prefix}-labels.i32`), bytes(s.labels));
    return { count: s.count, images: `${prefix}-images.${extension}`, dtype, scale: s.scale, labels: `${prefix}-labels.i32` };
  };
  const manifest = {
    format: DATASET_FORMAT,
    name: data.name,
    layout: 'NHWC images (dtype per split: uint8, or float32) and int32 labels, little-endian, one example after another; ' +
      'the network takes (pixel * scale - normalisation.mean[c]) / normalisation.std[c]',
    input: data.input,
    classes: data.classes,
    normalisation: data.normalisation,
    augment: data.augment,
    splitRule: data.splitRule,
    train: split('train', data.train),
    validation: split('validation', data.validation),
  };
  writeFileSync(join(partial, DATASET_FILE), JSON.stringify(manifest, null, 2) + '\n');
}

function bytes(array: Uint8Array | Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

/** The teacher's weights, decoded once, from which each candidate's initial weights are cut. */
export class InitialWeights {
  private teacher: { spec: ArchitectureSpec; weights: WeightMap } | undefined;

  constructor(
    private readonly teacherWeightsDir: string,
    private readonly inherit: boolean,
    private readonly seed: number,
  ) {}

  /**
   * Writes the candidate's initial weights (esnac format) into `dir`, replacing what was there;
   * `scratch`: into an existing empty folder deleted after use, without fsync (writeScratchModel).
   */
  async write(spec: ArchitectureSpec, dir: string, { scratch = false } = {}): Promise<void> {
    // The local evaluator's seed: {init} is exactly what it would start the candidate from.
    const rng = new Rng(candidateSeed(this.seed, spec.name));
    const weights = this.inherit ? inheritWeights(this.source(), spec, rng) : initialWeights(spec, rng);
    try {
      const model = await encodeModel(spec, weights, { initial: this.inherit ? 'inherited from the teacher' : 'fresh' });
      if (scratch) writeScratchModel(dir, model);
      else writeModel(dir, model, true);
    } finally {
      disposeWeights(weights);
    }
  }

  dispose(): void {
    if (this.teacher) disposeWeights(this.teacher.weights);
    this.teacher = undefined;
  }

  private source(): { spec: ArchitectureSpec; weights: WeightMap } {
    if (!this.teacher) {
      const model = readModel(this.teacherWeightsDir);
      this.teacher = { spec: model.spec, weights: decodeModel(model, this.teacherWeightsDir) };
    }
    return this.teacher;
  }
}

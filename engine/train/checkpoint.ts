// A training's checkpoint: one folder, rewritten whole after every epoch (writeFolderAtomic), with
// what train() needs to go on exactly where it stopped: the weights after the epoch, the best
// epoch's weights, Adam's moments and iteration count, the batch generator's state and the epoch
// reports. A checkpoint made for another training (seed, epochs, optimiser, data) is not used.
import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { writeFolderAtomic } from '../util/atomic-write';
import { errorMessage } from '../util/errors';
import { disposeWeights, WeightMap } from '../model/weights';
import { EpochReport, TrainState } from './loop';

export const CHECKPOINT_FORMAT = 'esnac.checkpoint/v1';
const STATE_FILE = 'state.json';
const TENSORS_FILE = 'tensors.bin';

/** What the training is: a checkpoint of any other is ignored. */
export interface CheckpointIdentity {
  spec: string;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  weightDecay: number;
  /** Training examples. */
  examples: number;
}

interface StateJson {
  format: typeof CHECKPOINT_FORMAT;
  identity: CheckpointIdentity;
  epochs: EpochReport[];
  bestAccuracy: number;
  bestEpoch: number;
  rng: number[];
  /** Names of the tensors in tensors.bin, each group under its prefix. */
  manifest: tf.io.WeightsManifestEntry[];
}

const GROUPS = ['weights', 'best', 'optimizer'] as const;

/** Writes the state after an epoch into `dir`, replacing the previous checkpoint whole. */
export async function writeCheckpoint(dir: string, state: TrainState, identity: CheckpointIdentity): Promise<void> {
  const named = [
    ...[...state.weights].map(([name, tensor]) => ({ name: `weights/${name}`, tensor })),
    ...[...state.best].map(([name, tensor]) => ({ name: `best/${name}`, tensor })),
    // Adam's slots are positional: the index keeps their order.
    ...state.optimizer.map(({ name, tensor }, i) => ({ name: `optimizer/${String(i).padStart(6, '0')}/${name}`, tensor })),
  ];
  const { data, specs } = await tf.io.encodeWeights(named);
  const json: StateJson = { format: CHECKPOINT_FORMAT, identity, epochs: state.epochs, bestAccuracy: state.bestAccuracy, bestEpoch: state.bestEpoch, rng: state.rng, manifest: specs };
  writeFolderAtomic(
    dir,
    (temporary) => {
      writeFileSync(join(temporary, TENSORS_FILE), new Uint8Array(data as ArrayBuffer));
      writeFileSync(join(temporary, STATE_FILE), JSON.stringify(json) + '\n');
    },
    true,
  );
}

export type ReadCheckpoint = { state: TrainState } | { ignored: string } | undefined;

/**
 * The checkpoint in `dir` as tensors (the caller frees them with disposeTrainState); `ignored`
 * with the reason when one is there but unusable; undefined when there is none.
 */
export function readCheckpoint(dir: string, identity: CheckpointIdentity): ReadCheckpoint {
  if (!existsSync(join(dir, STATE_FILE))) return undefined;
  let json: StateJson;
  let bytes: Buffer;
  try {
    json = JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as StateJson;
    bytes = readFileSync(join(dir, TENSORS_FILE));
  } catch (err) {
    return { ignored: `${dir} cannot be read: ${errorMessage(err)}` };
  }
  if (json.format !== CHECKPOINT_FORMAT) return { ignored: `${dir} is in format ${JSON.stringify(json.format)}, not ${CHECKPOINT_FORMAT}` };
  if (!isDeepStrictEqual(json.identity, identity)) return { ignored: `${dir} is of another training (${JSON.stringify(json.identity)}, now ${JSON.stringify(identity)})` };
  const data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const tensors = tf.io.decodeWeights(data, json.manifest);
  const group = (prefix: (typeof GROUPS)[number]) =>
    Object.keys(tensors)
      .filter((name) => name.startsWith(`${prefix}/`))
      .sort()
      .map((name) => ({ name: name.slice(prefix.length + 1), tensor: tensors[name] }));
  const asMap = (entries: { name: string; tensor: tf.Tensor }[]): WeightMap => new Map(entries.map((e) => [e.name, e.tensor]));
  return {
    state: {
      epochs: json.epochs,
      bestAccuracy: json.bestAccuracy,
      bestEpoch: json.bestEpoch,
      rng: json.rng,
      weights: asMap(group('weights')),
      best: asMap(group('best')),
      optimizer: group('optimizer').map(({ name, tensor }) => ({ name: name.slice(name.indexOf('/') + 1), tensor })),
    },
  };
}

export function disposeTrainState(state: TrainState): void {
  disposeWeights(state.weights);
  disposeWeights(state.best);
  for (const { tensor } of state.optimizer) tensor.dispose();
}

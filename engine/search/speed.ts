// A quick measurement of how fast this machine trains a teacher: one epoch on a few hundred
// examples, in the local trainer. What run setup multiplies into the time of each preset.
import { cpus } from 'node:os';
import type { BackendChoice, SpeedResult } from '../../protocol';
import { initBackend } from '../backend';
import { loadDataset } from '../data';
import { loadSpecFile } from '../architecture/validate';
import { DEFAULT_SETTINGS } from '../run/settings';
import { fitOnLabels } from '../train/supervised';

/** Examples the measurement trains on: enough for steady batches, few enough for a second or two. */
const SAMPLE = 256;

export async function measureSpeed(teacherPath: string, dataset: string, backend: BackendChoice = 'auto'): Promise<SpeedResult> {
  const used = await initBackend(backend);
  const spec = await loadSpecFile(teacherPath);
  const full = await loadDataset(dataset);
  const sample = await loadDataset(dataset, { limitTrain: Math.min(SAMPLE, full.train.count), limitValidation: Math.min(32, full.validation.count) });
  const { batchSize, learningRate, weightDecay } = DEFAULT_SETTINGS;
  const result = await fitOnLabels(spec, sample, { epochs: 1, batchSize, learningRate, weightDecay, seed: 0 });
  const [epoch] = result.outcome.epochs;
  return { imagesPerSecond: epoch.imagesPerSecond, trainExamples: full.train.count, validationExamples: full.validation.count, trainer: `tfjs ${used.name}`, cores: cpus().length };
}

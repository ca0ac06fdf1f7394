// A quick measurement of how fast this machine trains a teacher: one epoch on a few hundred
// examples, on the trainer a run with these settings would use (a PyTorch worker laid out as the
// run's, or the local tfjs trainer). What run setup multiplies into the time of each preset.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice, EvaluatorSettings, SpeedResult } from '../../protocol';
import { initBackend } from '../backend';
import { loadDataset } from '../data';
import { loadSpecFile } from '../architecture/validate';
import { chooseEvaluator, poolLayout } from '../evaluation/choice';
import { exportDataset } from '../evaluation/inputs';
import { PytorchEvaluator } from '../evaluation/pytorch/evaluator';
import { PytorchPool } from '../evaluation/pytorch/pool';
import { TorchInfo } from '../evaluation/pytorch/python';
import { DEFAULT_SETTINGS } from '../run/settings';
import { ArchitectureSpec } from '../architecture/types';
import { fitOnLabels } from '../train/supervised';

/** Examples the measurement trains on: enough for steady batches, few enough for a second or two. */
const SAMPLE = 256;
const SAMPLE_VALIDATION = 32;

export async function measureSpeed(teacherPath: string, dataset: string, backend: BackendChoice = 'auto', evaluator?: EvaluatorSettings): Promise<SpeedResult> {
  const spec = await loadSpecFile(teacherPath);
  const full = await loadDataset(dataset);
  const sizes = { trainExamples: full.train.count, validationExamples: full.validation.count, cores: cpus().length };
  const limits = { limitTrain: Math.min(SAMPLE, full.train.count), limitValidation: Math.min(SAMPLE_VALIDATION, full.validation.count) };
  const choice = evaluator && (await chooseEvaluator(evaluator));
  if (choice?.used === 'pytorch') return { ...(await pytorchSpeed(spec, dataset, limits, choice.torch!, evaluator!)), ...sizes };
  const used = await initBackend(backend);
  const sample = await loadDataset(dataset, limits);
  const { batchSize, learningRate, weightDecay } = DEFAULT_SETTINGS;
  const result = await fitOnLabels(spec, sample, { epochs: 1, batchSize, learningRate, weightDecay, seed: 0 });
  return { imagesPerSecond: result.outcome.epochs[0].imagesPerSecond, trainer: `tfjs ${used.name}`, ...sizes };
}

/** One epoch in one PyTorch worker with the threads (or GPU) a run's worker would get. */
async function pytorchSpeed(spec: ArchitectureSpec, dataset: string, limits: { limitTrain: number; limitValidation: number }, torch: TorchInfo, settings: EvaluatorSettings): Promise<Pick<SpeedResult, 'imagesPerSecond' | 'trainer'>> {
  const scratch = mkdtempSync(join(tmpdir(), 'esnac-speed-'));
  try {
    const layout = poolLayout(torch, 0);
    const data = await exportDataset(dataset, limits, join(scratch, 'dataset'));
    const pool = await PytorchPool.start({ python: torch.python, dataset: data, workers: 1, threads: layout.threads, gpus: Math.min(1, layout.gpus), autocast: settings.autocast });
    const trainer = new PytorchEvaluator(pool);
    try {
      const { batchSize, learningRate, weightDecay } = DEFAULT_SETTINGS;
      let imagesPerSecond = 0;
      const result = await trainer.fit({ spec, out: join(scratch, 'weights'), epochs: 1, batchSize, learningRate, weightDecay, seed: 0 }, undefined, (e) => (imagesPerSecond = e.imagesPerSecond));
      if (result.status !== 'ok') throw new Error(`measuring the PyTorch trainer's speed failed: ${result.reason}`);
      return { imagesPerSecond, trainer: `pytorch ${torch.torch} ${layout.gpus > 0 ? 'cuda' : `cpu, ${layout.threads} thread${layout.threads > 1 ? 's' : ''}`}` };
    } finally {
      await trainer.close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

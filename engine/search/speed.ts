// A quick measurement of what a run's time is made of on this machine, for run setup's
// estimates (priced by engine/search/progress.ts plannedRates): an epoch of the teacher (after
// one that warms the trainer up) and a distillation epoch of each of a few candidates, on a few
// hundred examples, on the trainer a run with these settings would use (a PyTorch worker laid
// out as the run's, or the local tfjs trainer); and a few optimiser steps of a BO kernel fit, in
// this process, where a run fits them.
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BackendChoice, EvaluatorSettings, SpeedResult } from '../../protocol';
import { initBackend } from '../backend';
import { Dataset, loadDataset } from '../data';
import { loadSpecFile } from '../architecture/validate';
import { chooseEvaluator, poolLayout } from '../evaluation/choice';
import { candidateTraining, evaluateCandidate } from '../evaluation/local/candidate';
import { withOneWorker } from '../evaluation/pytorch/fit';
import { TorchInfo } from '../evaluation/pytorch/python';
import { EvaluationResult } from '../evaluation/types';
import { decodeModel } from '../model/io';
import { Network } from '../model/network';
import { disposeWeights } from '../model/weights';
import { DEFAULT_SETTINGS, derivedSeed } from '../run/settings';
import { ArchitectureSpec } from '../architecture/types';
import { fitKernel, kernelFitOptions, kernelThreads } from '../bo';
import { encodeArchitecture } from '../space/encoding';
import { drawCandidates } from '../space/draw';
import { buildSearchSpace } from '../space/space';
import { EpochReport } from '../train/loop';
import { fitOnLabels } from '../train/supervised';
import { Rng } from '../util/rng';

/** Examples the measurement trains on: enough for steady batches, few enough for a second or two. */
const SAMPLE = 256;
const SAMPLE_VALIDATION = 32;
/** The teacher's epochs: the first loads the backend's kernels (and a GPU's), the last is timed. */
const TEACHER_EPOCHS = 2;
/** Candidates timed: two, so that one odd draw (a large kept block, a tiny one) weighs half. */
const CANDIDATES = 2;
/** Optimiser steps of each timed kernel fit (a run's take up to kernelFit.maxSteps). */
const KERNEL_STEPS = 2;
/** Architectures the timed kernel scores at once: a batch as the acquisition's, whose fixed cost it spreads. */
const SCORED = 100;

type Limits = { limitTrain: number; limitValidation: number };
type Trained = Pick<SpeedResult, 'imagesPerSecond' | 'validationImagesPerSecond' | 'candidate' | 'trainer'>;

export async function measureSpeed(teacherPath: string, dataset: string, backend: BackendChoice = 'auto', evaluator?: EvaluatorSettings): Promise<SpeedResult> {
  const spec = await loadSpecFile(teacherPath);
  const full = await loadDataset(dataset);
  const sizes = { trainExamples: full.train.count, validationExamples: full.validation.count, cores: cpus().length };
  const limits = { limitTrain: Math.min(SAMPLE, full.train.count), limitValidation: Math.min(SAMPLE_VALIDATION, full.validation.count) };
  // Drawn as a run's first step draws its candidates: the search's own actions on the teacher, seeded.
  const candidates = drawCandidates(buildSearchSpace(spec), new Rng(derivedSeed(DEFAULT_SETTINGS.seed, 'speed')), CANDIDATES).map((c) => c.spec);
  const used = await initBackend(backend);
  const choice = evaluator && (await chooseEvaluator(evaluator));
  const sample = await loadDataset(dataset, limits);
  const trained = choice?.used === 'pytorch' ? await pytorchSpeed(spec, candidates, sample, choice.torch!, evaluator!) : await localSpeed(spec, candidates, sample, `tfjs ${used.name}`);
  return { ...trained, kernelFit: await kernelFitSpeed(spec, candidates), ...sizes };
}

/** Training and validation rates of one epoch, from its report (its seconds hold both). */
function epochRates(report: EpochReport, limits: Limits): { imagesPerSecond: number; validationImagesPerSecond: number } {
  const validationSeconds = report.seconds - limits.limitTrain / report.imagesPerSecond;
  return { imagesPerSecond: report.imagesPerSecond, validationImagesPerSecond: limits.limitValidation / Math.max(1e-6, validationSeconds) };
}

/** The candidates' mean rates and overhead; `distil` evaluates one for one epoch, reporting it. */
async function candidateSpeed(candidates: ArchitectureSpec[], limits: Limits, distil: (spec: ArchitectureSpec, onEpoch: (e: EpochReport) => void) => Promise<EvaluationResult>): Promise<SpeedResult['candidate']> {
  const timed: { imagesPerSecond: number; validationImagesPerSecond: number; overheadSeconds: number }[] = [];
  for (const spec of candidates) {
    let epoch: EpochReport | undefined;
    const result = await distil(spec, (e) => (epoch = e));
    if (result.status !== 'ok' || !epoch) throw new Error(`measuring a candidate's training speed failed: ${result.status === 'ok' ? 'no epoch reported' : result.reason}`);
    timed.push({ ...epochRates(epoch, limits), overheadSeconds: Math.max(0, result.seconds - epoch.seconds) });
  }
  const mean = (key: keyof (typeof timed)[number]) => timed.reduce((sum, t) => sum + t[key], 0) / timed.length;
  return { imagesPerSecond: mean('imagesPerSecond'), validationImagesPerSecond: mean('validationImagesPerSecond'), overheadSeconds: mean('overheadSeconds'), sampled: timed.length };
}

/** The candidates' training as the run's: one epoch, the run's defaults otherwise (distillation loss, inherited weights). */
const CANDIDATE_EPOCH = { ...candidateTraining(DEFAULT_SETTINGS), epochs: 1 };

async function localSpeed(spec: ArchitectureSpec, candidates: ArchitectureSpec[], sample: Dataset, trainer: string): Promise<Trained> {
  const limits = { limitTrain: sample.train.count, limitValidation: sample.validation.count };
  const { batchSize, learningRate, weightDecay } = DEFAULT_SETTINGS;
  const fitted = await fitOnLabels(spec, sample, { epochs: TEACHER_EPOCHS, batchSize, learningRate, weightDecay, seed: 0 });
  const weights = decodeModel(fitted.model);
  const teacher = new Network(spec, weights);
  disposeWeights(weights);
  try {
    const context = { data: sample, teacher, backend: trainer, training: CANDIDATE_EPOCH };
    const candidate = await candidateSpeed(candidates, limits, (candidate, onEpoch) => evaluateCandidate({ name: candidate.name, spec: candidate }, context, undefined, onEpoch));
    return { ...epochRates(fitted.outcome.epochs.at(-1)!, limits), candidate, trainer };
  } finally {
    teacher.dispose();
  }
}

/** The teacher's and the candidates' epochs in one PyTorch worker with the threads (or GPU) a run's worker would get. */
async function pytorchSpeed(spec: ArchitectureSpec, candidates: ArchitectureSpec[], sample: Dataset, torch: TorchInfo, settings: EvaluatorSettings): Promise<Trained> {
  const limits = { limitTrain: sample.train.count, limitValidation: sample.validation.count };
  const layout = poolLayout(torch, 0);
  return withOneWorker(sample, { torch, threads: layout.threads, autocast: settings.autocast }, async (trainer, scratch) => {
    const { batchSize, learningRate, weightDecay } = DEFAULT_SETTINGS;
    let epoch: EpochReport | undefined;
    const result = await trainer.fit({ spec, out: join(scratch, 'weights'), epochs: TEACHER_EPOCHS, batchSize, learningRate, weightDecay, seed: 0 }, undefined, (e) => (epoch = e));
    if (result.status !== 'ok' || !epoch) throw new Error(`measuring the PyTorch trainer's speed failed: ${result.status === 'ok' ? 'no epoch reported' : result.reason}`);
    trainer.useTeacher({ teacherWeights: join(scratch, 'weights'), training: CANDIDATE_EPOCH });
    const candidate = await candidateSpeed(candidates, limits, (candidate, onEpoch) => trainer.evaluate({ name: candidate.name, spec: candidate }, undefined, onEpoch));
    return { ...epochRates(epoch, limits), candidate, trainer: `pytorch ${torch.torch} ${layout.gpus > 0 ? 'cuda' : `cpu, ${layout.threads} thread${layout.threads > 1 ? 's' : ''}`}` };
  });
}

/**
 * Fits of one kernel with the run's kernel-fit settings, cut to a few optimiser steps, on the
 * teacher and the candidates (architectures of the teacher's depth, as a run's kernels fit on)
 * and on four times as many (repeated), after a one-step fit that loads the backend's kernels: an
 * optimiser step's seconds as a fixed part plus a part per architecture (each step embeds them
 * all at once); and the fitted kernel scoring a batch, the acquisition's work per architecture.
 * A run's fits multiply these by their steps, architectures and samples.
 */
async function kernelFitSpeed(spec: ArchitectureSpec, candidates: ArchitectureSpec[]): Promise<SpeedResult['kernelFit']> {
  const distinct = [spec, ...candidates].map((s) => encodeArchitecture(s));
  const repeated = (count: number) => Array.from({ length: count }, (_, i) => distinct[i % distinct.length]);
  const fit = async (count: number, steps: number) => {
    const encodings = repeated(count);
    const options = { ...kernelFitOptions(DEFAULT_SETTINGS.kernelFit, distinct[0].width), maxSteps: steps, minSteps: steps };
    const started = performance.now();
    const kernel = await fitKernel(encodings, encodings.map((_, i) => 0.1 * i), options, new Rng(derivedSeed(DEFAULT_SETTINGS.seed, 'speed', 'kernel')));
    return { kernel, seconds: (performance.now() - started) / 1000 };
  };
  (await fit(distinct.length, 1)).kernel.dispose();
  const few = await fit(distinct.length, KERNEL_STEPS);
  few.kernel.dispose();
  const many = await fit(4 * distinct.length, KERNEL_STEPS);
  try {
    const perArchitecture = Math.max(0, (many.seconds - few.seconds) / (KERNEL_STEPS * 3 * distinct.length));
    const scored = repeated(SCORED);
    const started = performance.now();
    await many.kernel.predict(scored);
    return {
      secondsPerStep: Math.max(0, few.seconds / KERNEL_STEPS - perArchitecture * distinct.length),
      secondsPerArchitectureStep: perArchitecture,
      secondsPerArchitectureScored: (performance.now() - started) / 1000 / scored.length,
      threads: kernelThreads(DEFAULT_SETTINGS.kernels),
    };
  } finally {
    many.kernel.dispose();
  }
}

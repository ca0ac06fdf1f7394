// `esnac compress TEACHER --dataset D [...]`: the whole search, with live progress; Ctrl-C stops
// cleanly and leaves a run that `--resume` continues.
import { Command } from 'commander';
import { relative } from 'node:path';
import { CandidateEvent } from '../run/journal';
import { DEFAULT_SETTINGS, SearchSettings } from '../run/settings';
import { compress, CompressOptions } from '../search/compress';
import { addEvaluatorOptions, EvaluatorOptions, evaluatorFromOptions } from '../evaluation/cli-options';
import { SearchProgress } from '../search/search';
import { integerArg, numberArg, choiceArg } from './args';

interface CliOptions extends EvaluatorOptions {
  dataset?: string;
  teacherWeights?: string;
  output?: string;
  resume?: string;
  kernelsFrom?: string;
  backend?: CompressOptions['backend'];
  steps?: number;
  kernels?: number;
  epochs?: number;
  seed?: number;
  method?: SearchSettings['method'];
  budgetMinutes?: number;
  acquisitionSamples?: number;
  acquisitionOptimizer?: SearchSettings['acquisitionOptimizer'];
  teacherEpochs?: number;
  finetuneTop?: number;
  finetuneEpochs?: number;
  limitTrain?: number;
  limitValidation?: number;
  workers?: number;
  batchSize?: number;
  distillation?: SearchSettings['distillation'];
  temperature?: number;
  kernelSteps?: number;
  removal: boolean;
  shrink: boolean;
  skip: boolean;
  inherit: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('compress')
    .description('search for compressed students of a teacher (learned-kernel Bayesian optimisation, ICLR 2019)')
    .argument('[teacher]', 'teacher spec file (*.arch.yaml / *.arch.json)')
    .option('-d, --dataset <name>', 'mnist (embedded), fashion-mnist[:DIR], cifar10:DIR or cifar100:DIR')
    .option('--teacher-weights <dir>', "trained teacher weights (a folder written by 'esnac train'); without it the teacher is trained first")
    .option('-o, --output <dir>', 'run directory (default: esnac-runs/<teacher>-<date>)')
    .option('--resume <dir>', 'continue an interrupted run from its journal')
    .option('--kernels-from <dir>', 'propose with the kernels learned by another run instead of fitting new ones')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm or cpu', choiceArg(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const))
    .option('--steps <n>', 'search steps; step 1 evaluates K random candidates (default 20)', integerArg(1))
    .option('--kernels <n>', 'kernels per step = candidates per step (default 8)', integerArg(1))
    .option('--epochs <n>', 'distillation epochs per candidate (default 10)', integerArg(1))
    .option('--seed <n>', 'random seed: the same seed gives the same run (default 0)', integerArg(0))
    .option('--method <method>', 'bo (default) or random (same budget)', choiceArg(['bo', 'random'] as const))
    .option('--budget-minutes <n>', 'start no new step after this many minutes', numberArg(0))
    .option('--acquisition-samples <n>', 'random candidates each kernel scores (default 1000)', integerArg(1))
    .option('--acquisition-optimizer <how>', 'random (default) or evolution: how each kernel picks the candidates it scores', choiceArg(['random', 'evolution'] as const))
    .option('--kernel-steps <n>', 'at most this many optimiser steps per kernel fit (default 100)', integerArg(1))
    .option('--teacher-epochs <n>', 'epochs when the teacher is trained first (default 10)', integerArg(1))
    .option('--finetune-top <n>', 'fine-tune this many of the best candidates at the end (default 4)', integerArg(0))
    .option('--finetune-epochs <n>', 'epochs of fine-tuning (default 10)', integerArg(0))
    .option('--limit-train <n>', 'use only the first N training examples', integerArg(1))
    .option('--limit-validation <n>', 'use only the first N validation examples', integerArg(1))
    .option('--workers <n>', 'parallel evaluations (default: CPU cores, 1 on a GPU)', integerArg(1))
    .option('--batch-size <n>', 'training batch size (default 128)', integerArg(1))
    .option('--distillation <loss>', 'mse between logits (default) or kl', choiceArg(['mse', 'kl'] as const))
    .option('--temperature <t>', 'temperature of the kl distillation (default 4)', numberArg(0.01))
    .option('--no-removal', 'do not remove layers')
    .option('--no-shrink', 'do not shrink layers')
    .option('--no-skip', 'do not add skip connections')
    .option('--no-inherit', "start candidates from scratch instead of the teacher's weights");
  addEvaluatorOptions(command).action(async (teacher: string | undefined, options: CliOptions) => {
      await runCompress(teacher, options);
    });
}

function settingsFrom(o: CliOptions): Partial<SearchSettings> {
  const pick: Partial<SearchSettings> = {
    ...(o.steps !== undefined && { steps: o.steps }),
    ...(o.kernels !== undefined && { kernels: o.kernels }),
    ...(o.epochs !== undefined && { epochs: o.epochs }),
    ...(o.seed !== undefined && { seed: o.seed }),
    ...(o.method !== undefined && { method: o.method }),
    ...(o.budgetMinutes !== undefined && { budgetMinutes: o.budgetMinutes }),
    ...(o.acquisitionSamples !== undefined && { acquisitionSamples: o.acquisitionSamples }),
    ...(o.acquisitionOptimizer !== undefined && { acquisitionOptimizer: o.acquisitionOptimizer }),
    ...(o.teacherEpochs !== undefined && { teacherEpochs: o.teacherEpochs }),
    ...(o.finetuneTop !== undefined && { finetuneTop: o.finetuneTop }),
    ...(o.finetuneEpochs !== undefined && { finetuneEpochs: o.finetuneEpochs }),
    ...(o.limitTrain !== undefined && { limitTrain: o.limitTrain }),
    ...(o.limitValidation !== undefined && { limitValidation: o.limitValidation }),
    ...(o.workers !== undefined && { workers: o.workers }),
    ...(o.batchSize !== undefined && { batchSize: o.batchSize }),
    ...(o.distillation !== undefined && { distillation: o.distillation }),
    ...(o.temperature !== undefined && { temperature: o.temperature }),
    operators: { removal: o.removal, shrink: o.shrink, skip: o.skip },
    inheritWeights: o.inherit,
  };
  const evaluator = evaluatorFromOptions(o);
  if (evaluator) pick.evaluator = evaluator;
  return pick;
}

async function runCompress(teacher: string | undefined, o: CliOptions): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nstopping after the evaluations in flight are dropped (Ctrl-C again to quit at once)...\n');
    controller.abort(new Error('cancelled by the user'));
  };
  // SIGTERM and SIGHUP (a closed terminal, a job scheduler) stop the run as Ctrl-C does: the
  // journal stays resumable and the training workers end with it.
  const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const s of STOP_SIGNALS) process.on(s, onSigint);
  const started = Date.now();
  const settings = settingsFrom(o);
  if (o.kernelSteps !== undefined) settings.kernelFit = { ...DEFAULT_SETTINGS.kernelFit, maxSteps: o.kernelSteps };
  try {
    const result = await compress(
      {
        ...(teacher !== undefined && { teacherPath: teacher }),
        ...(o.dataset !== undefined && { dataset: o.dataset }),
        ...(o.teacherWeights !== undefined && { teacherWeights: o.teacherWeights }),
        ...(o.output !== undefined && { runDir: o.output }),
        ...(o.resume !== undefined && { resume: o.resume }),
        ...(o.kernelsFrom !== undefined && { kernelsFrom: o.kernelsFrom }),
        ...(o.backend !== undefined && { backend: o.backend }),
        ...(o.resume === undefined && { settings }),
      },
      {
        runDirectory: (dir) => say(`run directory: ${relative(process.cwd(), dir) || dir}`),
        log: (message) => say(message),
        candidate: (e) => say(candidateLine(e)),
        progress: (p) => {
          if (p.phase === 'evaluating' || p.phase === 'done') say(progressLine(p, started));
        },
      },
      controller.signal,
    );
    if (result.cancelled) {
      process.exitCode = 130;
      return;
    }
    if (result.best) {
      const b = result.best;
      say(`best student: ${b.name}  accuracy ${pct(b.accuracy)}  ${b.params.toLocaleString('en-US')} params  f ${b.f.toFixed(4)}`);
      say(`written to ${relative(process.cwd(), b.spec) || b.spec} (report: ${relative(process.cwd(), result.runDir)}/report.md)`);
    }
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSigint);
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function candidateLine(e: CandidateEvent): string {
  if (e.status === 'failed') return `  x ${e.name} failed: ${e.reason}`;
  return `  + ${e.name}  accuracy ${pct(e.accuracy!)}  ${e.params.toLocaleString('en-US')} params  f ${e.f!.toFixed(4)}  (${e.proposedBy}, ${e.seconds.toFixed(0)}s)`;
}

function progressLine(p: SearchProgress, started: number): string {
  const best = p.bestF === undefined ? 'none yet' : `${p.bestF.toFixed(4)} (${p.best})`;
  const eta = p.etaSeconds === undefined ? '' : `, ETA ${formatDuration(p.etaSeconds)}`;
  return `[step ${p.step}/${p.steps}] evaluated ${p.evaluated}/${p.total}, best f ${best}, elapsed ${formatDuration((Date.now() - started) / 1000)}${eta}`;
}

function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

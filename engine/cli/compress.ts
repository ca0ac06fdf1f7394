// `esnac compress TEACHER --dataset D [...]`: the whole search, with live progress; Ctrl-C stops
// cleanly and leaves a run that `--resume` continues.
import { Command } from 'commander';
import { dirname, relative, resolve } from 'node:path';
import { AUGMENT_CHOICES, DATASET_FORMS_HELP } from '../data';
import { gitignoreAdvice, gitignoreHint } from '../run/gitignore';
import { CandidateEvent } from '../run/journal';
import { headline } from '../run/report';
import { DEFAULT_SETTINGS, SearchSettings } from '../run/settings';
import { compress, CompressOptions, ResumeChanges } from '../search/compress';
import { UserError } from '../util/errors';
import { addEvaluatorOptions, EvaluatorOptions, evaluatorFromOptions } from './evaluator-options';
import { SearchProgress } from '../search/search';
import { LATENCY_DEVICES, OBJECTIVES } from '../../protocol';
import { AUGMENT_HELP, NORMALISE_HELP, integerArg, normaliseArg, numberArg, choiceArg } from './args';
import { onStopSignals, signalExitCode, StopSignal } from '../util/signals';
import { print, printError } from './output';

type ScalarSetting = Exclude<keyof SearchSettings, 'operators' | 'kernelFit' | 'evaluator' | 'inheritWeights' | 'budgets' | 'latency'>;

interface SettingOption {
  setting: ScalarSetting;
  flags: string;
  help: string;
  parse: (value: string) => SearchSettings[ScalarSetting];
  /** What the default means, where DEFAULT_SETTINGS' value alone does not say; false: not worth saying. */
  default?: string | false;
}

/** The settings `esnac compress` takes, one entry each; the help's default is DEFAULT_SETTINGS'. */
const SETTING_OPTIONS: SettingOption[] = [
  { setting: 'steps', flags: '--steps <n>', help: 'search steps; step 1 evaluates K random candidates', parse: integerArg(1) },
  { setting: 'kernels', flags: '--kernels <n>', help: 'kernels per step = candidates per step', parse: integerArg(1) },
  { setting: 'epochs', flags: '--epochs <n>', help: 'distillation epochs per candidate', parse: integerArg(1) },
  { setting: 'seed', flags: '--seed <n>', help: 'random seed: the same seed gives the same run', parse: integerArg(0) },
  { setting: 'method', flags: '--method <method>', help: 'bo or random (same budget)', parse: choiceArg(['bo', 'random'] as const) },
  { setting: 'budgetMinutes', flags: '--budget-minutes <n>', help: 'start no new step after this many minutes', parse: numberArg(0), default: false },
  { setting: 'acquisitionSamples', flags: '--acquisition-samples <n>', help: 'random candidates each kernel scores', parse: integerArg(1) },
  { setting: 'acquisitionOptimizer', flags: '--acquisition-optimizer <how>', help: 'random or evolution: how each kernel picks the candidates it scores', parse: choiceArg(['random', 'evolution'] as const) },
  { setting: 'teacherEpochs', flags: '--teacher-epochs <n>', help: 'epochs when the teacher is trained first', parse: integerArg(1) },
  { setting: 'finetuneTop', flags: '--finetune-top <n>', help: 'fine-tune this many of the best candidates at the end', parse: integerArg(0) },
  { setting: 'finetuneEpochs', flags: '--finetune-epochs <n>', help: 'epochs of fine-tuning', parse: integerArg(0) },
  { setting: 'limitTrain', flags: '--limit-train <n>', help: 'use only the first N training examples', parse: integerArg(1), default: false },
  { setting: 'limitValidation', flags: '--limit-validation <n>', help: 'use only the first N validation examples', parse: integerArg(1), default: false },
  { setting: 'workers', flags: '--workers <n>', help: 'parallel evaluations', parse: integerArg(1), default: 'CPU cores, 1 on a GPU' },
  { setting: 'batchSize', flags: '--batch-size <n>', help: 'training batch size', parse: integerArg(1) },
  { setting: 'distillation', flags: '--distillation <loss>', help: 'mse between logits or kl', parse: choiceArg(['mse', 'kl'] as const) },
  { setting: 'temperature', flags: '--temperature <t>', help: 'temperature of the kl distillation', parse: numberArg(0.01) },
  { setting: 'objective', flags: '--objective <cost>', help: "the cost C counts: params (the paper's), macs, or latency (measured)", parse: choiceArg(OBJECTIVES) },
  { setting: 'normalise', flags: '--normalise <rule>', help: NORMALISE_HELP, parse: normaliseArg, default: "what the teacher's weights record (esnac import --normalise), else dataset" },
  { setting: 'augment', flags: '--augment <how>', help: AUGMENT_HELP, parse: choiceArg(AUGMENT_CHOICES) },
];

/** Options of one nested setting (budgets, latency): flag -> field, the help's default from DEFAULT_SETTINGS. */
interface NestedOption<K extends 'budgets' | 'latency'> {
  field: keyof SearchSettings[K];
  option: string;
  flags: string;
  help: string;
  parse: (value: string) => SearchSettings[K][keyof SearchSettings[K]];
}

const BUDGET_OPTIONS: NestedOption<'budgets'>[] = [
  { field: 'maxParams', option: 'maxParams', flags: '--max-params <n>', help: 'never propose a candidate with more parameters', parse: integerArg(1) },
  { field: 'maxMacs', option: 'maxMacs', flags: '--max-macs <n>', help: 'never propose a candidate with more multiply-accumulates', parse: integerArg(1) },
  { field: 'maxLatencyMs', option: 'maxLatency', flags: '--max-latency <ms>', help: 'never propose a candidate the per-layer table predicts slower; one measured slower fails untrained', parse: numberArg(0) },
  { field: 'minRatio', option: 'minRatio', flags: '--min-ratio <x>', help: "never propose a candidate less than x times smaller (fewer MACs, faster) than the teacher, in the objective's cost", parse: numberArg(1) },
];

const LATENCY_OPTIONS: NestedOption<'latency'>[] = [
  { field: 'device', option: 'latencyDevice', flags: '--latency-device <where>', help: "onnxruntime (the ONNX export on this machine's CPU) or pytorch (a PyTorch worker on the trainer's device: CUDA events on a GPU)", parse: choiceArg(LATENCY_DEVICES) },
  { field: 'batchSize', option: 'latencyBatch', flags: '--latency-batch <n>', help: 'images per timed run', parse: integerArg(1) },
  { field: 'threads', option: 'latencyThreads', flags: '--latency-threads <n>', help: 'onnxruntime (or CPU torch) threads when timing', parse: integerArg(1) },
  { field: 'warmup', option: 'latencyWarmup', flags: '--latency-warmup <n>', help: 'untimed runs before timing', parse: integerArg(0) },
  { field: 'repeats', option: 'latencyRepeats', flags: '--latency-repeats <n>', help: 'timed runs, of which the median counts', parse: integerArg(1) },
  { field: 'command', option: 'latencyCommand', flags: '--latency-command <template>', help: 'time on another device: a command given {onnx} (the model file) that prints milliseconds; run without a shell', parse: String },
];

/** The nested setting from its options, each absent one at its default. */
function nested<K extends 'budgets' | 'latency'>(key: K, options: NestedOption<K>[], o: Record<string, unknown>): SearchSettings[K] {
  const given = options.filter(({ option }) => o[option] !== undefined).map(({ field, option }) => [field, o[option]]);
  return { ...DEFAULT_SETTINGS[key], ...Object.fromEntries(given) };
}

function nestedHelp<K extends 'budgets' | 'latency'>(key: K, { field, help }: NestedOption<K>): string {
  const value = DEFAULT_SETTINGS[key][field];
  return value === 0 || value === '' ? `${help} (default: none)` : `${help} (default ${String(value)})`;
}

type CliOptions = EvaluatorOptions &
  Partial<Pick<SearchSettings, ScalarSetting>> & {
    dataset?: string;
    teacherWeights?: string;
    output?: string;
    resume?: string;
    kernelsFrom?: string;
    backend?: CompressOptions['backend'];
    kernelSteps?: number;
    removal: boolean;
    shrink: boolean;
    skip: boolean;
    inherit: boolean;
  };

function helpWithDefault({ setting, help, default: meaning }: SettingOption): string {
  return meaning === false ? help : `${help} (default ${meaning ?? DEFAULT_SETTINGS[setting]})`;
}

export function register(program: Command): void {
  const command = program
    .command('compress')
    .description('search for compressed students of a teacher (learned-kernel Bayesian optimisation, ICLR 2019)')
    .argument('[teacher]', 'teacher spec file (*.arch.yaml / *.arch.json)')
    .option('-d, --dataset <name>', `the data to train on: ${DATASET_FORMS_HELP} (needed unless --resume)`)
    .option('--teacher-weights <dir>', "trained teacher weights (a folder written by 'esnac train'); without it the teacher is trained first")
    .option('-o, --output <dir>', 'run directory (default: esnac-runs/<teacher>-<date>)')
    .option('--resume <dir>', 'continue an interrupted run from its journal')
    .option('--kernels-from <dir>', 'propose with the kernels learned by another run instead of fitting new ones')
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, webgpu, wasm or cpu', choiceArg(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const));
  for (const option of SETTING_OPTIONS) command.option(option.flags, helpWithDefault(option), option.parse);
  for (const option of BUDGET_OPTIONS) command.option(option.flags, nestedHelp('budgets', option), option.parse);
  for (const option of LATENCY_OPTIONS) command.option(option.flags, nestedHelp('latency', option), option.parse);
  command
    .option('--kernel-steps <n>', `at most this many optimiser steps per kernel fit (default ${DEFAULT_SETTINGS.kernelFit.maxSteps})`, integerArg(1))
    .option('--no-removal', 'do not remove layers')
    .option('--no-shrink', 'do not shrink layers')
    .option('--no-skip', 'do not add skip connections')
    .option('--no-inherit', "start candidates from scratch instead of the teacher's weights");
  addEvaluatorOptions(command).action(async (teacher: string | undefined, options: CliOptions, self: Command) => {
    if (options.resume !== undefined) refuseFixedOnResume(teacher, self);
    await runCompress(teacher, options);
  });
}

/** Options a resumed run takes: how candidates are run and for how long. The others are the run's, in run.json. */
const CHANGE_ON_RESUME = new Set(['resume', 'backend', 'kernelsFrom', 'workers', 'budgetMinutes', 'evaluatorCommand', 'evaluatorShell', 'evaluationTimeout', 'retries', 'pollSeconds', 'jobTemplate']);

function refuseFixedOnResume(teacher: string | undefined, command: Command): void {
  const fixed = command.options.filter((o) => command.getOptionValueSource(o.attributeName()) === 'cli' && !CHANGE_ON_RESUME.has(o.attributeName())).map((o) => o.long!);
  if (teacher !== undefined) fixed.unshift(`the teacher ${teacher}`);
  if (fixed.length === 0) return;
  const may = command.options.filter((o) => CHANGE_ON_RESUME.has(o.attributeName()) && o.attributeName() !== 'resume').map((o) => o.long!);
  throw new UserError(`--resume goes on with the run's own settings (run.json); these cannot change: ${[...new Set(fixed)].join(', ')}. A resume may change ${may.join(', ')}`);
}

/** What a resume changes, from the options given. */
function changesFrom(o: CliOptions): ResumeChanges {
  const evaluator = {
    ...(o.evaluatorCommand !== undefined && { command: o.evaluatorCommand }),
    ...(o.evaluatorShell !== undefined && { shell: o.evaluatorShell }),
    ...(o.jobTemplate !== undefined && { jobTemplate: resolve(o.jobTemplate) }),
    ...(o.evaluationTimeout !== undefined && { timeoutMinutes: o.evaluationTimeout }),
    ...(o.retries !== undefined && { retries: o.retries }),
    ...(o.pollSeconds !== undefined && { pollSeconds: o.pollSeconds }),
  };
  return {
    ...(o.workers !== undefined && { workers: o.workers }),
    ...(o.budgetMinutes !== undefined && { budgetMinutes: o.budgetMinutes }),
    ...(Object.keys(evaluator).length > 0 && { evaluator }),
  };
}

function settingsFrom(o: CliOptions): Partial<SearchSettings> {
  const given = SETTING_OPTIONS.filter(({ setting }) => o[setting] !== undefined).map(({ setting }) => [setting, o[setting]]);
  const pick: Partial<SearchSettings> = {
    ...Object.fromEntries(given),
    operators: { removal: o.removal, shrink: o.shrink, skip: o.skip },
    inheritWeights: o.inherit,
    budgets: nested('budgets', BUDGET_OPTIONS, { ...o }),
    latency: nested('latency', LATENCY_OPTIONS, { ...o }),
  };
  if (o.kernelSteps !== undefined) pick.kernelFit = { ...DEFAULT_SETTINGS.kernelFit, maxSteps: o.kernelSteps };
  const evaluator = evaluatorFromOptions(o);
  if (evaluator) pick.evaluator = evaluator;
  return pick;
}

async function runCompress(teacher: string | undefined, o: CliOptions): Promise<void> {
  const controller = new AbortController();
  let stoppedBy: StopSignal | undefined;
  const stopListening = onStopSignals((signal) => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    stoppedBy = signal;
    printError(`\n${signal}: stopping after the evaluations in flight are dropped (Ctrl-C again to quit at once)...\n`);
    controller.abort(new Error(`stopped by ${signal}`));
  });
  const started = Date.now();
  const settings = settingsFrom(o);
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
        ...(o.resume === undefined ? { settings } : { changes: changesFrom(o) }),
      },
      {
        runDirectory: (dir) => {
          say(`run directory: ${relative(process.cwd(), dir) || dir}`);
          if (o.resume === undefined) void gitignoreAdvice(dirname(dir)).then((advice) => advice && say(gitignoreHint(advice)));
        },
        log: (message) => say(message),
        candidate: (e) => say(candidateLine(e)),
        progress: (p) => {
          if (p.phase === 'evaluating' || p.phase === 'done') say(progressLine(p, started));
        },
      },
      controller.signal,
    );
    if (result.cancelled) {
      process.exitCode = signalExitCode(stoppedBy ?? 'SIGINT');
      return;
    }
    if (result.best) {
      const b = result.best;
      say(`written to ${relative(process.cwd(), b.spec) || b.spec} (report: ${relative(process.cwd(), result.runDir)}/report.md)`);
      if (result.front) say(`Pareto front (${result.front.length} students): ${relative(process.cwd(), result.runDir)}/pareto/`);
      say(headline(b));
    }
  } finally {
    stopListening();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

function say(line: string): void {
  print(`${line}\n`);
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

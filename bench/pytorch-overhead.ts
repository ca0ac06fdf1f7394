// The PyTorch evaluator's time per candidate outside training (issue 16: under 0.3 s): from the
// hand-over (the search calls evaluate()) to the first training step in the worker, and from the
// end of its training (its last epoch's validation) to the candidate's line in the journal. The
// search loop itself drives a tiny teacher's random candidates, one at a time (one worker, one
// candidate per step, so no candidate waits in the queue), on a small synthetic dataset, for
// one epoch each. The first candidate also pays for the worker's one-time work (the teacher's
// logits) and is reported apart. Writes bench/results/pytorch-overhead.json.
// Usage: npm run bench -- pytorch-overhead [--candidates 12] [--teacher examples/teachers/resnet-mini-mnist.arch.yaml]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend, withSynchronousBackend } from '../engine/backend';
import { loadSpecFile } from '../engine/architecture/validate';
import { inferShapes } from '../engine/architecture/shapes';
import { specToText } from '../engine/architecture/write';
import { writeDatasetFolder } from '../engine/evaluation/inputs';
import { candidateTraining } from '../engine/evaluation/local/candidate';
import { PytorchEvaluator } from '../engine/evaluation/pytorch/evaluator';
import { PytorchPool } from '../engine/evaluation/pytorch/pool';
import { findPython } from '../engine/evaluation/pytorch/python';
import { EvaluationResult, Evaluator } from '../engine/evaluation/types';
import { encodeModel, writeModel } from '../engine/model/io';
import { disposeWeights, initialWeights } from '../engine/model/weights';
import { RunDirectory, RUN_FORMAT } from '../engine/run/run-directory';
import { DEFAULT_SETTINGS, SearchSettings } from '../engine/run/settings';
import { runCosts } from '../engine/search/costs';
import { runSearchSteps } from '../engine/search/search';
import { buildSearchSpace } from '../engine/space/space';
import { Rng } from '../engine/util/rng';
import { writeResults } from './_results';
import { syntheticData } from './pytorch-rates';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const wallMs = () => performance.timeOrigin + performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

interface Timed {
  name: string;
  /** Seconds from evaluate() to the first training step. */
  before: number;
  /** Seconds from the end of training to the journal line. */
  after: number;
  /** Seconds of the whole evaluation, for scale. */
  seconds: number;
}

async function main(): Promise<void> {
  await initBackend('cpu');
  const count = Number(flag('candidates', '12'));
  const teacherPath = flag('teacher', 'examples/teachers/resnet-mini-mnist.arch.yaml');
  const found = await findPython({});
  if (!found.ok) throw new Error(`no Python with torch: ${found.reason}`);
  const teacher = await loadSpecFile(teacherPath);
  const work = mkdtempSync(join(tmpdir(), 'esnac-bench-overhead-'));
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, method: 'random', steps: count, kernels: 1, epochs: 1, batchSize: 64, finetuneTop: 0 };
  const run = RunDirectory.create(join(work, 'run'), { format: RUN_FORMAT, createdAt: new Date().toISOString(), teacher: { name: teacher.name, spec: 'teacher.arch.yaml', source: 'bench' }, dataset: 'synthetic', settings, backend: 'cpu', versions: {} }, specToText(teacher, 'yaml'));
  const dataset = join(work, 'dataset');
  writeDatasetFolder(syntheticData(teacher, 256, new Rng(1)), dataset);
  const teacherWeights = join(work, 'teacher.weights');
  await withSynchronousBackend(async () => {
    const weights = initialWeights(teacher, new Rng(0));
    try {
      writeModel(teacherWeights, await encodeModel(teacher, weights), true);
    } finally {
      disposeWeights(weights);
    }
  });
  const pool = await PytorchPool.start({ python: found.info.python, dataset, workers: 1, threads: 1, gpus: 0, autocast: true });
  const pytorch = new PytorchEvaluator(pool);
  pytorch.useTeacher({ teacherWeights, training: candidateTraining(settings) });
  // The search's evaluator, watched: when each evaluation returned and what it said.
  const returned = new Map<string, { at: number; result: EvaluationResult }>();
  const evaluator: Evaluator = {
    concurrency: 1,
    evaluate: async (request, signal) => {
      const result = await pytorch.evaluate(request, signal);
      returned.set(request.name, { at: wallMs(), result });
      return result;
    },
    close: () => pytorch.close(),
  };
  const timed: Timed[] = [];
  try {
    const costs = await runCosts(settings, teacher);
    await runSearchSteps({
      run,
      space: buildSearchSpace(teacher, settings.operators),
      teacher: { accuracy: 0.5, params: inferShapes(teacher).params },
      costs,
      evaluator,
      hooks: {
        candidate: (event) => {
          const recorded = wallMs();
          const { at, result } = returned.get(event.name)!;
          if (result.status !== 'ok' || !result.outside) throw new Error(`${event.name}: ${result.status === 'failed' ? result.reason : 'no phases reported'}`);
          timed.push({ name: event.name, before: result.outside.before, after: result.outside.after + (recorded - at) / 1000, seconds: result.seconds });
          process.stdout.write(`${event.name}: before training ${result.outside.before.toFixed(3)} s, after ${timed.at(-1)!.after.toFixed(3)} s, evaluation ${result.seconds.toFixed(2)} s\n`);
        },
      },
    });
  } finally {
    await evaluator.close();
    rmSync(work, { recursive: true, force: true });
  }
  const [first, ...rest] = timed;
  const summary = {
    first: { before: first.before, after: first.after },
    rest: {
      count: rest.length,
      before: { median: median(rest.map((t) => t.before)), max: Math.max(...rest.map((t) => t.before)) },
      after: { median: median(rest.map((t) => t.after)), max: Math.max(...rest.map((t) => t.after)) },
      total: { median: median(rest.map((t) => t.before + t.after)), max: Math.max(...rest.map((t) => t.before + t.after)) },
    },
  };
  process.stdout.write(
    `\n| seconds per candidate outside training | median | max |\n|---|---|---|\n` +
      `| hand-over -> first training step | ${summary.rest.before.median.toFixed(3)} | ${summary.rest.before.max.toFixed(3)} |\n` +
      `| training end -> journal line | ${summary.rest.after.median.toFixed(3)} | ${summary.rest.after.max.toFixed(3)} |\n` +
      `| both | ${summary.rest.total.median.toFixed(3)} | ${summary.rest.total.max.toFixed(3)} |\n` +
      `(first candidate, with the worker's one-time teacher logits: ${first.before.toFixed(3)} + ${first.after.toFixed(3)} s)\n`,
  );
  const path = writeResults('pytorch-overhead', { teacher: teacherPath, torch: found.info.torch, trainer: pool.detail, epochs: settings.epochs, candidates: timed, summary });
  process.stdout.write(`written to ${path}\n`);
}

void main();

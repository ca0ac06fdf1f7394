// Compressing for speed against compressing for size: one teacher, the same small budget with
// --objective params and --objective latency; each run's best student (by f) timed the same way,
// side by side, and the per-layer table's prediction error on every candidate the latency run
// measured. The teacher and the best students are also timed, and the table built, with each of
// the meter's clocks side by side (the CPU time of a run, the default on one thread, and the wall
// clock), in alternating rounds. Writes bench/results/latency-objective.json.
// Usage: npm run bench -- latency-objective [--teacher examples/teachers/resnet-mini-mnist.arch.yaml]
//   [--dataset mnist] [--steps 3] [--kernels 3] [--epochs 1] [--limit-train 300]
//   [--limit-validation 300] [--latency-batch 8] [--rounds 5]
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../engine/backend';
import { ArchitectureSpec } from '../engine/architecture/types';
import { loadSpecFile } from '../engine/architecture/validate';
import { Objective } from '../engine/cost/objective';
import { LatencyClock, OnnxruntimeMeter } from '../engine/latency/onnxruntime';
import { LayerTable, memoryStore } from '../engine/latency/table';
import { CandidateEvent } from '../engine/run/journal';
import { tableError } from '../engine/run/report';
import { RunDirectory } from '../engine/run/run-directory';
import { DEFAULT_SETTINGS, SearchSettings } from '../engine/run/settings';
import { compress } from '../engine/search/compress';
import { runLoadOptions } from '../engine/search/dataset';
import { trainTeacher } from '../engine/search/teacher';
import { writeResults } from './_results';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const OBJECTIVES: Objective[] = ['params', 'latency'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main(): Promise<void> {
  const backend = await initBackend('auto');
  const dataset = flag('dataset', 'mnist');
  const teacherPath = flag('teacher', 'examples/teachers/resnet-mini-mnist.arch.yaml');
  const latency = { ...DEFAULT_SETTINGS.latency, batchSize: Number(flag('latency-batch', '8')), repeats: 20 };
  const settings: Partial<SearchSettings> = {
    steps: Number(flag('steps', '3')),
    kernels: Number(flag('kernels', '3')),
    epochs: Number(flag('epochs', '1')),
    limitTrain: Number(flag('limit-train', '300')),
    limitValidation: Number(flag('limit-validation', '300')),
    teacherEpochs: 1,
    acquisitionSamples: 100,
    kernelFit: { ...DEFAULT_SETTINGS.kernelFit, maxSteps: 10 },
    finetuneTop: 0,
    latency,
  };
  const work = mkdtempSync(join(tmpdir(), 'esnac-latency-objective-'));
  const teacher = await loadSpecFile(teacherPath);
  const teacherWeights = join(work, 'teacher.weights');
  const runSettings = { ...DEFAULT_SETTINGS, ...settings };
  const trained = await trainTeacher(teacher, teacherWeights, { name: dataset, load: runLoadOptions({ settings: runSettings }, teacher.input) }, runSettings, {});
  process.stdout.write(`teacher ${teacher.name}: accuracy ${(100 * trained.accuracy).toFixed(2)}%\n`);

  const runs: Record<string, { runDir: string; minutes: number; best: CandidateEvent }> = {};
  for (const objective of OBJECTIVES) {
    const runDir = join(work, objective);
    const started = performance.now();
    const result = await compress({ teacherPath, dataset, teacherWeights, runDir, settings: { ...settings, objective } });
    const events = RunDirectory.open(runDir).journal.read();
    const best = events.find((e): e is CandidateEvent => e.type === 'candidate' && e.name === result.best!.name)!;
    runs[objective] = { runDir, minutes: (performance.now() - started) / 60000, best };
    process.stdout.write(`${objective}: best ${best.name}, ${best.params} params, accuracy ${(100 * best.accuracy!).toFixed(1)}%, f ${best.f!.toFixed(4)} (${runs[objective].minutes.toFixed(1)} min)\n`);
  }

  // The teacher and both best students timed by one meter per clock, in alternating rounds, so
  // that a change in the machine's load falls on all of them alike.
  const clocks: LatencyClock[] = ['cpu', 'wall'];
  const meters = Object.fromEntries(clocks.map((c) => [c, new OnnxruntimeMeter(latency, c)])) as Record<LatencyClock, OnnxruntimeMeter>;
  const nets: Record<string, ArchitectureSpec> = { teacher };
  for (const o of OBJECTIVES) nets[o] = await loadSpecFile(join(runs[o].runDir, runs[o].best.spec));
  const rounds = Number(flag('rounds', '5'));
  const timings = Object.fromEntries(clocks.map((c) => [c, Object.fromEntries(Object.keys(nets).map((k) => [k, [] as number[]]))])) as Record<LatencyClock, Record<string, number[]>>;
  for (let r = 0; r < rounds; r++) for (const k of Object.keys(nets)) for (const c of clocks) timings[c][k].push((await meters[c].time(nets[k])).ms);
  const tables = Object.fromEntries(clocks.map((c) => [c, new LayerTable(meters[c], memoryStore())])) as Record<LatencyClock, LayerTable>;
  for (const spec of Object.values(nets)) for (const c of clocks) await tables[c].prepare([spec]);
  const rows = Object.entries(nets).flatMap(([k, spec]) =>
    clocks.map((clock) => {
      const ms = median(timings[clock][k]);
      const predicted = tables[clock].predict(spec).ms;
      const best = k === 'teacher' ? undefined : runs[k].best;
      return { net: k, clock, name: spec.name, params: best?.params ?? trained.params, accuracy: best?.accuracy ?? trained.accuracy, ms, spread: [Math.min(...timings[clock][k]), Math.max(...timings[clock][k])], predictedMs: predicted, predictionError: (predicted - ms) / ms };
    }),
  );
  const latencyRunError = tableError(RunDirectory.open(runs.latency.runDir).journal.read());
  process.stdout.write(`\n| best student of | clock | params | accuracy | latency (ms, batch ${latency.batchSize}) | table's prediction |\n|---|---|---|---|---|---|\n`);
  for (const r of rows) process.stdout.write(`| ${r.net} | ${r.clock} | ${r.params} | ${(100 * r.accuracy).toFixed(1)}% | ${r.ms.toFixed(3)} (${r.spread.map((s) => s.toFixed(3)).join('-')}) | ${r.predictedMs.toFixed(3)} (${(100 * r.predictionError).toFixed(0)}%) |\n`);
  const runMeter = new OnnxruntimeMeter(latency).label;
  if (latencyRunError) process.stdout.write(`\nper-layer table over the latency run's ${latencyRunError.count} candidates (${runMeter}): mean error ${(100 * latencyRunError.mean).toFixed(1)}%, median ${(100 * latencyRunError.median).toFixed(1)}%\n`);
  const path = writeResults('latency-objective', { backend: backend.detail, dataset, teacher: teacherPath, settings, meter: runMeter, meters: clocks.map((c) => meters[c].label), rounds, loadAverage: loadavg(), rows, latencyRunTableError: latencyRunError, minutes: Object.fromEntries(OBJECTIVES.map((o) => [o, runs[o].minutes])) });
  process.stdout.write(`written to ${path} (runs in ${work})\n`);
}

void main();

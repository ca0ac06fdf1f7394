// Seconds per BO step spent outside candidate training (K kernel fits + acquisition) as the
// evaluated set grows, for the ResNet-34 teacher, and the share of a step that is.
// Usage: npm run bench -- engine-overhead [--sizes 10,20,40,80,160] [--kernels 1] [--samples 1000]
// Kernels of a step are fitted one after another, so a step's overhead is the per-kernel time
// times K (8 by default); measuring fewer kernels and scaling keeps the benchmark short.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend';
import { CandidateEvent } from '../engine/run/journal';
import { DEFAULT_SETTINGS, SearchSettings } from '../engine/run/settings';
import { kernelProposals } from '../engine/bo/proposals';
import { drawCandidates } from '../engine/space/draw';
import { reward } from '../engine/space/reward';
import { buildSearchSpace } from '../engine/space/space';
import { inferShapes } from '../engine/architecture/shapes';
import { Network } from '../engine/model/network';
import { initialWeights, disposeWeights } from '../engine/model/weights';
import { Rng } from '../engine/util/rng';
import { zooTeacher } from '../engine/zoo';
import { writeResults } from './_results';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Images per second of one training step of the teacher itself (forward + backward), batch 32. */
async function teacherTrainingRate(): Promise<number> {
  const spec = zooTeacher('resnet34', 'cifar100');
  const weights = initialWeights(spec, new Rng(0));
  const net = new Network(spec, weights);
  disposeWeights(weights);
  const batch = 32;
  const step = () =>
    tf.tidy(() => {
      const x = tf.randomNormal([batch, 32, 32, 3]);
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(net.forward(x as tf.Tensor4D, { training: true, rng: new Rng(0) }))), net.trainable());
      value.dataSync();
      Object.values(grads).forEach((g) => g.dispose());
    });
  step();
  const start = performance.now();
  const runs = 2;
  for (let i = 0; i < runs; i++) step();
  net.dispose();
  return (runs * batch) / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const backend = await initBackend('auto');
  const sizes = flag('sizes', '10,20,40,80,160').split(',').map(Number);
  const measuredKernels = Number(flag('kernels', '1'));
  const samples = Number(flag('samples', '1000'));
  const teacher = zooTeacher('resnet34', 'cifar100');
  const teacherParams = inferShapes(teacher).params;
  const space = buildSearchSpace(teacher);
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, kernels: measuredKernels, acquisitionSamples: samples };
  const pool = drawCandidates(space, new Rng(1), Math.max(...sizes));
  // Search-time accuracies are a stand-in here: the overhead does not depend on their values.
  const events: CandidateEvent[] = pool.map((c, i) => ({
    type: 'candidate', step: 1, name: `c${String(i).padStart(4, '0')}`, key: c.key, spec: '', action: c.action, proposedBy: 'random',
    status: 'ok', params: c.params, seconds: 0, accuracy: 0.7, f: reward({ cost: c.params, accuracy: 0.7 * (1 - 0.3 * (1 - c.params / teacherParams) ** 2) }, { cost: teacherParams, accuracy: 0.787 }),
  }));
  const rate = await teacherTrainingRate();
  // The authors' budget per candidate: 10 epochs of 45,000 images; a candidate trains faster
  // than its teacher, so the teacher's rate gives an upper bound on training time per step.
  const trainingSecondsPerStep = (DEFAULT_SETTINGS.kernels * 10 * 45_000) / rate;
  const rows = [];
  for (const n of sizes) {
    const encodings = new Map();
    const start = performance.now();
    await kernelProposals({ space, settings, step: 2, evaluated: events.slice(0, n), seen: new Set(), encodings });
    const perKernel = (performance.now() - start) / 1000 / measuredKernels;
    const perStep = perKernel * DEFAULT_SETTINGS.kernels;
    rows.push({ evaluated: n, secondsPerKernel: perKernel, secondsPerStep: perStep, shareOfStep: perStep / (perStep + trainingSecondsPerStep) });
    process.stdout.write(`n=${n}: ${perKernel.toFixed(1)} s per kernel (fit + ${samples} scored), ${perStep.toFixed(0)} s per step of ${DEFAULT_SETTINGS.kernels} kernels\n`);
  }
  process.stdout.write(`\nbackend ${backend.detail}; ResNet-34 teacher trains at ${rate.toFixed(1)} img/s here: ${(trainingSecondsPerStep / 3600).toFixed(1)} h of training per step (upper bound)\n`);
  process.stdout.write('evaluated | s/kernel | s/step (K=8) | share of step\n');
  for (const r of rows) process.stdout.write(`${String(r.evaluated).padStart(9)} | ${r.secondsPerKernel.toFixed(1).padStart(8)} | ${r.secondsPerStep.toFixed(0).padStart(12)} | ${(100 * r.shareOfStep).toFixed(2)}%\n`);
  const path = writeResults('engine-overhead', { backend: backend.detail, teacher: 'resnet34-cifar100', measuredKernels, acquisitionSamples: samples, teacherImagesPerSecond: rate, trainingSecondsPerStep, rows });
  process.stdout.write(`written to ${path}\n`);
}

void main();

// Seconds per BO step spent outside candidate training (K kernel fits + acquisition) as the
// evaluated set grows, for the ResNet-34 teacher (or --teacher, a zoo name, on CIFAR-100): the same
// step with its kernels fitted one after another in this thread and on worker threads (one per
// core, at most K), side by side, and the share of a step's time the faster is; and the same
// step with next to no fitting, for what starting the threads costs.
// Usage: npm run bench -- engine-overhead [--sizes 10,20,40,80,160] [--kernels 8] [--samples 1000]
//   [--kernel-steps 100] [--teacher resnet34]. The defaults take hours on 2 cores; the same step
//   on the same teacher, cut down (--sizes 10 --kernels 8 --samples 200 --kernel-steps 30), took
//   9.6 minutes under a load of 4-6 on 2 cores (README); --teacher resnet18 or fewer --kernels
//   shortens it further.
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend';
import { CandidateEvent } from '../engine/run/journal';
import { availableParallelism, loadavg } from 'node:os';
import { DEFAULT_SETTINGS, SearchSettings } from '../engine/run/settings';
import { BoStepInput, kernelProposals } from '../engine/bo';
import { drawCandidates } from '../engine/space/draw';
import { reward } from '../engine/space/reward';
import { buildSearchSpace } from '../engine/space/space';
import { inferShapes } from '../engine/architecture/shapes';
import { Network } from '../engine/model/network';
import { initialWeights, disposeWeights } from '../engine/model/weights';
import { Rng } from '../engine/util/rng';
import { ZooName, zooTeacher } from '../engine/zoo';
import { ArchitectureSpec } from '../engine/architecture/types';
import { writeResults } from './_results';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** Images per second of one training step of the teacher itself (forward + backward), batch 32. */
async function teacherTrainingRate(spec: ArchitectureSpec): Promise<number> {
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
  const kernels = Number(flag('kernels', String(DEFAULT_SETTINGS.kernels)));
  const samples = Number(flag('samples', '1000'));
  const teacherName = flag('teacher', 'resnet34') as ZooName;
  const teacher = zooTeacher(teacherName, 'cifar100');
  const teacherParams = inferShapes(teacher).params;
  const space = buildSearchSpace(teacher);
  const kernelFit = { ...DEFAULT_SETTINGS.kernelFit, maxSteps: Number(flag('kernel-steps', String(DEFAULT_SETTINGS.kernelFit.maxSteps))) };
  const settings: SearchSettings = { ...DEFAULT_SETTINGS, kernels, acquisitionSamples: samples, kernelFit };
  const threads = Math.min(kernels, availableParallelism());
  const pool = drawCandidates(space, new Rng(1), Math.max(...sizes));
  // Search-time accuracies are a stand-in here: the overhead does not depend on their values.
  const events: CandidateEvent[] = pool.map((c, i) => ({
    type: 'candidate', step: 1, name: `c${String(i).padStart(4, '0')}`, key: c.key, spec: '', action: c.action, proposedBy: 'random',
    status: 'ok', params: c.params, seconds: 0, accuracy: 0.7, f: reward({ cost: c.params, accuracy: 0.7 * (1 - 0.3 * (1 - c.params / teacherParams) ** 2) }, { cost: teacherParams, accuracy: 0.787 }),
  }));
  const rate = await teacherTrainingRate(teacher);
  // The authors' budget per candidate: 10 epochs of 45,000 images; a candidate trains faster
  // than its teacher, so the teacher's rate gives an upper bound on training time per step.
  const trainingSecondsPerStep = (kernels * 10 * 45_000) / rate;
  const timed = async (input: BoStepInput) => {
    const start = performance.now();
    const proposals = await kernelProposals(input);
    return { seconds: (performance.now() - start) / 1000, keys: proposals.map((p) => `${p.key} ${p.expectedImprovement}`) };
  };
  // Other work on the machine shares its cores with the threads: recorded with the results.
  const loadBefore = loadavg();
  // What threads cost by themselves: the same step with one Adam step and one candidate scored
  // per kernel, so that starting the threads and loading their modules is nearly all it does.
  const bare = {
    space,
    settings: { ...settings, acquisitionSamples: 1, kernelFit: { ...settings.kernelFit, maxSteps: 1 } },
    step: 2,
    evaluated: events.slice(0, Math.min(...sizes)),
    seen: new Set<string>(),
  };
  const startup = {
    secondsOneThread: (await timed({ ...bare, encodings: new Map(), threads: 1 })).seconds,
    secondsThreads: (await timed({ ...bare, encodings: new Map() })).seconds,
  };
  process.stdout.write(`a step of 1 Adam step and 1 candidate per kernel: ${startup.secondsOneThread.toFixed(1)} s in one thread, ${startup.secondsThreads.toFixed(1)} s on ${threads} threads\n`);
  const rows = [];
  for (const n of sizes) {
    const step = { space, settings, step: 2, evaluated: events.slice(0, n), seen: new Set<string>() };
    // Each its own encoding cache, so that neither finds the other's work done.
    const one = await timed({ ...step, encodings: new Map(), threads: 1 });
    const parallel = await timed({ ...step, encodings: new Map() });
    if (parallel.keys.join() !== one.keys.join()) throw new Error(`n=${n}: the threads proposed otherwise than one thread`);
    rows.push({
      evaluated: n,
      secondsOneThread: one.seconds,
      secondsThreads: parallel.seconds,
      speedup: one.seconds / parallel.seconds,
      shareOfStep: parallel.seconds / (parallel.seconds + trainingSecondsPerStep),
    });
    process.stdout.write(`n=${n}: ${one.seconds.toFixed(1)} s in one thread, ${parallel.seconds.toFixed(1)} s on ${threads} threads (x${(one.seconds / parallel.seconds).toFixed(2)}), same proposals\n`);
    // Written after every size: on a busy machine a run may be stopped before the largest.
    writeResults('engine-overhead', { backend: backend.detail, teacher: `${teacherName}-cifar100`, kernels, threads, acquisitionSamples: samples, kernelSteps: kernelFit.maxSteps, teacherImagesPerSecond: rate, trainingSecondsPerStep, startup, loadAverage: { before: loadBefore, after: loadavg() }, rows });
  }
  process.stdout.write(`\nbackend ${backend.detail}; ${kernels} kernels of ${kernelFit.maxSteps} Adam steps, ${samples} candidates scored each; the ${teacherName} teacher trains at ${rate.toFixed(1)} img/s here: ${(trainingSecondsPerStep / 3600).toFixed(1)} h of training per step (upper bound)\n`);
  process.stdout.write(`evaluated | s/step, 1 thread | s/step, ${threads} threads | speedup | share of step\n`);
  for (const r of rows) {
    process.stdout.write(`${String(r.evaluated).padStart(9)} | ${r.secondsOneThread.toFixed(0).padStart(15)} | ${r.secondsThreads.toFixed(0).padStart(16)} | ${r.speedup.toFixed(2).padStart(7)} | ${(100 * r.shareOfStep).toFixed(3)}%\n`);
  }
  process.stdout.write('written to bench/results/engine-overhead.json\n');
}

void main();

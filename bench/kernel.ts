// Times the learned kernel at search sizes: one fit step and whole fits for n = 40 and 160
// architectures of 60 layers, the GP algebra alone, and scoring 1,000 candidates.
// Usage: node --import tsx bench/kernel.ts [cpu|wasm] [--full] [--sizes 40,160] [--candidates 1000]
// (--full: also whole fits, 100-step cap)
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../engine/backend/index';
import { EncodedArchitecture } from '../engine/space/encoding';
import { looObjective } from '../engine/bo/gp/gp';
import { fitKernel } from '../engine/bo/kernel/learned-kernel';
import { Rng } from '../engine/util/rng';

const LAYERS = 60;
const WIDTH = 272;

/** A chain of layers with a few skip edges, shaped like the real encoding (types, attributes, edges). */
function syntheticArchitecture(rng: Rng): EncodedArchitecture {
  const data = new Float32Array(LAYERS * WIDTH);
  const edgeBlock = (WIDTH - 16) / 2;
  const addEdge = (from: number, to: number) => {
    data[from * WIDTH + 16 + (to - from)] = 1;
    data[to * WIDTH + 16 + edgeBlock + (to - from)] = 1;
  };
  for (let r = 0; r < LAYERS; r++) {
    data[r * WIDTH + rng.int(0, 9)] = 1;
    [3, 1, 1, 1, 64, 64].forEach((v, i) => (data[r * WIDTH + 10 + i] = rng.bernoulli(0.5) ? v : 0));
    if (r + 1 < LAYERS) addEdge(r, r + 1);
    if (r + 3 < LAYERS && rng.bernoulli(0.1)) addEdge(r, r + 3);
  }
  return { rows: LAYERS, width: WIDTH, data };
}

async function seconds(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return (performance.now() - start) / 1000;
}

async function fit(n: number, maxSteps: number) {
  const rng = new Rng(n);
  const encodings = Array.from({ length: n }, () => syntheticArchitecture(rng));
  const ys = encodings.map((_, i) => (i === 0 ? 0 : 0.9 * rng.next()));
  let steps = 0;
  const time = await seconds(async () => {
    const kernel = await fitKernel(encodings, ys, { maxSteps, ...(maxSteps < 100 ? { tolerance: 0 } : {}) }, new Rng(1));
    steps = kernel.fit!.steps;
    kernel.dispose();
  });
  return { time, steps };
}

function gpAlgebraSeconds(n: number): number {
  const rng = new Rng(2);
  const d = 128;
  const e = Float64Array.from({ length: n * d }, () => 0.05 * rng.normal());
  const y = Float64Array.from({ length: n }, () => rng.next());
  looObjective(e, n, d, y);
  const runs = 10;
  const start = performance.now();
  for (let i = 0; i < runs; i++) looObjective(e, n, d, y);
  return (performance.now() - start) / 1000 / runs;
}

async function main() {
  const backend = process.argv[2] === 'wasm' ? 'wasm' : 'cpu';
  const full = process.argv.includes('--full');
  const argument = (name: string, fallback: string) => process.argv[process.argv.indexOf(name) + 1] ?? fallback;
  const sizes = process.argv.includes('--sizes') ? argument('--sizes', '').split(',').map(Number) : [40, 160];
  const candidateCount = process.argv.includes('--candidates') ? Number(argument('--candidates', '')) : 1000;
  const info = await initBackend(backend);
  console.log(`backend: ${info.detail}`);
  for (const n of [40, 160]) console.log(`GP algebra (LOO loss + gradient), n = ${n}: ${(gpAlgebraSeconds(n) * 1000).toFixed(1)} ms`);
  for (const n of sizes) {
    const one = await fit(n, 1);
    const three = await fit(n, 3);
    const step = (three.time - one.time) / 2;
    console.log(`n = ${n}: one fit step ${step.toFixed(2)} s (fit with 1 step, incl. init and final embedding: ${one.time.toFixed(2)} s)`);
    if (full) {
      const whole = await fit(n, 100);
      console.log(`n = ${n}: whole fit ${whole.time.toFixed(1)} s, ${whole.steps} steps`);
    }
  }
  const rng = new Rng(3);
  const candidates = Array.from({ length: candidateCount }, () => syntheticArchitecture(rng));
  const kernelData = Array.from({ length: 40 }, () => syntheticArchitecture(rng));
  const kernel = await fitKernel(kernelData, kernelData.map((_, i) => (i === 0 ? 0 : rng.next())), { maxSteps: 1 }, new Rng(4));
  const predictTime = await seconds(() => kernel.expectedImprovement(candidates));
  kernel.dispose();
  console.log(`predict + EI, ${candidateCount} candidates of ${LAYERS} layers: ${predictTime.toFixed(2)} s; tensors left: ${tf.memory().numTensors}`);
}

main();

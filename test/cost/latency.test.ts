// Latency: onnxruntime's timing, the per-layer table's arithmetic against whole-network
// measurements, and the user's command with its failures. How repeatable real timings are and
// how well the table predicts them are benchmarks (bench/latency-objective), not assertions.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend';
import { CommandMeter, parseLatencyOutput } from '../../engine/latency/command';
import { summarise } from '../../engine/latency/meter';
import { OnnxruntimeMeter } from '../../engine/latency/onnxruntime';
import { encodeOnnx } from '../../engine/interop/onnx-codec';
import { LayerTable, memoryStore, NetworkLatencies } from '../../engine/latency/table';
import { timingModel } from '../../engine/latency/timing-model';
import { latencyUnits, OVERHEAD_UNIT } from '../../engine/latency/units';
import { candidateKey } from '../../engine/space/key';
import { drawCandidates } from '../../engine/space/draw';
import { buildSearchSpace } from '../../engine/space/space';
import { UserError } from '../../engine/util/errors';
import { Rng } from '../../engine/util/rng';
import { zooTeacher } from '../../engine/zoo';

const FAKE_DEVICE = join(__dirname, 'fixtures', 'fake-device.cjs');
const device = (mode: string, extra = '') => `${JSON.stringify(process.execPath)} ${JSON.stringify(FAKE_DEVICE)} ${mode} {onnx} ${extra}`;
const teacher = zooTeacher('resnet-mini', 'cifar10');
// Batch 8 on 32x32x3: milliseconds of convolution, well above the cost of a call into onnxruntime.
const SETTINGS = { batchSize: 8, threads: 1, warmup: 5, repeats: 30 };

test('summarise: the median, and half the interquartile range as the noise', () => {
  assert.deepEqual(summarise([5, 1, 3, 2, 4]), { ms: 3, noiseMs: 1 });
  assert.deepEqual(summarise([1, 2, 3, 10]), { ms: 2.5, noiseMs: (4.75 - 1.75) / 2 });
});

test('onnxruntime times a network: a positive median and a finite noise, on the settings its label names', async () => {
  await initBackend('cpu');
  const meter = new OnnxruntimeMeter(SETTINGS);
  assert.match(meter.label, /^onnxruntime [\d.]+ cpu, 1 thread, batch 8, CPU time per run$/);
  assert.match(new OnnxruntimeMeter({ ...SETTINGS, threads: 2 }).label, /2 threads, batch 8, wall time per run$/);
  const a = await meter.time(teacher);
  const b = await meter.time(teacher);
  for (const m of [a, b]) assert.ok(Number.isFinite(m.ms) && m.ms > 0 && Number.isFinite(m.noiseMs) && m.noiseMs >= 0, JSON.stringify(m));
});

test('units: conv + batchnorm + relu and sum + relu are one unit each; dropout and flatten are free', () => {
  const units = latencyUnits(teacher);
  // Each unit hands one channel back (chunk), not its whole feature map.
  const kinds = units.map((u) => `${u.spec.layers.map((l) => l.type).join('+')}/${u.spec.layers[0].inputs!.length}`);
  assert.deepEqual(kinds, [
    'conv+batchnorm+relu+chunk/1',
    'conv+batchnorm+relu+chunk/1', 'conv+batchnorm+chunk/1', 'relu+chunk/2',
    'conv+batchnorm+relu+chunk/1', 'conv+batchnorm+chunk/1', 'conv+batchnorm+chunk/1', 'relu+chunk/2',
    'conv+batchnorm+relu+chunk/1', 'conv+batchnorm+chunk/1', 'conv+batchnorm+chunk/1', 'relu+chunk/2',
    'avgpool+chunk/1',
    'linear+chunk/1',
  ]);
  // A unit's key is its configuration: layer names do not matter.
  const renamed = { ...teacher, layers: teacher.layers.map((l) => ({ ...l, id: `x.${l.id}`, ...(l.inputs ? { inputs: l.inputs.map((i) => (i === 'input' ? i : `x.${i}`)) } : {}) })) };
  assert.deepEqual(latencyUnits(renamed).map((u) => u.key), units.map((u) => u.key));
  assert.equal(OVERHEAD_UNIT.spec.layers.length, 1);
});

test('the per-layer table sums its units to the whole network: exact on a meter that counts bytes', async () => {
  // The fake device's latency is the ONNX file's size, so a unit missed or counted twice, or the
  // session overhead taken off the wrong number of times, shows as an error here; how well real
  // timings add up is measured by bench/latency-objective, not asserted in a test.
  await initBackend('cpu');
  const meter = new CommandMeter(device('ok'));
  const before = tf.memory().numTensors;
  const table = new LayerTable(meter, memoryStore());
  const networks = new NetworkLatencies(meter, memoryStore());
  const specs = [teacher, ...drawCandidates(buildSearchSpace(teacher), new Rng(4), 5).map((c) => c.spec)];
  const errors: number[] = [];
  for (const spec of specs) {
    const measured = await networks.measure(spec, candidateKey(spec));
    await table.prepare([spec]);
    errors.push(Math.abs(table.predict(spec).ms - measured.ms) / measured.ms);
  }
  // What is left is the names and value-info entries a unit declares that the whole file shares.
  assert.ok(Math.max(...errors) <= 0.02, `relative errors ${errors.map((e) => `${(100 * e).toFixed(1)}%`).join(', ')}`);
  assert.equal(tf.memory().numTensors, before, 'timing models leave no tensors');
  // A spec predicted again costs no measurement; one the table lacks is refused.
  const size = table.size;
  await table.prepare(specs);
  assert.equal(table.size, size);
  assert.throws(() => new LayerTable(meter, memoryStore()).predict(teacher), /prepare\(\) first/);
});

test('a latency command gets {onnx} and prints milliseconds', async () => {
  await initBackend('cpu');
  const model = await timingModel(teacher);
  const latency = await new CommandMeter(device('ok')).time(teacher);
  assert.deepEqual(latency, { ms: Number((encodeOnnx(model).length / 1e5).toFixed(4)), noiseMs: 0.01 });
  assert.deepEqual(parseLatencyOutput('12.5\n'), { ms: 12.5, noiseMs: 0 });
  assert.throws(() => new CommandMeter('time-it model.onnx'), /must pass the model to time as \{onnx\}/);
  assert.throws(() => new CommandMeter('time-it {spec}'), /unknown placeholder \{spec\}/);
});

test('a latency command that fails or prints garbage is a UserError with its reason', async () => {
  await initBackend('cpu');
  await assert.rejects(new CommandMeter(device('fail')).time(teacher), (err: Error) => err instanceof UserError && /failed \(exit code 3\): adb: device offline/.test(err.message));
  await assert.rejects(new CommandMeter(device('garbage')).time(teacher), (err: Error) => err instanceof UserError && /printed 'latency: fast': expected milliseconds/.test(err.message));
  await assert.rejects(new CommandMeter('/no/such/timer {onnx}').time(teacher), /could not start \/no\/such\/timer/);
  for (const text of ['', '-1', '0', '1 2 3', 'NaN']) assert.throws(() => parseLatencyOutput(text), UserError, text);
});

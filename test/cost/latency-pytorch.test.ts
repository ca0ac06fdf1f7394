// Latency on the PyTorch trainer's device, through a worker that only times: here on the CPU
// (time.perf_counter; the CUDA-event path needs a GPU, which this suite does not have). Skipped,
// saying why, where no Python with torch is found. How repeatable its timings are is a benchmark's
// question (bench/latency-objective), not a test's.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, TestContext } from 'node:test';
import { ArchitectureSpec } from '../../engine/architecture/types';
import { findPython, TorchInfo } from '../../engine/evaluation/pytorch/python';
import { latencyMeter, openLatency } from '../../engine/latency';
import { PytorchMeter } from '../../engine/latency/pytorch';
import { latencyUnits } from '../../engine/latency/units';
import { CandidateEvent, CostsEvent, JournalEvent } from '../../engine/run/journal';
import { DEFAULT_SETTINGS } from '../../engine/run/settings';
import { compress } from '../../engine/search/compress';
import { UserError } from '../../engine/util/errors';
import { zooTeacher } from '../../engine/zoo';
import { TINY_SEARCH } from '../support/tiny-search';

const found = findPython({});
const teacher = zooTeacher('resnet-mini', 'cifar10');
const SETTINGS = { ...DEFAULT_SETTINGS.latency, device: 'pytorch' as const, batchSize: 8, warmup: 3, repeats: 10 };

async function torch(t: TestContext): Promise<TorchInfo | undefined> {
  const probe = await found;
  if (probe.ok) return { ...probe.info, gpus: 0 };
  t.skip(`no Python with torch: ${probe.reason}`);
  return undefined;
}

test('a PyTorch worker times a network and every unit of the per-layer table on the CPU', async (t) => {
  const info = await torch(t);
  if (!info) return;
  const meter = await PytorchMeter.start(info, SETTINGS, true);
  try {
    assert.match(meter.label, /^pytorch [\d.]+\S* cpu, 1 threads?, batch 8, perf_counter$/);
    for (const spec of [teacher, ...latencyUnits(teacher).map((u) => u.spec)]) {
      const latency = await meter.time(spec);
      assert.ok(Number.isFinite(latency.ms) && latency.ms > 0 && Number.isFinite(latency.noiseMs) && latency.noiseMs >= 0, `${spec.name}: ${JSON.stringify(latency)}`);
    }
    const broken = { ...teacher, name: 'broken', layers: [{ id: 'x', type: 'nonsense', inputs: ['input'] }] } as unknown as ArchitectureSpec;
    await assert.rejects(meter.time(broken), (err: Error) => err instanceof UserError && /could not time broken: .*nonsense/.test(err.message));
    const aborted = new AbortController();
    aborted.abort();
    await assert.rejects(meter.time(teacher, aborted.signal));
  } finally {
    await meter.close();
  }
});

test('--latency-device pytorch does not go with --latency-command', async () => {
  await assert.rejects(latencyMeter({ ...SETTINGS, command: 'adb-time {onnx}' }), (err: Error) => err instanceof UserError && /does not go with --latency-device pytorch/.test(err.message));
  await assert.rejects(openLatency(SETTINGS, undefined, { python: '/no/such/python', autocast: true }), (err: Error) => err instanceof UserError && /needs a Python with torch >= 1\.13: \/no\/such\/python was not found/.test(err.message));
});

test('a latency run timed by a PyTorch worker records its meter and every candidate latency', async (t) => {
  if (!(await torch(t))) return;
  const runDir = join(mkdtempSync(join(tmpdir(), 'esnac-latency-pytorch-')), 'run');
  const teacherPath = join(__dirname, '..', '..', 'examples', 'teachers', 'resnet-mini-mnist.arch.yaml');
  await compress({ teacherPath, dataset: 'mnist', runDir, settings: { ...TINY_SEARCH, objective: 'latency', latency: { ...SETTINGS, batchSize: 2 } } });
  const journal = readFileSync(join(runDir, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as JournalEvent);
  const costs = journal.find((e): e is CostsEvent => e.type === 'costs')!;
  assert.match(costs.meter!, /^pytorch .* cpu, .*batch 2, perf_counter$/);
  assert.ok(costs.teacher.latency!.ms > 0);
  const candidates = journal.filter((e): e is CandidateEvent => e.type === 'candidate');
  assert.ok(candidates.length > 0 && candidates.every((c) => c.latency!.ms > 0 && c.predictedLatency!.ms > 0), JSON.stringify(candidates.map((c) => [c.latency, c.reason])));
  assert.match(readFileSync(join(runDir, 'report.md'), 'utf8'), /latency measured with pytorch /);
});

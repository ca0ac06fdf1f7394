// A run's latency source: the meter its settings choose, the per-layer table and the
// whole-network cache, both kept in the run directory's latency/ folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LatencySettings } from '../../protocol';
import { LatencySource } from '../cost/budgets';
import { findPython, TorchInfo } from '../evaluation/pytorch/python';
import { UserError } from '../util/errors';
import { CommandMeter } from './command';
import { LatencyMeter } from './meter';
import { OnnxruntimeMeter } from './onnxruntime';
import { PytorchMeter } from './pytorch';
import { fileStore, LatencyStore, LayerTable, memoryStore, NetworkLatencies } from './table';

export const LATENCY_FOLDER = 'latency';

/** Where the PyTorch meter finds torch: the run's trainer (its interpreter), else the interpreter the settings name. */
export interface TorchSource {
  torch?: TorchInfo;
  /** --python, the esnac.python setting; '' = ESNAC_PYTHON, else the first python3/python with torch. */
  python: string;
  autocast: boolean;
}

export async function latencyMeter(settings: LatencySettings, torch?: TorchSource): Promise<LatencyMeter> {
  if (settings.command.trim() !== '') {
    if (settings.device !== 'onnxruntime') throw new UserError(`--latency-command times on the command's device: it does not go with --latency-device ${settings.device}`);
    return new CommandMeter(settings.command);
  }
  if (settings.device === 'onnxruntime') return new OnnxruntimeMeter(settings);
  let info = torch?.torch;
  if (!info) {
    const found = await findPython({ ...(torch?.python ? { explicit: torch.python } : {}) });
    if (!found.ok) throw new UserError(`--latency-device pytorch needs a Python with torch >= 1.13: ${found.reason}`);
    info = found.info;
  }
  return PytorchMeter.start(info, settings, torch?.autocast ?? true);
}

export interface OpenLatency extends LatencySource {
  table: LayerTable;
  meter: LatencyMeter;
}

/** The latency source of a run directory (`runDir`), or of nothing kept (no directory). Close its meter at the end. */
export async function openLatency(settings: LatencySettings, runDir?: string, torch?: TorchSource): Promise<OpenLatency> {
  const meter = await latencyMeter(settings, torch);
  let store = (_name: string): LatencyStore => memoryStore();
  if (runDir) {
    mkdirSync(join(runDir, LATENCY_FOLDER), { recursive: true });
    store = (name) => fileStore(join(runDir, LATENCY_FOLDER, name));
  }
  const networks = new NetworkLatencies(meter, store('networks.jsonl'));
  const table = new LayerTable(meter, store('layers.jsonl'));
  return { meter, table, predictor: table, measure: (spec, key, signal) => networks.measure(spec, key, signal) };
}

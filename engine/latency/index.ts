// A run's latency source: the meter its settings choose, the per-layer table and the
// whole-network cache, both kept in the run directory's latency/ folder.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LatencySettings } from '../../protocol';
import { LatencySource } from '../cost/budgets';
import { CommandMeter } from './command';
import { LatencyMeter } from './meter';
import { OnnxruntimeMeter } from './onnxruntime';
import { fileStore, LatencyStore, LayerTable, memoryStore, NetworkLatencies } from './table';

export const LATENCY_FOLDER = 'latency';

export function latencyMeter(settings: LatencySettings): LatencyMeter {
  return settings.command.trim() !== '' ? new CommandMeter(settings.command) : new OnnxruntimeMeter(settings);
}

export interface OpenLatency extends LatencySource {
  table: LayerTable;
  meter: LatencyMeter;
}

/** The latency source of a run directory (`runDir`), or of nothing kept (no directory). */
export function openLatency(settings: LatencySettings, runDir?: string): OpenLatency {
  const meter = latencyMeter(settings);
  let store = (_name: string): LatencyStore => memoryStore();
  if (runDir) {
    mkdirSync(join(runDir, LATENCY_FOLDER), { recursive: true });
    store = (name) => fileStore(join(runDir, LATENCY_FOLDER, name));
  }
  const networks = new NetworkLatencies(meter, store('networks.jsonl'));
  const table = new LayerTable(meter, store('layers.jsonl'));
  return { meter, table, predictor: table, measure: (spec, key, signal) => networks.measure(spec, key, signal) };
}

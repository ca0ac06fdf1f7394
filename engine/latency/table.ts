// Latencies by architecture key (whole networks, measured) and by unit configuration (the
// per-layer table, NetAdapt's lookup table cut as nn-Meter cuts kernels), so the acquisition can
// predict the latency of a thousand unevaluated candidates from a few measured pieces. Both are
// append-only files in the run directory: a resumed run predicts with the values the first saw.
import { ArchitectureSpec } from '../architecture/types';
import { Journal } from '../run/journal';
import { LatencyPredictor } from '../cost/budgets';
import { Latency } from '../cost/objective';
import { LatencyMeter } from './meter';
import { latencyUnits, OVERHEAD_UNIT } from './units';

export interface LatencyRecord extends Latency {
  key: string;
}

/** Where measurements are kept: a run's file, or memory (tests, benchmarks). */
export interface LatencyStore {
  read(): LatencyRecord[];
  append(record: LatencyRecord): void;
}

export function memoryStore(): LatencyStore {
  const records: LatencyRecord[] = [];
  return { read: () => [...records], append: (r) => void records.push(r) };
}

export function fileStore(path: string): LatencyStore {
  return new Journal<LatencyRecord>(path);
}

/** Measurements by key, each taken once and kept in the store. */
class Measurements {
  private readonly known: Map<string, Latency>;

  constructor(
    private readonly meter: LatencyMeter,
    private readonly store: LatencyStore,
  ) {
    this.known = new Map(store.read().map(({ key, ms, noiseMs }) => [key, { ms, noiseMs }]));
  }

  get(key: string): Latency | undefined {
    return this.known.get(key);
  }

  async measure(key: string, spec: ArchitectureSpec, signal?: AbortSignal): Promise<Latency> {
    const known = this.known.get(key);
    if (known) return known;
    const latency = await this.meter.time(spec, signal);
    this.store.append({ key, ...latency });
    this.known.set(key, latency);
    return latency;
  }

  get size(): number {
    return this.known.size;
  }
}

/** Whole networks, by architecture key. */
export class NetworkLatencies {
  private readonly measurements: Measurements;

  constructor(meter: LatencyMeter, store: LatencyStore) {
    this.measurements = new Measurements(meter, store);
  }

  measure(spec: ArchitectureSpec, key: string, signal?: AbortSignal): Promise<Latency> {
    return this.measurements.measure(key, spec, signal);
  }
}

/**
 * The per-layer table: a network's latency predicted as the session overhead plus, per unit, the
 * unit's own time less the overhead its measurement included. Noise adds in quadrature.
 */
export class LayerTable implements LatencyPredictor {
  private readonly measurements: Measurements;

  constructor(meter: LatencyMeter, store: LatencyStore) {
    this.measurements = new Measurements(meter, store);
  }

  /** Measures, one at a time in the order given, every unit these specs need and the table lacks. */
  async prepare(specs: ArchitectureSpec[], signal?: AbortSignal): Promise<void> {
    for (const spec of specs) {
      for (const unit of [OVERHEAD_UNIT, ...latencyUnits(spec)]) await this.measurements.measure(unit.key, unit.spec, signal);
    }
  }

  predict(spec: ArchitectureSpec): Latency {
    const overhead = this.lookup(OVERHEAD_UNIT.key);
    let ms = overhead.ms;
    let variance = overhead.noiseMs ** 2;
    for (const unit of latencyUnits(spec)) {
      const { ms: unitMs, noiseMs } = this.lookup(unit.key);
      ms += unitMs - overhead.ms;
      variance += noiseMs ** 2;
    }
    return { ms, noiseMs: Math.sqrt(variance) };
  }

  /** Unit configurations measured so far. */
  get size(): number {
    return this.measurements.size;
  }

  private lookup(key: string): Latency {
    const latency = this.measurements.get(key);
    if (!latency) throw new Error(`the latency table has no entry for ${key}: prepare() first`);
    return latency;
  }
}

// Cross-entropy training in the search's own thread with the run's settings: the teacher
// (teacher.ts) and the fine-tuning of the best candidates (finish.ts).
import { Dataset, LoadOptions, loadDataset } from '../data';
import { loadModel } from '../model/io';
import { disposeWeights } from '../model/weights';
import { SearchSettings } from '../run/settings';
import { ArchitectureSpec } from '../architecture/types';
import { EpochReport } from '../train/loop';
import { FitResult, fitOnLabels } from '../train/supervised';
import { SearchHooks } from './search';

/** The run's dataset: its name and load options (engine/search/dataset.ts runLoadOptions). */
export interface RunData {
  name: string;
  load: LoadOptions;
}

export async function datasetFor(data: RunData): Promise<Dataset> {
  return loadDataset(data.name, data.load);
}

/** One epoch's log line, whoever trained it. */
export function epochLine(e: Pick<EpochReport, 'epoch' | 'loss' | 'accuracy' | 'imagesPerSecond'>, epochs: number): string {
  return `  epoch ${e.epoch}/${epochs}: loss ${e.loss.toFixed(4)}, validation accuracy ${(100 * e.accuracy).toFixed(2)}%, ${e.imagesPerSecond.toFixed(0)} img/s`;
}

/** The run's optimiser settings, as a trainer takes them. */
export function optimiser(settings: SearchSettings): { batchSize: number; learningRate: number; weightDecay: number } {
  return { batchSize: settings.batchSize, learningRate: settings.learningRate, weightDecay: settings.weightDecay };
}

/** Cross-entropy training with the run's optimiser settings; a stop before the end rejects. */
export async function fit(spec: ArchitectureSpec, data: Dataset, epochs: number, seed: number, settings: SearchSettings, hooks: SearchHooks, signal?: AbortSignal, from?: string): Promise<FitResult> {
  const initial = from ? loadModel(from).weights : undefined;
  try {
    const result = await fitOnLabels(spec, data, {
      epochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      weightDecay: settings.weightDecay,
      seed,
      ...(initial ? { initial } : {}),
      ...(signal ? { signal } : {}),
      onEpoch: (e: EpochReport) => hooks.log?.(epochLine(e, epochs)),
    });
    if (result.outcome.stopped) throw signal?.reason ?? new Error('training stopped');
    return result;
  } finally {
    if (initial) disposeWeights(initial);
  }
}

// The run's dataset as every part of the run loads it (the teacher, the workers, fine-tuning,
// the export for external trainers, the final test): one set of options from run.json, so they
// all see the same examples with the same normalisation.
import { Dataset, ImageShape, LoadOptions, Normalisation, loadDataset } from '../data';
import { Preprocessing, RunManifest } from '../run/run-directory';
import { datasetLimits } from '../run/settings';

export function runLoadOptions(manifest: Pick<RunManifest, 'settings'> & Partial<Pick<RunManifest, 'preprocessing'>>, input: ImageShape): LoadOptions {
  const { settings, preprocessing } = manifest;
  return {
    ...datasetLimits(settings),
    seed: settings.seed,
    input,
    normalise: preprocessing?.normalisation ?? settings.normalise,
    augment: preprocessing?.augment ?? settings.augment,
  };
}

export interface ChosenPreprocessing {
  preprocessing: Preprocessing;
  /** The dataset as loaded with it, to check and describe at the start of a run. */
  data: Dataset;
  /** Set when an explicit --normalise overrides what the teacher's weights record. */
  warning?: string;
}

/**
 * Decides a new run's input: an explicit `normalise` setting, else the normalisation recorded with
 * the teacher's weights (`esnac import --normalise`, `esnac train`), else the default; measures
 * `dataset` statistics once so that every later load uses the same numbers.
 */
export async function choosePreprocessing(
  dataset: string,
  settings: RunManifest['settings'],
  explicitNormalise: boolean,
  input: ImageShape,
  teacher?: Normalisation,
): Promise<ChosenPreprocessing> {
  const normalise = explicitNormalise || !teacher ? settings.normalise : teacher;
  const data = await loadDataset(dataset, { ...runLoadOptions({ settings }, input), normalise });
  const { normalisation } = data;
  const differs = explicitNormalise && teacher && teacher.mean.some((m, c) => Math.abs(m - normalisation.mean[c]) > 1e-6 || Math.abs(teacher.std[c] - normalisation.std[c]) > 1e-6);
  return {
    preprocessing: { normalisation, augment: data.augment ? 'crop-flip' : 'none' },
    data,
    ...(differs ? { warning: `the teacher's weights record normalisation ${teacher.rule}; this run uses ${normalisation.rule} as asked, so the teacher may measure worse than it was trained` } : {}),
  };
}

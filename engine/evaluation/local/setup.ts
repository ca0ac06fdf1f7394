// What an evaluator loads once and then reuses for every candidate: backend, dataset, teacher.
import { BackendInfo, BackendName, initBackend, isGpuBackend } from '../../backend';
import { LoadOptions, loadDataset } from '../../data';
import { decodeModel, EncodedModel } from '../../model/io';
import { Network } from '../../model/network';
import { disposeWeights } from '../../model/weights';
import { CandidateTraining, EvaluationContext } from './candidate';

/** Plain data (it is posted to workers): everything an evaluator needs to load its context. */
export interface EvaluatorSetup {
  backend: BackendName | 'auto';
  /** A dataset name as loadDataset takes it (`mnist`, `cifar10:DIR`...). */
  dataset: string;
  /** The run's load options (limits, seed, input size, recorded normalisation). */
  load: LoadOptions;
  /** The teacher with its trained weights (readModel of a folder `esnac train` wrote). */
  teacher: EncodedModel;
  training: CandidateTraining;
}

export interface LoadedContext extends EvaluationContext {
  backendInfo: BackendInfo;
  gpu: boolean;
}

export async function loadContext(setup: EvaluatorSetup): Promise<LoadedContext> {
  const backendInfo = await initBackend(setup.backend);
  const data = await loadDataset(setup.dataset, setup.load);
  const weights = decodeModel(setup.teacher);
  try {
    const teacher = new Network(setup.teacher.spec, weights);
    return { data, teacher, backend: backendInfo.name, training: setup.training, backendInfo, gpu: isGpuBackend(backendInfo.name) };
  } finally {
    disposeWeights(weights);
  }
}

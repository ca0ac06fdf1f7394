// The smallest real search the suites run: a random step and a BO step of two candidates on a
// few hundred embedded-MNIST digits, the teacher trained for one epoch, small kernels.
import { DEFAULT_SETTINGS, SearchSettings } from '../../engine/run/settings';

export const TINY_SEARCH: Partial<SearchSettings> = {
  steps: 2,
  kernels: 2,
  epochs: 1,
  teacherEpochs: 1,
  limitTrain: 256,
  limitValidation: 128,
  acquisitionSamples: 20,
  finetuneTop: 0,
  kernelFit: { ...DEFAULT_SETTINGS.kernelFit, maxSteps: 3, lstmLayers: 1, hidden: 8 },
};

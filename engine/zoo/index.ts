// The teacher zoo: the paper's four CIFAR teachers and two small ones for 28x28x1 data, built
// as specs for any of the supported datasets. Layer ids follow PyTorch's module names
// (`layer1.0.conv1`) so diffs and weight inheritance by id stay stable.
import { CIFAR10, CIFAR100, CIFAR_INPUT } from '../data/cifar';
import { MNIST_INPUT } from '../data/embedded-mnist';
import { DatasetKind } from '../data/names';
import { ARCH_FORMAT, ArchitectureSpec, InputShape, Layer } from '../architecture/types';
import { UserError } from '../util/errors';
import { RESNET18, RESNET34, RESNET_MINI, resnetLayers } from './resnet';
import { SHUFFLENET_1X_G2, shuffleNetLayers } from './shufflenet';
import { VGG19, VGG_MINI, vggInputProblem, vggLayers } from './vgg';

export type ZooName = 'vgg19' | 'resnet18' | 'resnet34' | 'shufflenet-1x-g2' | 'resnet-mini' | 'vgg-mini';
export const ZOO_NAMES: readonly ZooName[] = ['vgg19', 'resnet18', 'resnet34', 'shufflenet-1x-g2', 'resnet-mini', 'vgg-mini'];

/** The named datasets engine/data reads, whose input shape is known without reading them. */
export type ZooDataset = Exclude<DatasetKind, 'folder' | 'npz'>;
export const ZOO_DATASETS: readonly ZooDataset[] = ['cifar10', 'cifar100', 'mnist', 'fashion-mnist'];

export interface DatasetShape {
  title: string;
  input: InputShape;
  classes: number;
}

export const DATASET_SHAPES: Record<ZooDataset, DatasetShape> = {
  cifar10: { title: 'CIFAR-10', input: CIFAR_INPUT, classes: CIFAR10.classes },
  cifar100: { title: 'CIFAR-100', input: CIFAR_INPUT, classes: CIFAR100.classes },
  mnist: { title: 'MNIST', input: MNIST_INPUT, classes: 10 },
  'fashion-mnist': { title: 'Fashion-MNIST', input: MNIST_INPUT, classes: 10 },
};

interface ZooEntry {
  description: string;
  build(input: InputShape, classes: number): Layer[];
  /** Why the teacher cannot take this input, if it cannot. */
  inputProblem?(input: InputShape): string | undefined;
}

const ZOO: Record<ZooName, ZooEntry> = {
  vgg19: {
    description: "VGG-19 with batch norm, the paper's CIFAR teacher (16 conv + 1 linear)",
    build: (input, classes) => vggLayers(VGG19, input, classes),
    inputProblem: (input) => vggInputProblem('vgg19', VGG19, input),
  },
  resnet18: {
    description: "ResNet-18, the paper's CIFAR ResNet (BasicBlocks 2-2-2-2, 64-512 channels)",
    build: (input, classes) => resnetLayers(RESNET18, input, classes),
  },
  resnet34: {
    description: "ResNet-34, the paper's CIFAR ResNet (BasicBlocks 3-4-6-3, 64-512 channels)",
    build: (input, classes) => resnetLayers(RESNET34, input, classes),
  },
  'shufflenet-1x-g2': {
    description: 'ShuffleNet v1 1x, g=2 (200/400/800 channels, 4/8/4 units), with the paper\'s 1x1 convs before the shortcut avgpools',
    build: (input, classes) => shuffleNetLayers(SHUFFLENET_1X_G2, input, classes),
  },
  'resnet-mini': {
    description: 'small ResNet for demos and tests (3 BasicBlocks, 16/32/64 channels)',
    build: (input, classes) => resnetLayers(RESNET_MINI, input, classes),
  },
  'vgg-mini': {
    description: 'small VGG for demos and tests (6 conv with BN, 16/32/64 channels, 3 max-pools)',
    build: (input, classes) => vggLayers(VGG_MINI, input, classes),
    inputProblem: (input) => vggInputProblem('vgg-mini', VGG_MINI, input),
  },
};

export function isZooName(name: string): name is ZooName {
  return (ZOO_NAMES as readonly string[]).includes(name);
}

export function isZooDataset(name: string): name is ZooDataset {
  return (ZOO_DATASETS as readonly string[]).includes(name);
}

export function zooDescription(name: ZooName): string {
  return ZOO[name].description;
}

/** The datasets whose images this teacher can take. */
export function zooDatasets(name: ZooName): ZooDataset[] {
  return ZOO_DATASETS.filter((d) => ZOO[name].inputProblem?.(DATASET_SHAPES[d].input) === undefined);
}

/** The teacher `name` shaped for `dataset`. Throws UserError for unknown names or an input it cannot take. */
export function zooTeacher(name: ZooName, dataset: ZooDataset): ArchitectureSpec {
  if (!isZooName(name)) throw new UserError(`unknown teacher '${name}': the zoo has ${ZOO_NAMES.join(', ')}`);
  if (!isZooDataset(dataset)) throw new UserError(`unknown dataset '${dataset}': choose one of ${ZOO_DATASETS.join(', ')}`);
  const entry = ZOO[name];
  const { title, input, classes } = DATASET_SHAPES[dataset];
  const problem = entry.inputProblem?.(input);
  if (problem !== undefined) {
    const others = ZOO_NAMES.filter((n) => zooDatasets(n).includes(dataset));
    throw new UserError(`${problem}; for ${dataset} use ${others.join(', ')}`);
  }
  return {
    format: ARCH_FORMAT,
    name: `${name}-${dataset}`,
    description: `${entry.description}; for ${title}`,
    input: { ...input },
    classes,
    layers: entry.build(input, classes),
  };
}

// ShuffleNet v1, 1x width, g = 2, as the paper compresses it: the CIFAR variant with a 1x1 stem
// (24 channels), stages of 200/400/800 channels with 4/8/4 units, and (paper appendix 6.4) a
// 1x1 conv inserted before each shortcut average pool.
//
// A unit: grouped 1x1 conv (width out/4) - BN - ReLU - channel shuffle - depthwise 3x3 conv - BN
// (no ReLU after the depthwise conv, as in the ShuffleNet paper) - grouped 1x1 conv - BN, then
//   stride 1: ReLU of the sum with the unit input;
//   stride 2: ReLU of the channel concat with the shortcut 1x1 conv -> avgpool(3, 2, 1) of the
//             unit input; the main branch makes only (stage width - input width) channels.
// These choices are what reproduce the authors' counts: 159 layers, 174 edges and 0.99M params
// on CIFAR-10 (kept ReLUs after the depthwise convs would give 175 layers; an ungrouped inserted
// conv would give 1.09M params). The table's 114 removable layers come out too, and its 2,028
// skip candidates when a concat counts as a target with its first input's shape (2,020 when
// concats are never targets); the main branch before the shortcut in the file is what gives 2,028.
import { InputShape, Layer } from '../architecture/types';
import { after3x3, averagedHead, batchnorm, conv, plain, pool, relu, stem } from './layers';

export interface ShuffleNetConfig {
  stem: number;
  planes: readonly number[];
  blocks: readonly number[];
  groups: number;
}

export const SHUFFLENET_1X_G2: ShuffleNetConfig = { stem: 24, planes: [200, 400, 800], blocks: [4, 8, 4], groups: 2 };

interface UnitShape {
  inChannels: number;
  /** Channels the main branch produces. */
  out: number;
  stride: number;
  /** Groups of the first 1x1 conv and the shuffle: 1 right after the narrow stem, as in ShuffleNet. */
  firstGroups: number;
  groups: number;
}

function unitLayers(id: string, from: string, u: UnitShape): Layer[] {
  const mid = u.out / 4;
  const noBias = { bias: false } as const;
  const layers: Layer[] = [
    conv(`${id}.conv1`, u.inChannels, mid, 1, { groups: u.firstGroups, ...noBias }),
    batchnorm(`${id}.bn1`, mid),
    relu(`${id}.relu1`),
    { id: `${id}.shuffle`, type: 'shuffle', groups: u.firstGroups },
    conv(`${id}.conv2`, mid, mid, 3, { stride: u.stride, padding: 1, groups: mid, ...noBias }),
    batchnorm(`${id}.bn2`, mid),
    conv(`${id}.conv3`, mid, u.out, 1, { groups: u.groups, ...noBias }),
    batchnorm(`${id}.bn3`, u.out),
  ];
  if (u.stride === 1) {
    layers.push(relu(`${id}.relu`, [`${id}.bn3`, from]));
    return layers;
  }
  layers.push(
    conv(`${id}.shortcut.conv`, u.inChannels, u.inChannels, 1, { groups: u.firstGroups, ...noBias, inputs: [from] }),
    pool(`${id}.shortcut.pool`, 'avgpool', 3, { stride: u.stride, padding: 1 }),
    plain(`${id}.concat`, 'concat', [`${id}.bn3`, `${id}.shortcut.pool`]),
    relu(`${id}.relu`),
  );
  return layers;
}

export function shuffleNetLayers(config: ShuffleNetConfig, input: InputShape, classes: number): Layer[] {
  const layers = stem(input.channels, config.stem, 1);
  let channels = config.stem;
  let size = input.height;
  config.planes.forEach((planes, s) => {
    for (let b = 0; b < config.blocks[s]; b++) {
      const stride = b === 0 ? 2 : 1;
      const unit: UnitShape = {
        inChannels: channels,
        out: stride === 2 ? planes - channels : planes,
        stride,
        firstGroups: channels === config.stem ? 1 : config.groups,
        groups: config.groups,
      };
      layers.push(...unitLayers(`layer${s + 1}.${b}`, layers[layers.length - 1].id, unit));
      channels = planes;
      size = after3x3(size, stride);
    }
  });
  return [...layers, ...averagedHead(size, channels, classes)];
}

"""The run's dataset as the engine exports it (engine/evaluation/inputs.ts, RUN/dataset/): the one
place that knows that format. Each split's files are memory-mapped, so every worker of a machine
shares one copy in the page cache. Images are NHWC as the engine holds them: v1 float32 already
normalised; v2 uint8 (or float32) pixels that `normalise` turns into the network's input,
(pixel * scale - mean[c]) / std[c], per batch.
"""
import json
import os

import torch

from .files import FormatError, read_format, tensor_bytes, write_whole

DATASET_FORMAT = 'esnac.dataset/v2'
FORMATS = ('esnac.dataset/v1', DATASET_FORMAT)
DTYPES = {'uint8': torch.uint8, 'float32': torch.float32}
DATASET_FILE = 'dataset.json'


class DatasetError(FormatError):
    """A dataset folder that is not the engine's export."""


class Split:
    def __init__(self, images, labels, gain, shift):
        self.images = images  # [N, H, W, C] uint8 or float32 pixels
        self.labels = labels  # [N] int64
        self.count = labels.shape[0]
        self.gain, self.shift = gain, shift  # per channel: input = pixel * gain - shift

    def normalise(self, pixels):
        """A batch of this split's pixels [B, H, W, C] as the network's float32 input."""
        return pixels.float() * self.gain.to(pixels.device) - self.shift.to(pixels.device)


class Dataset:
    def __init__(self, folder):
        manifest = read_format(os.path.join(folder, DATASET_FILE), *FORMATS)
        self.normalisation = manifest.get('normalisation') if manifest['format'] == DATASET_FORMAT else None
        self.name = manifest['name']
        shape = manifest['input']
        self.input = (shape['channels'], shape['height'], shape['width'])
        self.classes = manifest['classes']
        self.augment = bool(manifest.get('augment'))
        self.train = self._split(folder, manifest['train'])
        self.validation = self._split(folder, manifest['validation'])

    def _split(self, folder, info):
        c, h, w = self.input
        n = info['count']
        images = _mapped(os.path.join(folder, info['images']), n * h * w * c, DTYPES[info.get('dtype', 'float32')]).view(n, h, w, c)
        labels = _mapped(os.path.join(folder, info['labels']), n, torch.int32).long()
        scale = info.get('scale', 1.0)
        mean = torch.tensor(self.normalisation['mean'] if self.normalisation else [0.0] * c)
        std = torch.tensor(self.normalisation['std'] if self.normalisation else [1.0] * c)
        return Split(images, labels, scale / std, mean / std)


def _mapped(path, count, dtype):
    expected = count * torch.tensor([], dtype=dtype).element_size()
    size = os.path.getsize(path) if os.path.exists(path) else -1
    if size != expected:
        raise DatasetError(f'{path}: {"missing" if size < 0 else f"{size} bytes"}, the manifest describes {expected}')
    if count == 0:
        return torch.zeros(0, dtype=dtype)
    return torch.from_file(path, shared=False, size=count, dtype=dtype)


def write_dataset(folder, name, splits, classes, augment=False):
    """Writes a dataset folder in the engine's export format, for tests and benchmarks that make
    their own data: `splits` maps train and validation to (images [N, H, W, C] float32, labels [N]),
    already normalised."""
    os.makedirs(folder, exist_ok=True)
    _, h, w, c = splits['train'][0].shape
    manifest = {'format': DATASET_FORMAT, 'name': name, 'input': {'channels': c, 'height': h, 'width': w}, 'classes': classes, 'augment': augment,
                'normalisation': {'mean': [0.0] * c, 'std': [1.0] * c}}
    for split, (images, labels) in splits.items():
        files = {'images': f'{split}-images.f32', 'dtype': 'float32', 'scale': 1.0, 'labels': f'{split}-labels.i32'}
        write_whole(os.path.join(folder, files['images']), tensor_bytes(images.float()))
        write_whole(os.path.join(folder, files['labels']), tensor_bytes(labels.int()))
        manifest[split] = {'count': int(labels.shape[0]), **files}
    write_whole(os.path.join(folder, DATASET_FILE), (json.dumps(manifest, indent=2) + '\n').encode('utf-8'))
    return folder

"""The run's dataset as the engine exports it (engine/evaluation/inputs.ts, RUN/dataset/): the one
place that knows that format. Each split's files are memory-mapped, so every worker of a machine
shares one copy in the page cache. Images are NHWC, already normalised and limited as the engine
has them.
"""
import json
import os

import torch

from .files import FormatError, read_format, tensor_bytes, write_whole

DATASET_FORMAT = 'esnac.dataset/v1'
DATASET_FILE = 'dataset.json'


class DatasetError(FormatError):
    """A dataset folder that is not the engine's export."""


class Split:
    def __init__(self, images, labels):
        self.images = images  # [N, H, W, C] float32
        self.labels = labels  # [N] int64
        self.count = labels.shape[0]


class Dataset:
    def __init__(self, folder):
        manifest = read_format(os.path.join(folder, DATASET_FILE), DATASET_FORMAT)
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
        images = _mapped(os.path.join(folder, info['images']), n * h * w * c, torch.float32).view(n, h, w, c)
        labels = _mapped(os.path.join(folder, info['labels']), n, torch.int32).long()
        return Split(images, labels)


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
    their own data: `splits` maps train and validation to (images [N, H, W, C] float32, labels [N])."""
    os.makedirs(folder, exist_ok=True)
    _, h, w, c = splits['train'][0].shape
    manifest = {'format': DATASET_FORMAT, 'name': name, 'input': {'channels': c, 'height': h, 'width': w}, 'classes': classes, 'augment': augment}
    for split, (images, labels) in splits.items():
        files = {'images': f'{split}-images.f32', 'labels': f'{split}-labels.i32'}
        write_whole(os.path.join(folder, files['images']), tensor_bytes(images.float()))
        write_whole(os.path.join(folder, files['labels']), tensor_bytes(labels.int()))
        manifest[split] = {'count': int(labels.shape[0]), **files}
    write_whole(os.path.join(folder, DATASET_FILE), (json.dumps(manifest, indent=2) + '\n').encode('utf-8'))
    return folder

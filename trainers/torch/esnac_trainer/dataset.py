"""The run's dataset as the engine exports it (engine/evaluation/inputs.ts, RUN/dataset/): the one
place that knows that format. Each split's files are memory-mapped, so every worker of a machine
shares one copy in the page cache. Images are NHWC, already normalised and limited as the engine
has them.
"""
import os

import torch

from .files import FormatError, read_format

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

import os
import sys

import pytest
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from esnac_trainer import dataset  # noqa: E402
from esnac_trainer.network import SpecNetwork  # noqa: E402
from esnac_trainer.weights import state, write_model  # noqa: E402

TINY = {
    'format': 'esnac.architecture/v1', 'name': 'tiny', 'input': {'channels': 1, 'height': 6, 'width': 6}, 'classes': 3,
    'layers': [
        {'id': 'c1', 'type': 'conv', 'out': 4, 'kernel': 3, 'padding': 1},
        {'id': 'bn', 'type': 'batchnorm'},
        {'id': 'r', 'type': 'relu'},
        {'id': 'gap', 'type': 'globalavgpool'},
        {'id': 'flat', 'type': 'flatten'},
        {'id': 'fc', 'type': 'linear', 'out': 3},
    ],
}


def spec_with(layers, input_shape=(4, 8, 8), classes=None, name='test'):
    c, h, w = input_shape
    return {'format': 'esnac.architecture/v1', 'name': name, 'input': {'channels': c, 'height': h, 'width': w}, 'classes': classes or 1, 'layers': layers}


def write_dataset(folder, train=64, validation=32, shape=(1, 6, 6), classes=3, augment=False, seed=0):
    """A dataset folder in the engine's export format whose labels a small net can learn."""
    g = torch.Generator().manual_seed(seed)
    c, h, w = shape
    splits = {}
    for split, count in (('train', train), ('validation', validation)):
        labels = torch.randint(0, classes, (count,), generator=g, dtype=torch.int32)
        splits[split] = (torch.randn(count, h, w, c, generator=g) * 0.3 + labels.float()[:, None, None, None], labels)
    return dataset.write_dataset(folder, 'synthetic', splits, classes, augment)


def write_weights(folder, spec, seed=0):
    torch.manual_seed(seed)
    net = SpecNetwork(spec)
    write_model(folder, spec, state(net))
    return folder


@pytest.fixture
def run_folder(tmp_path):
    os.makedirs(tmp_path / 'dataset')
    data = write_dataset(str(tmp_path / 'dataset'))
    teacher = write_weights(str(tmp_path / 'teacher'), TINY, seed=1)
    initial = write_weights(str(tmp_path / 'initial'), TINY, seed=2)
    return {'dataset': data, 'teacher': teacher, 'initial': initial, 'root': tmp_path}

"""Validation accuracy of a module written by `esnac export --to pytorch --weights`, on a run's
exported dataset: exported_accuracy.py MODULE.py DATASET_DIR -> prints the accuracy."""
import importlib.util
import sys

import torch

from esnac_trainer.dataset import Dataset

loader = importlib.util.spec_from_file_location('exported', sys.argv[1])
module = importlib.util.module_from_spec(loader)
loader.loader.exec_module(module)
net = module.build().eval()
split = Dataset(sys.argv[2]).validation
with torch.no_grad():
    predicted = net(split.normalise(split.images).permute(0, 3, 1, 2).contiguous()).argmax(1)
print((predicted == split.labels).float().mean().item())

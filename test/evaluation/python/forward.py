"""Logits of esnac weights folders built by esnac_trainer, for the equivalence tests.

    forward.py JOBS.json   JOBS: [{"model": DIR, "images": FILE, "count": N, "out": FILE, "training": bool}]

`images` holds N NHWC float32 images (the engine's layout), `out` receives [N, classes] float32.
In training mode batchnorm uses the batch's statistics (dropout must be 0 there).
"""
import json
import sys

import torch

from esnac_trainer.files import tensor_bytes
from esnac_trainer.weights import load_network

torch.set_num_threads(1)
for job in json.load(open(sys.argv[1])):
    net = load_network(job['model'])
    inp = net.spec['input']
    shape = (job['count'], inp['height'], inp['width'], inp['channels'])
    images = torch.from_file(job['images'], size=job['count'] * inp['height'] * inp['width'] * inp['channels'], dtype=torch.float32).view(shape)
    net.train(job['training'])
    with torch.no_grad():
        logits = net(images.permute(0, 3, 1, 2))
    with open(job['out'], 'wb') as f:
        f.write(tensor_bytes(logits))

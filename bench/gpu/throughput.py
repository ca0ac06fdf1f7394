"""img/s of a candidate in the PyTorch worker (driven through its protocol, as the engine drives
it) against a bare PyTorch loop on the same net, with and without autocast, on one GPU.

    throughput.py SPEC.json MODULE.py SECONDS BATCH   (trainers/torch on PYTHONPATH) -> JSON rows on stdout

SPEC.json is the net (esnac zoo ... -o x.json), MODULE.py its `esnac export --to pytorch` module.
"""
import json
import os
import subprocess
import sys
import tempfile

import torch

from esnac_trainer.dataset import write_dataset
from esnac_trainer.network import SpecNetwork
from esnac_trainer.weights import state, write_model

HERE = os.path.dirname(os.path.abspath(__file__))


def bare(module, batch, seconds, autocast):
    out = subprocess.run([sys.executable, os.path.join(HERE, '..', 'pytorch', 'bare_loop.py'), module, str(batch), str(seconds), '0', 'cuda', 'true' if autocast else 'false'],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])['imagesPerSecond']


def worker(spec, batch, seconds, autocast, rate_guess, folder):
    """The worker's second-epoch img/s on a synthetic dataset sized to `seconds` at `rate_guess`."""
    c, h, w = spec['input']['channels'], spec['input']['height'], spec['input']['width']
    count = max(4 * batch, int(seconds * rate_guess) // batch * batch)
    data = write_dataset(os.path.join(folder, f'data-{autocast}'), 'synthetic', {
        'train': (torch.randn(count, h, w, c), torch.randint(0, spec['classes'], (count,))),
        'validation': (torch.randn(batch, h, w, c), torch.randint(0, spec['classes'], (batch,))),
    }, spec['classes'])
    initial = os.path.join(folder, 'initial')
    write_model(initial, spec, state(SpecNetwork(spec)))
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(p for p in (os.path.join(HERE, '..', '..', 'trainers', 'torch'), os.environ.get('PYTHONPATH')) if p)}
    process = subprocess.Popen([sys.executable, '-m', 'esnac_trainer.worker'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    send = lambda m: (process.stdin.write(json.dumps(m) + '\n'), process.stdin.flush())  # noqa: E731
    try:
        send({'type': 'hello', 'version': 2, 'dataset': data, 'device': 'cuda', 'threads': 0, 'autocast': autocast})
        ready = json.loads(process.stdout.readline())
        assert ready['type'] == 'ready', ready
        send({'type': 'train', 'id': 1, 'spec': spec, 'initial': initial, 'objective': 'cross-entropy', 'distillation': {'kind': 'mse'},
              'epochs': 2, 'batchSize': batch, 'learningRate': 1e-3, 'weightDecay': 5e-4, 'seed': 1})
        while True:
            message = json.loads(process.stdout.readline())
            if message['type'] == 'result':
                assert message['status'] == 'ok', message
                return message['epochs'][1]['imagesPerSecond'], ready['detail']
    finally:
        process.stdin.close()
        process.wait(timeout=30)


def main():
    spec_file, module, seconds, batch = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
    with open(spec_file) as f:
        spec = json.load(f)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for autocast in (True, False):
            loop = bare(module, batch, seconds, autocast)
            rate, detail = worker(spec, batch, seconds, autocast, loop, folder)
            rows.append({'net': spec['name'], 'batch': batch, 'autocast': autocast, 'worker': detail, 'workerImagesPerSecond': rate, 'bareLoopImagesPerSecond': loop, 'workerOverBareLoop': rate / loop})
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(json.dumps({'gpu': torch.cuda.get_device_name(0), 'torch': torch.__version__, 'rows': rows}, indent=2))


if __name__ == '__main__':
    main()

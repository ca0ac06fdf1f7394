import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Trains a net whose step frees and allocates several MB of activations, in a fresh process (the
# allocator setting is process-wide), and prints the minor page faults of its last 10 steps.
STEPS = '''
import resource, sys, torch, torch.nn.functional as F
from esnac_trainer.network import SpecNetwork
from esnac_trainer.training import Device
if sys.argv[1] == 'device':
    Device('cpu', threads=1)
torch.manual_seed(0)
layers = [{'id': 'c1', 'type': 'conv', 'out': 32, 'kernel': 3, 'padding': 1}, {'id': 'bn', 'type': 'batchnorm'}, {'id': 'r', 'type': 'relu'},
          {'id': 'c2', 'type': 'conv', 'out': 32, 'kernel': 3, 'padding': 1}, {'id': 'gap', 'type': 'globalavgpool'}, {'id': 'flat', 'type': 'flatten'},
          {'id': 'fc', 'type': 'linear', 'out': 10}]
net = SpecNetwork({'format': 'esnac.architecture/v1', 'name': 'faults', 'input': {'channels': 1, 'height': 28, 'width': 28}, 'classes': 10, 'layers': layers})
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
def step():
    loss = F.cross_entropy(net(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
for _ in range(10):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    step()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
'''


def faults(mode):
    done = subprocess.run([sys.executable, '-c', STEPS, mode], cwd=ROOT, env={**os.environ, 'PYTHONPATH': ROOT, 'OMP_NUM_THREADS': '1'}, capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason="glibc's malloc settings")
def test_a_trainers_steps_reuse_the_memory_of_the_last_step():
    # Without the setting these ten steps fault in 40,000-60,000 pages here (a step's activations,
    # 6 MB each, mapped anew); kept, none or one activation's 1,568 now and then as the heap grows.
    assert faults('device') < 5000

"""A bare PyTorch training loop, the yardstick of the PyTorch worker's throughput: the module
`esnac export --to pytorch` writes for the same net, a few random batches already in memory (on
the device), Adam with weight decay and cross-entropy, nothing else; seeded, warmed up before
anything is timed.

    bare_loop.py MODULE.py BATCH THREADS DEVICE AUTOCAST ALLOCATOR

ALLOCATOR: `worker` keeps the C heap's freed blocks for the next step as the worker does
(esnac_trainer.allocator, trainers/torch on PYTHONPATH); `default` leaves malloc as a plain
script has it. Prints {"ready": true} once warm, then for each line {"seconds": S, "minSteps": K}
on stdin trains at least S seconds and K steps and prints {"imagesPerSecond", "steps", "seconds"};
ends at the end of its input. The bench interleaves these windows with the worker's epochs.
"""
import importlib.util
import json
import sys
import time

import torch
import torch.nn.functional as F

BATCHES = 8
# Warm-up: setup (oneDNN or cuDNN plans) and the heap settling take a few steps.
WARM_STEPS, WARM_SECONDS, WARM_MAX_STEPS = 3, 1.0, 10

path, batch, threads, device, autocast, allocator = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == 'true', sys.argv[6]
if allocator == 'worker':
    from esnac_trainer.allocator import keep_freed_memory
    keep_freed_memory()
if threads > 0:
    torch.set_num_threads(threads)
torch.manual_seed(0)
loader = importlib.util.spec_from_file_location('bench_module', path)
module = importlib.util.module_from_spec(loader)
loader.loader.exec_module(module)
device = torch.device(device)
cuda = device.type == 'cuda'
net = module.build().to(device)
if cuda:
    torch.backends.cudnn.benchmark = True
    net = net.to(memory_format=torch.channels_last)
amp = torch.float16 if cuda and not torch.cuda.is_bf16_supported() else torch.bfloat16
scaler = torch.cuda.amp.GradScaler() if cuda and autocast and amp == torch.float16 else None
c, h, w = net.input_shape
batches = []
for _ in range(BATCHES):
    x = torch.randn(batch, c, h, w, device=device)
    batches.append((x.contiguous(memory_format=torch.channels_last) if cuda else x, torch.randint(0, net.classes, (batch,), device=device)))
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=5e-4)
net.train()


def step(i):
    x, y = batches[i % BATCHES]
    with torch.autocast(device.type, dtype=amp, enabled=cuda and autocast):
        loss = F.cross_entropy(net(x).float(), y)
    optimizer.zero_grad(set_to_none=True)
    if scaler:
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()


def sync():
    if cuda:
        torch.cuda.synchronize()


steps, started = 0, time.perf_counter()
while steps < WARM_STEPS or (steps < WARM_MAX_STEPS and time.perf_counter() - started < WARM_SECONDS):
    step(steps)
    steps += 1
sync()
print(json.dumps({'ready': True}), flush=True)
for line in sys.stdin:
    window = json.loads(line)
    count, started = 0, time.perf_counter()
    while count < window['minSteps'] or time.perf_counter() - started < window['seconds']:
        step(steps + count)
        count += 1
        if cuda and count % 20 == 0:
            sync()
    sync()
    seconds = time.perf_counter() - started
    steps += count
    print(json.dumps({'imagesPerSecond': count * batch / seconds, 'steps': count, 'seconds': seconds}), flush=True)

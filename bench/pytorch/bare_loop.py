"""A bare PyTorch training loop, the yardstick of the PyTorch worker's throughput: the module
`esnac export --to pytorch` writes for the same net, random images already in memory (on the
device), Adam with weight decay and cross-entropy, nothing else.

    bare_loop.py MODULE.py BATCH SECONDS THREADS DEVICE AUTOCAST -> {"imagesPerSecond": ...}
"""
import importlib.util
import json
import sys
import time

import torch
import torch.nn.functional as F

path, batch, seconds, threads, device, autocast = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6] == 'true'
if threads > 0:
    torch.set_num_threads(threads)
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
x = torch.randn(batch, c, h, w, device=device)
if cuda:
    x = x.contiguous(memory_format=torch.channels_last)
y = torch.randint(0, net.classes, (batch,), device=device)
optimizer = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=5e-4)
net.train()


def step():
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


for _ in range(3):
    step()
if cuda:
    torch.cuda.synchronize()
steps, started = 0, time.perf_counter()
while steps < 3 or time.perf_counter() - started < seconds:
    step()
    steps += 1
    if cuda and steps % 20 == 0:
        torch.cuda.synchronize()
if cuda:
    torch.cuda.synchronize()
print(json.dumps({'imagesPerSecond': steps * batch / (time.perf_counter() - started)}))

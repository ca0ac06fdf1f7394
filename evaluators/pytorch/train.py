#!/usr/bin/env python3
"""esnac's reference trainer for the `command` and `slurm` evaluators, in PyTorch.

Trains one candidate as the engine does: starting from its initial weights (inherited from the
teacher), distillation from the teacher's logits (MSE between logits, or KL at a temperature),
Adam (lr 1e-3, L2 weight decay 5e-4 as PyTorch's Adam applies it), batches of 128, E epochs; the
candidate's A(x) is its best validation accuracy. Student and teacher are built by
`esnac export SPEC --to pytorch --weights DIR`; the examples are the run's dataset files (the
{data} placeholder: NHWC images as the engine holds them, uint8 for image files, limited as the
engine would, normalised per batch here with the numbers dataset.json records).

Writes OUT/result.json: {"accuracy": best validation accuracy in [0, 1], "backend": "pytorch ...",
"epochs": [...], "teacherAccuracy": ...} (no "params": the engine counts them from the spec, as
for every evaluator) and OUT/student.pt, the best epoch's state dict.

    esnac compress teacher.arch.yaml --dataset mnist --evaluator command --evaluator-command \\
      "/usr/bin/python3 evaluators/pytorch/train.py --spec {spec} --init {init} --teacher {teacher} \\
       --teacher-weights {teacherWeights} --data {data} --epochs {epochs} --batch-size {batchSize} \\
       --lr {learningRate} --weight-decay {weightDecay} --distillation {distillation} \\
       --temperature {temperature} --seed {seed} --esnac {esnac} --out {out}"
"""
import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
import zlib

import torch
import torch.nn.functional as F


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--spec', required=True, help="the candidate's spec file")
    p.add_argument('--init', required=True, help="the candidate's initial weights folder (esnac format)")
    p.add_argument('--teacher', required=True, help="the teacher's spec file")
    p.add_argument('--teacher-weights', required=True, help="the teacher's weights folder (esnac format)")
    p.add_argument('--data', required=True, help='the run\'s dataset folder (dataset.json, .u8/.f32 images and .i32 labels)')
    p.add_argument('--out', required=True, help='where result.json and student.pt go')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--weight-decay', type=float, default=5e-4)
    p.add_argument('--distillation', choices=['mse', 'kl'], default='mse')
    p.add_argument('--temperature', type=float, default=4.0)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--esnac', default='esnac', help='the esnac command (the {esnac} placeholder: bin/esnac.js)')
    p.add_argument('--device', default='auto', help='auto (cuda when available), cpu, cuda, cuda:1...')
    p.add_argument('--threads', type=int, default=0, help='CPU threads (default: $SLURM_CPUS_PER_TASK, else torch\'s)')
    return p.parse_args(argv)


def export_module(esnac, spec, weights, out_file):
    """Writes `spec` as a PyTorch module with `weights` (esnac export) and imports it."""
    command = [esnac, 'export', spec, '--to', 'pytorch', '-o', out_file, '--weights', weights]
    if esnac.endswith('.js'):
        command = ['node'] + command
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f'{" ".join(command)} failed ({done.returncode}): {done.stderr.strip()}')
    name = 'esnac_' + os.path.splitext(os.path.basename(out_file))[0]
    loader = importlib.util.spec_from_file_location(name, out_file)
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    return module.build()


DATASET_FORMAT = 'esnac.dataset/v2'
DTYPES = {'uint8': torch.uint8, 'float32': torch.float32}


class Split:
    """A split as stored (NCHW views of the NHWC files, uint8 or float32), normalised per batch."""

    def __init__(self, folder, manifest, split):
        info = manifest[split]
        shape = manifest['input']
        c, h, w = shape['channels'], shape['height'], shape['width']
        images = torch.from_file(os.path.join(folder, info['images']), size=info['count'] * c * h * w, dtype=DTYPES[info['dtype']])
        self.images = images.view(info['count'], h, w, c).permute(0, 3, 1, 2)
        self.labels = torch.from_file(os.path.join(folder, info['labels']), size=info['count'], dtype=torch.int32).long()
        norm = manifest['normalisation']
        std = torch.tensor(norm['std'], dtype=torch.float32).view(1, c, 1, 1)
        # (pixel * scale - mean) / std as one multiply-add per value.
        self.gain = info['scale'] / std
        self.shift = torch.tensor(norm['mean'], dtype=torch.float32).view(1, c, 1, 1) / std

    def __len__(self):
        return len(self.labels)

    def batch(self, index, device):
        """The examples at `index` (a slice or an index tensor), normalised, on `device`."""
        x = self.images[index].to(device, torch.float32)
        return x * self.gain.to(device) - self.shift.to(device)


def read_manifest(folder):
    with open(os.path.join(folder, 'dataset.json')) as f:
        manifest = json.load(f)
    if manifest.get('format') != DATASET_FORMAT:
        raise RuntimeError(f"{folder}/dataset.json: format {manifest.get('format')!r}, expected {DATASET_FORMAT}")
    return manifest


def augment(x, generator):
    """Random crop from the image padded by 4 (zeros after normalisation), horizontal flip p=0.5."""
    n, _, h, w = x.shape
    padded = F.pad(x, (4, 4, 4, 4))
    dy = torch.randint(0, 9, (n,), generator=generator)
    dx = torch.randint(0, 9, (n,), generator=generator)
    flip = torch.rand(n, generator=generator) < 0.5
    out = torch.stack([padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    out[flip] = out[flip].flip(3)
    return out


def distillation_loss(kind, temperature, student, teacher):
    if kind == 'mse':
        return F.mse_loss(student, teacher)
    t = temperature
    return F.kl_div(F.log_softmax(student / t, 1), F.softmax(teacher / t, 1), reduction='batchmean') * t * t


@torch.no_grad()
def accuracy(model, split, device, batch=1000):
    model.eval()
    correct = 0
    for i in range(0, len(split), batch):
        logits = model(split.batch(slice(i, i + batch), device))
        correct += (logits.argmax(1).cpu() == split.labels[i:i + batch]).sum().item()
    return correct / len(split)


def write_json(path, value):
    partial = path + '.partial'
    with open(partial, 'w') as f:
        json.dump(value, f, indent=2)
        f.write('\n')
    os.replace(partial, path)


def main(argv):
    args = parse_args(argv)
    started = time.time()
    threads = args.threads or int(os.environ.get('SLURM_CPUS_PER_TASK', '0'))
    if threads > 0:
        torch.set_num_threads(threads)
    device = torch.device('cuda' if args.device == 'auto' and torch.cuda.is_available() else 'cpu' if args.device == 'auto' else args.device)
    name = os.path.basename(args.spec).split('.arch.')[0]
    torch.manual_seed(zlib.crc32(f'{args.seed}/{name}'.encode()))
    generator = torch.Generator().manual_seed(zlib.crc32(f'{args.seed}/{name}/batches'.encode()))

    manifest = read_manifest(args.data)
    train = Split(args.data, manifest, 'train')
    validation = Split(args.data, manifest, 'validation')

    work = os.path.join(args.out, 'pytorch')
    os.makedirs(work, exist_ok=True)
    student = export_module(args.esnac, args.spec, args.init, os.path.join(work, 'student.py')).to(device)
    teacher = export_module(args.esnac, args.teacher, args.teacher_weights, os.path.join(work, 'teacher.py')).to(device)
    teacher.eval()
    for p in teacher.parameters():
        p.requires_grad_(False)

    # A check that teacher and data arrived as the engine has them: its accuracy here is the run's.
    teacher_accuracy = accuracy(teacher, validation, device)
    optimizer = torch.optim.Adam(student.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    best, best_epoch, epochs = -1.0, 0, []
    for epoch in range(1, args.epochs + 1):
        student.train()
        order = torch.randperm(len(train), generator=generator)
        loss_sum, steps = 0.0, 0
        for i in range(0, len(order), args.batch_size):
            x = train.batch(order[i:i + args.batch_size], 'cpu')
            if manifest.get('augment'):
                x = augment(x, generator)
            x = x.to(device)
            with torch.no_grad():
                target = teacher(x)
            loss = distillation_loss(args.distillation, args.temperature, student(x), target)
            if not torch.isfinite(loss):
                raise RuntimeError(f'the loss diverged (NaN or infinite) in epoch {epoch}')
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
            steps += 1
        acc = accuracy(student, validation, device)
        epochs.append({'epoch': epoch, 'loss': loss_sum / max(steps, 1), 'accuracy': acc})
        print(f'epoch {epoch}/{args.epochs}: loss {loss_sum / max(steps, 1):.4f}, validation accuracy {100 * acc:.2f}%', flush=True)
        if acc > best:
            best, best_epoch = acc, epoch
            torch.save(student.state_dict(), os.path.join(args.out, 'student.pt'))

    write_json(os.path.join(args.out, 'result.json'), {
        'accuracy': best,
        'backend': f'pytorch {torch.__version__} {device.type}',
        'bestEpoch': best_epoch,
        'teacherAccuracy': teacher_accuracy,
        'epochs': epochs,
        'seconds': time.time() - started,
    })


if __name__ == '__main__':
    main(sys.argv[1:])

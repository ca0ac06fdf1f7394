"""Training a candidate as the engine's local evaluator does (engine/train/loop.ts): from the
initial weights the engine hands over, distillation from the teacher's logits (MSE, or KL at a
temperature) or cross-entropy on labels, Adam with L2 weight decay on every parameter, the best
validation epoch's weights kept. Batch order and augmentation are drawn from the seed the engine
gives (a torch generator: the same examples, not the same order as tfjs's).

On CUDA: channels_last, autocast (bf16 where supported, else fp16 with a gradient scaler),
cudnn.benchmark, the data on the GPU when it fits (else pinned batches), and no host sync per
batch: the loss is summed on the device and checked every SYNC_EVERY batches.
"""
import errno
import json
import os
import time
import traceback

import torch
import torch.nn.functional as F

from .allocator import keep_freed_memory
from .clock import wall_ms
from .dataset import Dataset
from .network import SpecNetwork
from .weights import WeightsError, load_into, read_model, state, write_model

CROP_PADDING = 4
EVAL_BATCH = 512
SYNC_EVERY = 50
# Data sets up to this share of the GPU's memory are copied onto it once.
DATA_ON_GPU_SHARE = 0.25


class Diverged(RuntimeError):
    """The training loss is no longer a finite number."""


class OutOfMemory(RuntimeError):
    pass


class Cancelled(Exception):
    pass


def is_oom(err):
    return isinstance(err, RuntimeError) and 'out of memory' in str(err)


class Device:
    """Where and how the worker trains: the device, autocast's type (None: float32), threads."""

    def __init__(self, name='auto', autocast=True, threads=0):
        # Process-wide, as the thread count: a trainer's steps reuse the memory of the last one.
        keep_freed_memory()
        if threads > 0:
            torch.set_num_threads(threads)
        if name == 'auto':
            name = 'cuda' if torch.cuda.is_available() else 'cpu'
        self.device = torch.device(name)
        self.cuda = self.device.type == 'cuda'
        self.amp_dtype = None
        if self.cuda:
            torch.backends.cudnn.benchmark = True
            if autocast:
                self.amp_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16

    def describe(self):
        if not self.cuda:
            return f'pytorch {torch.__version__} cpu, {torch.get_num_threads()} threads'
        name = torch.cuda.get_device_name(self.device)
        amp = {None: 'float32', torch.bfloat16: 'bf16 autocast', torch.float16: 'fp16 autocast'}[self.amp_dtype]
        return f'pytorch {torch.__version__} cuda {name}, {amp}'

    def place_net(self, net):
        net = net.to(self.device)
        return net.to(memory_format=torch.channels_last) if self.cuda else net

    def images(self, x):
        """NHWC batch -> NCHW in the memory format the network runs in (NHWC memory is channels_last)."""
        x = x.permute(0, 3, 1, 2)
        return x.contiguous(memory_format=torch.channels_last) if self.cuda else x.contiguous()

    def autocast(self):
        if self.amp_dtype is None:
            return torch.autocast('cpu', enabled=False)
        return torch.autocast('cuda', dtype=self.amp_dtype)


class SplitOnDevice:
    """A split's images and labels where batches are cut from: on the GPU when they fit."""

    def __init__(self, split, device):
        self.count = split.count
        self.device = device
        on_gpu = device.cuda and split.images.numel() * split.images.element_size() < DATA_ON_GPU_SHARE * torch.cuda.get_device_properties(device.device).total_memory
        where = device.device if on_gpu else torch.device('cpu')
        self.split = split
        self.images = split.images.to(where)
        self.labels = split.labels.to(device.device)
        self.pinned = device.cuda and not on_gpu

    def batch(self, index):
        """Normalised images [B, H, W, C] on the device, and their labels."""
        x = self.images[index.to(self.images.device)]
        if self.pinned:
            x = x.pin_memory().to(self.device.device, non_blocking=True)
        return self.split.normalise(x), self.labels[index.to(self.labels.device)]


def augment(x, generator):
    """engine/data/batches.ts's augmentation on NHWC: a crop from the image padded by 4, then a flip with p = 0.5."""
    n, h, w, _ = x.shape
    dy = torch.randint(0, 2 * CROP_PADDING + 1, (n,), generator=generator).to(x.device)
    dx = torch.randint(0, 2 * CROP_PADDING + 1, (n,), generator=generator).to(x.device)
    flip = (torch.rand(n, generator=generator) < 0.5).to(x.device)
    padded = F.pad(x, (0, 0, CROP_PADDING, CROP_PADDING, CROP_PADDING, CROP_PADDING))
    rows = dy[:, None] + torch.arange(h, device=x.device)
    cols = torch.arange(w, device=x.device).expand(n, w)
    cols = torch.where(flip[:, None], w - 1 - cols, cols) + dx[:, None]
    return padded[torch.arange(n, device=x.device)[:, None, None], rows[:, :, None], cols[:, None, :]]


def distillation_loss(distillation, student, teacher):
    """MSE over all logits (the authors'), or batchmean KL(teacher || student) x T^2."""
    if distillation['kind'] == 'mse':
        return F.mse_loss(student, teacher)
    t = distillation['temperature']
    return F.kl_div(F.log_softmax(student / t, 1), F.log_softmax(teacher / t, 1), reduction='batchmean', log_target=True) * t * t


class Trainer:
    """One worker's training context: its device and the run's dataset, loaded once; teachers and
    their logits on the (unaugmented) training split, loaded once each."""

    def __init__(self, dataset_folder, device):
        self.device = device
        self.data = Dataset(dataset_folder)
        self.train_split = SplitOnDevice(self.data.train, device)
        self.validation = SplitOnDevice(self.data.validation, device)
        self.teachers = {}

    def teacher(self, folder):
        if folder not in self.teachers:
            spec, _, weights = read_model(folder)
            net = SpecNetwork(spec)
            load_into(net, weights, folder)
            net = self.device.place_net(net).eval()
            for p in net.parameters():
                p.requires_grad_(False)
            logits = None if self.data.augment else self.logits(net, self.train_split)
            self.teachers[folder] = (net, logits)
        return self.teachers[folder]

    @torch.no_grad()
    def logits(self, net, split):
        out = []
        for start in range(0, split.count, EVAL_BATCH):
            x, _ = split.batch(torch.arange(start, min(split.count, start + EVAL_BATCH)))
            out.append(net(self.device.images(x)).float())
        return torch.cat(out) if out else torch.zeros(0, self.data.classes, device=self.device.device)

    @torch.no_grad()
    def accuracy(self, net, split):
        net.eval()
        correct = torch.zeros((), dtype=torch.int64, device=self.device.device)
        for start in range(0, split.count, EVAL_BATCH):
            x, y = split.batch(torch.arange(start, min(split.count, start + EVAL_BATCH)))
            with self.device.autocast():
                logits = net(self.device.images(x))
            correct += (logits.argmax(1) == y).sum()
        return correct.item() / split.count if split.count else 0.0

    def train(self, job, cancelled, on_epoch, on_checkpoint=lambda note: None):
        """Trains job's candidate; returns (network on the CPU with the best weights, outcome dict).
        Retries once with half the batch on running out of memory. With job['checkpoint'], the
        state after each epoch is kept there and a training stopped earlier goes on after its last
        kept epoch; on_checkpoint hears {'resumed': [epoch reports]} or {'ignored': why}."""
        batch = job['batchSize']
        try:
            return self._train(job, batch, cancelled, on_epoch, on_checkpoint)
        except RuntimeError as err:
            if not is_oom(err) or batch < 2:
                raise
            first = str(err).split('\n')[0]
        self._free()
        try:
            return self._train(job, batch // 2, cancelled, on_epoch, on_checkpoint)
        except RuntimeError as err:
            if not is_oom(err):
                raise
            self._free()
            raise OutOfMemory(f'out of memory at batch size {batch} and at {batch // 2}: {first}') from None

    def _free(self):
        if self.device.cuda:
            torch.cuda.empty_cache()

    def _train(self, job, batch_size, cancelled, on_epoch, on_checkpoint):
        _, _, initial = read_model(job['initial'])
        net = SpecNetwork(job['spec'])
        load_into(net, initial, job['initial'])
        net = self.device.place_net(net)
        distill = job['objective'] == 'distill'
        teacher, teacher_logits = self.teacher(job['teacher']) if distill else (None, None)
        generator = torch.Generator().manual_seed(job['seed'])
        torch.manual_seed(job['seed'])
        optimizer = torch.optim.Adam(net.parameters(), lr=job['learningRate'], betas=(0.9, 0.999), eps=1e-8, weight_decay=job['weightDecay'])
        scaler = torch.cuda.amp.GradScaler() if self.device.amp_dtype == torch.float16 else None
        split = self.train_split
        sync_every = SYNC_EVERY if self.device.cuda else 1
        outcome = {'epochs': [], 'bestAccuracy': -1.0, 'bestEpoch': 0, 'batchSize': batch_size, 'trainingStarted': wall_ms()}
        best = None
        checkpoint = job.get('checkpoint')
        identity = checkpoint and training_identity(job, batch_size, split.count)
        if checkpoint:
            saved, why = read_checkpoint(checkpoint, identity)
            if saved:
                net.load_state_dict(saved['net'])
                optimizer.load_state_dict(saved['optimizer'])
                if scaler:
                    scaler.load_state_dict(saved['scaler'])
                generator.set_state(saved['generator'])
                torch.set_rng_state(saved['rng'])
                if self.device.cuda and saved.get('cudaRng') is not None:
                    torch.cuda.set_rng_state(saved['cudaRng'])
                best = saved['best']
                outcome.update(epochs=saved['epochs'], bestAccuracy=saved['bestAccuracy'], bestEpoch=saved['bestEpoch'])
                on_checkpoint({'resumed': list(saved['epochs'])})
            elif why:
                on_checkpoint({'ignored': why})
        for epoch in range(len(outcome['epochs']) + 1, job['epochs'] + 1):
            started = time.perf_counter()
            net.train()
            order = torch.randperm(split.count, generator=generator)
            loss_sum = torch.zeros((), device=self.device.device)
            steps = 0
            for start in range(0, split.count, batch_size):
                index = order[start:start + batch_size]
                x, y = split.batch(index)
                if self.data.augment:
                    x = augment(x, generator)
                x = self.device.images(x)
                if distill:
                    if teacher_logits is not None:
                        target = teacher_logits[index.to(teacher_logits.device)]
                    else:
                        with torch.no_grad(), self.device.autocast():
                            target = teacher(x).float()
                with self.device.autocast():
                    logits = net(x)
                loss = distillation_loss(job['distillation'], logits.float(), target) if distill else F.cross_entropy(logits.float(), y)
                optimizer.zero_grad(set_to_none=True)
                if scaler:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
                loss_sum += loss.detach()
                steps += 1
                if steps % sync_every == 0:
                    self._check(loss_sum, epoch)
                if cancelled():
                    raise Cancelled()
            self._check(loss_sum, epoch)
            seconds = time.perf_counter() - started
            accuracy = self.accuracy(net, self.validation)
            improved = accuracy > outcome['bestAccuracy']
            if improved:
                best = state(net)
                outcome.update(bestAccuracy=accuracy, bestEpoch=epoch)
            report = {'epoch': epoch, 'loss': loss_sum.item() / max(1, steps), 'accuracy': accuracy, 'imagesPerSecond': split.count / seconds if seconds > 0 else 0.0, 'seconds': time.perf_counter() - started, 'best': improved}
            outcome['epochs'].append(report)
            if checkpoint:
                write_checkpoint(checkpoint, {'identity': identity, 'net': net.state_dict(), 'optimizer': optimizer.state_dict(), 'scaler': scaler.state_dict() if scaler else None,
                                              'generator': generator.get_state(), 'rng': torch.get_rng_state(),
                                              'cudaRng': torch.cuda.get_rng_state() if self.device.cuda else None, 'best': best, 'epochs': outcome['epochs'],
                                              'bestAccuracy': outcome['bestAccuracy'], 'bestEpoch': outcome['bestEpoch']})
            on_epoch(report)
        if best is None:
            best = state(net)
            outcome['bestAccuracy'] = self.accuracy(net, self.validation)
        outcome['trainingEnded'] = wall_ms()
        outcome['params'] = sum(p.numel() for p in net.parameters())
        return best, outcome

    @staticmethod
    def _check(loss_sum, epoch):
        value = loss_sum.item()
        if value != value or value in (float('inf'), float('-inf')):
            raise Diverged(f'the training loss became {value} in epoch {epoch} (try a lower learning rate)')


CHECKPOINT_FILE = 'pytorch.pt'


def training_identity(job, batch_size, examples):
    """What a checkpoint belongs to: one made for another training is not used."""
    return {'spec': json.dumps(job['spec'], sort_keys=True), 'seed': job['seed'], 'epochs': job['epochs'], 'batchSize': batch_size, 'learningRate': job['learningRate'],
            'weightDecay': job['weightDecay'], 'objective': job['objective'], 'examples': examples}


def read_checkpoint(folder, identity):
    """(the saved state, None), or (None, why it is not used); (None, None) where there is none."""
    path = os.path.join(folder, CHECKPOINT_FILE)
    if not os.path.exists(path):
        return None, None
    try:
        saved = torch.load(path, map_location='cpu')
    except Exception as err:  # a torn or foreign file is reported and trained over, never fatal
        return None, f'{path} could not be read ({type(err).__name__}: {err})'
    if not isinstance(saved, dict) or saved.get('identity') != identity:
        return None, f'{path} belongs to another training (spec, seed, epochs, optimiser or data differ)'
    return saved, None


def write_checkpoint(folder, saved):
    """The file whole or not at all: written beside, flushed to disk, then renamed over the old one."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, CHECKPOINT_FILE)
    temporary = f'{path}.{os.getpid()}.tmp'
    with open(temporary, 'wb') as f:
        torch.save(saved, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def train_and_save(trainer, job, cancelled, on_epoch, on_checkpoint=lambda note: None):
    """Trains a `train` job (docs/pytorch-worker.md), writes its best weights to job['out'], and
    returns the result: status ok, failed with a reason, or cancelled."""
    started = time.perf_counter()
    try:
        best, outcome = trainer.train(job, cancelled, on_epoch, on_checkpoint)
        trained = time.perf_counter() - started
        if job.get('out'):
            # The keys of engine/train/supervised.ts's record, so both trainers' weights read alike.
            record = {**job.get('record', {}), 'dataset': trainer.data.name, 'examples': trainer.data.train.count, 'seconds': trained, 'epochs': len(outcome['epochs']),
                      'bestEpoch': outcome['bestEpoch'], 'validationAccuracy': outcome['bestAccuracy'], 'batchSize': outcome['batchSize'], 'trainer': trainer.device.describe()}
            try:
                write_model(job['out'], job['spec'], best, record, trainer.data.normalisation)
            except OSError as err:
                if err.errno is None:
                    raise
                # The machine's fault (a full disk, a folder gone), not the candidate's: the engine
                # stops the run without journalling the candidate, so a resume trains it again.
                return {'status': 'failed', 'reason': f'{err.strerror}, writing {err.filename or job["out"]}', 'seconds': time.perf_counter() - started,
                        'system': {'code': errno.errorcode.get(err.errno, f'E{err.errno}'), 'syscall': 'write', 'path': err.filename or job['out']}}
        return {'status': 'ok', 'accuracy': outcome['bestAccuracy'], 'bestEpoch': outcome['bestEpoch'], 'batchSize': outcome['batchSize'],
                'params': outcome['params'], 'epochs': outcome['epochs'], 'seconds': time.perf_counter() - started, 'backend': trainer.device.describe(),
                'phases': {'trainingStarted': outcome['trainingStarted'], 'trainingEnded': outcome['trainingEnded']}}
    except Cancelled:
        return {'status': 'cancelled', 'seconds': time.perf_counter() - started}
    except (Diverged, OutOfMemory, WeightsError) as err:
        return {'status': 'failed', 'reason': str(err).split('\n')[0], 'seconds': time.perf_counter() - started}
    except (ValueError, RuntimeError, OSError) as err:
        traceback.print_exc()
        return {'status': 'failed', 'reason': f'{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ""}', 'seconds': time.perf_counter() - started}

"""One candidate, for the command and Slurm evaluators: the worker's training, run once.

    python -m esnac_trainer.train_one --init {init} --teacher-weights {teacherWeights} --data {data} \\
        --weights {weights} --out {out} --epochs {epochs} --batch-size {batchSize} --lr {learningRate} \\
        --weight-decay {weightDecay} --distillation {distillation} --temperature {temperature} --seed {seed} --name {name}

(with trainers/torch on PYTHONPATH; evaluators/pytorch/train.py does that and takes the same
arguments). The candidate's spec travels in its initial weights' model.json. Writes its best
epoch's weights to --weights in the run's format (so fine-tuning, best.weights and `esnac
export --weights` work as with the engine's own workers) and OUT/result.json:
{"accuracy", "backend", "bestEpoch", "epochs", "seconds"}. Exit status 1 with the reason on
stderr when the candidate fails.
"""
import argparse
import json
import os
import sys
import zlib

from .files import write_whole
from .training import Device, Trainer, train_and_save
from .weights import read_model


def parse_args(argv):
    p = argparse.ArgumentParser(prog='esnac_trainer.train_one', description=__doc__.split('\n')[0])
    p.add_argument('--init', required=True, help="the candidate's initial weights folder (esnac format, with its spec)")
    p.add_argument('--teacher-weights', required=True, help="the teacher's weights folder (esnac format)")
    p.add_argument('--data', required=True, help="the run's dataset folder ({data})")
    p.add_argument('--out', required=True, help='where result.json goes')
    p.add_argument('--weights', help='where the best weights go (esnac format)')
    p.add_argument('--epochs', type=int, default=10)
    p.add_argument('--batch-size', type=int, default=128)
    p.add_argument('--lr', type=float, default=1e-3)
    p.add_argument('--weight-decay', type=float, default=5e-4)
    p.add_argument('--distillation', choices=['mse', 'kl'], default='mse')
    p.add_argument('--temperature', type=float, default=4.0)
    p.add_argument('--seed', type=int, default=0, help="the run's seed; with --name it seeds this candidate's batches")
    p.add_argument('--name', default='', help="the candidate's name")
    p.add_argument('--device', default='auto', help='auto (cuda when available), cpu, cuda, cuda:1...')
    p.add_argument('--threads', type=int, default=0, help="CPU threads (default: $SLURM_CPUS_PER_TASK, else torch's)")
    p.add_argument('--no-autocast', action='store_true', help='CUDA: train in float32')
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    threads = args.threads or int(os.environ.get('SLURM_CPUS_PER_TASK', '0'))
    spec, _, _ = read_model(args.init)
    trainer = Trainer(args.data, Device(args.device, not args.no_autocast, threads))
    job = {
        'spec': spec, 'initial': args.init, 'teacher': args.teacher_weights, 'objective': 'distill',
        'distillation': {'kind': 'kl', 'temperature': args.temperature} if args.distillation == 'kl' else {'kind': 'mse'},
        'epochs': args.epochs, 'batchSize': args.batch_size, 'learningRate': args.lr, 'weightDecay': args.weight_decay,
        'seed': zlib.crc32(f'{args.seed}/{args.name or spec["name"]}'.encode()),
        **({'out': args.weights} if args.weights else {}),
    }

    def on_epoch(report):
        print(f"epoch {report['epoch']}/{args.epochs}: loss {report['loss']:.4f}, validation accuracy {100 * report['accuracy']:.2f}%, {report['imagesPerSecond']:.0f} img/s", flush=True)

    result = train_and_save(trainer, job, lambda: False, on_epoch)
    if result['status'] != 'ok':
        print(result.get('reason', result['status']), file=sys.stderr)
        return 1
    os.makedirs(args.out, exist_ok=True)
    summary = {key: result[key] for key in ('accuracy', 'backend', 'bestEpoch', 'epochs', 'seconds')}
    write_whole(os.path.join(args.out, 'result.json'), (json.dumps(summary, indent=2) + '\n').encode('utf-8'))
    return 0


if __name__ == '__main__':
    sys.exit(main())

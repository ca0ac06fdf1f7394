"""The engine's PyTorch worker: JSON lines over stdio, protocol version 1 (docs/pytorch-worker.md).

    python -m esnac_trainer.worker        (with trainers/torch on PYTHONPATH)

The first line from the engine is `hello` (dataset folder, device, threads, autocast); the worker
loads the dataset and answers `ready` or `setup-failed`. Then `train` jobs run one at a time,
each answered by `epoch` reports and one `result`; `cancel` stops the running job after its
current batch. End of input (the engine closed the pipe, or died) ends the worker at once.
Protocol lines go to the original stdout only; anything else printed goes to stderr.
"""
import json
import os
import queue
import signal
import sys
import threading

PROTOCOL_VERSION = 1


class Channel:
    """Writes protocol messages, one JSON object per line, from any thread."""

    def __init__(self):
        self.out = os.fdopen(os.dup(sys.stdout.fileno()), 'w', encoding='utf-8')
        os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
        self.lock = threading.Lock()

    def send(self, message):
        line = json.dumps(message, allow_nan=False) + '\n'
        with self.lock:
            self.out.write(line)
            self.out.flush()


def read_messages(jobs, cancelled):
    """Reads stdin: jobs are queued, cancels flag their job; end of input ends the process."""
    for line in sys.stdin:
        if not line.strip():
            continue
        message = json.loads(line)
        if message.get('type') == 'cancel':
            cancelled.add(message['id'])
        else:
            jobs.put(message)
    os._exit(0)


def run_job(trainer, job, channel, cancelled):
    from .training import train_and_save
    job_id = job['id']
    try:
        result = train_and_save(trainer, job, lambda: job_id in cancelled, lambda report: channel.send({'type': 'epoch', 'id': job_id, **report}))
        channel.send({'type': 'result', 'id': job_id, **result})
    finally:
        cancelled.discard(job_id)


def main():
    # Ctrl-C in a terminal reaches the whole process group: the engine decides when to stop us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    channel = Channel()
    hello = json.loads(sys.stdin.readline() or 'null')
    if not hello or hello.get('type') != 'hello':
        channel.send({'type': 'setup-failed', 'reason': 'the first message was not hello', 'user': False})
        return 1
    if hello.get('version') != PROTOCOL_VERSION:
        channel.send({'type': 'setup-failed', 'reason': f'the engine speaks protocol version {hello.get("version")}, this trainer {PROTOCOL_VERSION}: use the trainers/torch that came with the engine', 'user': True})
        return 1
    try:
        import torch
        from .training import Device, Trainer
        device = Device(hello.get('device', 'auto'), hello.get('autocast', True), hello.get('threads', 0))
        trainer = Trainer(hello['dataset'], device)
    except Exception as err:  # whatever stops the setup is reported, then the worker ends
        channel.send({'type': 'setup-failed', 'reason': f'{type(err).__name__}: {err}', 'user': isinstance(err, (ValueError, OSError))})
        return 1
    channel.send({'type': 'ready', 'version': PROTOCOL_VERSION, 'torch': torch.__version__, 'device': device.device.type, 'detail': device.describe(), 'pid': os.getpid()})
    jobs = queue.Queue()
    cancelled = set()
    threading.Thread(target=read_messages, args=(jobs, cancelled), daemon=True).start()
    while True:
        job = jobs.get()
        if job.get('type') == 'train':
            run_job(trainer, job, channel, cancelled)
        else:
            print(f'esnac worker: ignored a message of type {job.get("type")!r}', file=sys.stderr, flush=True)


if __name__ == '__main__':
    sys.exit(main())

"""The engine's PyTorch worker: JSON lines over stdio, protocol version 2 (docs/pytorch-worker.md).

    python -m esnac_trainer.worker        (with trainers/torch on PYTHONPATH)

The first line from the engine is `hello` (dataset folder, device, threads, autocast); the worker
loads the dataset (none: a worker that only times networks) and answers `ready` or
`setup-failed`. Then jobs run one at a time: `train`, answered by `epoch` reports and one
`result`, and `time`, answered by one `timing`; `cancel` stops the running job after its current
batch or timed run. End of input (the engine closed the pipe, or died) ends the worker at once.
Protocol lines go to the original stdout only; anything else printed goes to stderr.
"""
import json
import os
import queue
import signal
import sys
import threading

from .clock import wall_ms

PROTOCOL_VERSION = 2


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
        received = wall_ms()
        message = json.loads(line)
        if message.get('type') == 'cancel':
            cancelled.add(message['id'])
        else:
            jobs.put((received, message))
    os._exit(0)


def run_job(trainer, device, job, received, channel, cancelled):
    from .timing import time_job
    from .training import train_and_save
    job_id = job['id']
    try:
        if job['type'] == 'time':
            channel.send({'type': 'timing', 'id': job_id, **time_job(device, job, lambda: job_id in cancelled)})
        elif trainer is None:
            channel.send({'type': 'result', 'id': job_id, 'status': 'failed', 'reason': 'this worker was started without a dataset: it only times networks', 'seconds': 0})
        else:
            result = train_and_save(trainer, job, lambda: job_id in cancelled, lambda report: channel.send({'type': 'epoch', 'id': job_id, **report}),
                                    lambda note: channel.send({'type': 'checkpoint', 'id': job_id, **note}))
            if 'phases' in result:
                result['phases'] = {'received': received, **result['phases'], 'sent': wall_ms()}
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
        trainer = Trainer(hello['dataset'], device) if hello.get('dataset') else None
    except Exception as err:  # whatever stops the setup is reported, then the worker ends
        channel.send({'type': 'setup-failed', 'reason': f'{type(err).__name__}: {err}', 'user': isinstance(err, (ValueError, OSError))})
        return 1
    channel.send({'type': 'ready', 'version': PROTOCOL_VERSION, 'torch': torch.__version__, 'device': device.device.type, 'detail': device.describe(), 'pid': os.getpid()})
    jobs = queue.Queue()
    cancelled = set()
    threading.Thread(target=read_messages, args=(jobs, cancelled), daemon=True).start()
    while True:
        received, job = jobs.get()
        if job.get('type') in ('train', 'time'):
            run_job(trainer, device, job, received, channel, cancelled)
        else:
            print(f'esnac worker: ignored a message of type {job.get("type")!r}', file=sys.stderr, flush=True)


if __name__ == '__main__':
    sys.exit(main())

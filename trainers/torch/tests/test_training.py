import json
import os
import subprocess
import sys

import pytest
import torch

from conftest import TINY, write_dataset
from esnac_trainer.training import CROP_PADDING, Cancelled, Device, Diverged, Trainer, augment, distillation_loss, train_and_save
from esnac_trainer.weights import read_model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def job(run_folder, **overrides):
    return {'type': 'train', 'id': 1, 'spec': TINY, 'initial': run_folder['initial'], 'teacher': run_folder['teacher'], 'objective': 'cross-entropy',
            'distillation': {'kind': 'mse'}, 'epochs': 3, 'batchSize': 16, 'learningRate': 1e-2, 'weightDecay': 5e-4, 'seed': 3, **overrides}


def test_training_on_labels_learns_and_keeps_the_best_epoch(run_folder):
    trainer = Trainer(run_folder['dataset'], Device('cpu'))
    reports = []
    best, outcome = trainer.train(job(run_folder), lambda: False, reports.append)
    assert [r['epoch'] for r in reports] == [1, 2, 3]
    assert outcome['bestAccuracy'] == max(r['accuracy'] for r in reports) > 0.6
    assert reports[outcome['bestEpoch'] - 1]['best']
    assert list(best) == ['c1/weight', 'c1/bias', 'bn/weight', 'bn/bias', 'bn/running_mean', 'bn/running_var', 'fc/weight', 'fc/bias']


def test_the_same_seed_trains_the_same(run_folder):
    trainer = Trainer(run_folder['dataset'], Device('cpu'))
    runs = [trainer.train(job(run_folder, objective='distill', distillation={'kind': 'kl', 'temperature': 2.0}), lambda: False, lambda r: None) for _ in range(2)]
    assert runs[0][1]['epochs'][-1]['loss'] == runs[1][1]['epochs'][-1]['loss']
    assert all(torch.equal(runs[0][0][k], runs[1][0][k]) for k in runs[0][0])


def test_a_diverging_candidate_fails_with_its_reason(run_folder):
    trainer = Trainer(run_folder['dataset'], Device('cpu'))
    with pytest.raises(Diverged, match='training loss became (nan|inf) in epoch'):
        trainer.train(job(run_folder, learningRate=1e30, objective='distill'), lambda: False, lambda r: None)


def test_a_weights_write_the_system_refuses_is_the_machines_failure(run_folder, tmp_path):
    trainer = Trainer(run_folder['dataset'], Device('cpu'))
    blocker = tmp_path / 'a-file'
    blocker.write_text('')
    result = train_and_save(trainer, job(run_folder, epochs=1, out=str(blocker / 'weights')), lambda: False, lambda r: None)
    assert result['status'] == 'failed'
    assert result['system']['code'] == 'ENOTDIR' and result['system']['syscall'] == 'write'
    assert 'a-file' in result['reason']
    diverged = train_and_save(trainer, job(run_folder, learningRate=1e30, objective='distill', out=str(tmp_path / 'w')), lambda: False, lambda r: None)
    assert diverged['status'] == 'failed' and 'system' not in diverged


def test_a_training_stopped_after_an_epoch_goes_on_from_its_checkpoint_as_if_never_stopped(run_folder, tmp_path):
    trainer = Trainer(run_folder['dataset'], Device('cpu'))
    whole_best, whole = trainer.train(job(run_folder), lambda: False, lambda r: None)
    checkpoint = str(tmp_path / 'checkpoint')
    reports, notes = [], []
    with pytest.raises(Cancelled):
        trainer.train(job(run_folder, checkpoint=checkpoint), lambda: len(reports) == 2, reports.append, notes.append)
    assert [r['epoch'] for r in reports] == [1, 2] and notes == []
    later = []
    best, resumed = trainer.train(job(run_folder, checkpoint=checkpoint), lambda: False, later.append, notes.append)
    assert [r['epoch'] for r in later] == [3]
    assert [r['epoch'] for r in notes[0]['resumed']] == [1, 2]
    assert [r['loss'] for r in resumed['epochs']] == [r['loss'] for r in whole['epochs']]
    assert (resumed['bestEpoch'], resumed['bestAccuracy']) == (whole['bestEpoch'], whole['bestAccuracy'])
    assert all(torch.equal(best[k], whole_best[k]) for k in whole_best)
    # Another training (another seed) does not take it, and says why.
    notes.clear()
    trainer.train(job(run_folder, checkpoint=checkpoint, seed=4, epochs=1), lambda: False, lambda r: None, notes.append)
    assert 'belongs to another training' in notes[0]['ignored']
    # A torn file is reported and trained over.
    with open(os.path.join(checkpoint, 'pytorch.pt'), 'wb') as f:
        f.write(b'torn')
    notes.clear()
    trainer.train(job(run_folder, checkpoint=checkpoint, epochs=1), lambda: False, lambda r: None, notes.append)
    assert 'could not be read' in notes[0]['ignored']


def test_cancel_stops_after_the_current_batch(run_folder):
    trainer = Trainer(run_folder['dataset'], Device('cpu'))
    with pytest.raises(Cancelled):
        trainer.train(job(run_folder), lambda: True, lambda r: pytest.fail('no epoch should end'))


def test_augmentation_is_the_engines_shift_and_flip():
    x = torch.randn(5, 6, 7, 2)
    g = torch.Generator().manual_seed(1)
    out = augment(x, g)
    g = torch.Generator().manual_seed(1)
    dy = torch.randint(0, 9, (5,), generator=g) - CROP_PADDING
    dx = torch.randint(0, 9, (5,), generator=g) - CROP_PADDING
    flip = torch.rand(5, generator=g) < 0.5
    # engine/data/batches.ts: out[y][x] = src[y + dy][(flip ? W - 1 - x : x) + dx], 0 outside.
    for n in range(5):
        for y in range(6):
            for xx in range(7):
                sy, sx = y + dy[n].item(), (6 - xx if flip[n] else xx) + dx[n].item()
                want = x[n, sy, sx] if 0 <= sy < 6 and 0 <= sx < 7 else torch.zeros(2)
                assert torch.equal(out[n, y, xx], want)


def test_kl_distillation_is_batchmean_kl_times_t_squared():
    s, t = torch.randn(4, 5), torch.randn(4, 5)
    p = torch.softmax(t / 3, 1)
    expected = (p * (torch.log(p) - torch.log_softmax(s / 3, 1))).sum(1).mean() * 9
    assert torch.allclose(distillation_loss({'kind': 'kl', 'temperature': 3}, s, t), expected)


class Worker:
    def __init__(self):
        env = {**os.environ, 'PYTHONPATH': ROOT}
        self.process = subprocess.Popen([sys.executable, '-m', 'esnac_trainer.worker'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def send(self, message):
        self.process.stdin.write(json.dumps(message) + '\n')
        self.process.stdin.flush()

    def receive(self):
        return json.loads(self.process.stdout.readline())


def test_worker_speaks_the_protocol(run_folder):
    worker = Worker()
    try:
        worker.send({'type': 'hello', 'version': 2, 'dataset': run_folder['dataset'], 'device': 'cpu', 'threads': 1, 'autocast': True})
        ready = worker.receive()
        assert ready['type'] == 'ready' and ready['version'] == 2 and ready['device'] == 'cpu'
        out = str(run_folder['root'] / 'out')
        worker.send({**job(run_folder, objective='distill', epochs=2), 'out': out, 'record': {'note': 'x'}})
        messages = [worker.receive() for _ in range(3)]
        assert [m['type'] for m in messages] == ['epoch', 'epoch', 'result']
        result = messages[-1]
        assert result['status'] == 'ok' and result['id'] == 1 and result['params'] == 4 * 9 + 4 + 8 + 15
        spec, training, weights = read_model(out)
        assert spec == TINY and training['note'] == 'x' and training['bestEpoch'] == result['bestEpoch']
        worker.send({**job(run_folder, id=2, epochs=1000)})
        worker.send({'type': 'cancel', 'id': 2})
        messages = [worker.receive()]
        while messages[-1]['type'] == 'epoch':
            messages.append(worker.receive())
        assert messages[-1] == {**messages[-1], 'type': 'result', 'id': 2, 'status': 'cancelled'}
        worker.send({**job(run_folder, id=3, initial=str(run_folder['root'] / 'nowhere'))})
        failed = worker.receive()
        assert failed['status'] == 'failed' and 'nowhere' in failed['reason']
        worker.process.stdin.close()
        assert worker.process.wait(timeout=30) == 0
    finally:
        worker.process.kill()


def test_a_worker_without_a_dataset_times_networks_and_trains_nothing():
    worker = Worker()
    try:
        worker.send({'type': 'hello', 'version': 2, 'device': 'cpu', 'threads': 1, 'autocast': True})
        assert worker.receive()['type'] == 'ready'
        worker.send({'type': 'time', 'id': 1, 'spec': TINY, 'batchSize': 4, 'warmup': 2, 'repeats': 7})
        timing = worker.receive()
        assert timing['type'] == 'timing' and timing['id'] == 1 and timing['status'] == 'ok'
        assert len(timing['samples']) == 7 and all(ms > 0 for ms in timing['samples'])
        worker.send({'type': 'time', 'id': 2, 'spec': {**TINY, 'layers': [{'id': 'x', 'type': 'nonsense'}]}, 'batchSize': 1, 'warmup': 0, 'repeats': 1})
        failed = worker.receive()
        assert failed['type'] == 'timing' and failed['status'] == 'failed' and 'nonsense' in failed['reason']
        worker.send({'type': 'train', 'id': 3})
        refused = worker.receive()
        assert refused['type'] == 'result' and refused['status'] == 'failed' and 'without a dataset' in refused['reason']
    finally:
        worker.process.kill()


def test_timed_runs_stop_when_cancelled():
    from esnac_trainer.timing import timed_runs
    calls = []
    assert timed_runs(TINY, Device('cpu'), 2, 1, 5, lambda: calls.append(1) or len(calls) > 2) is None
    assert len(calls) == 3


def test_worker_refuses_another_protocol_version(tmp_path):
    worker = Worker()
    try:
        worker.send({'type': 'hello', 'version': 99, 'dataset': str(tmp_path)})
        answer = worker.receive()
        assert answer['type'] == 'setup-failed' and 'version 99' in answer['reason'] and answer['user']
        assert worker.process.wait(timeout=30) == 1
    finally:
        worker.process.kill()


def test_worker_names_a_missing_dataset(tmp_path):
    worker = Worker()
    try:
        worker.send({'type': 'hello', 'version': 2, 'dataset': str(tmp_path / 'missing')})
        answer = worker.receive()
        assert answer['type'] == 'setup-failed' and 'dataset.json' in answer['reason'] and answer['user']
    finally:
        worker.process.kill()


def test_train_one_writes_result_and_weights_in_the_runs_format(run_folder, capsys):
    from esnac_trainer.train_one import main
    out, weights = str(run_folder['root'] / 'eval'), str(run_folder['root'] / 'weights')
    assert main(['--init', run_folder['initial'], '--teacher-weights', run_folder['teacher'], '--data', run_folder['dataset'], '--out', out,
                 '--weights', weights, '--epochs', '2', '--batch-size', '16', '--distillation', 'kl', '--device', 'cpu', '--name', 'c1']) == 0
    with open(os.path.join(out, 'result.json')) as f:
        result = json.load(f)
    assert 0 <= result['accuracy'] <= 1 and len(result['epochs']) == 2 and result['backend'].startswith('pytorch ')
    spec, training, _ = read_model(weights)
    assert spec == TINY and training['validationAccuracy'] == result['accuracy']
    assert 'epoch 2/2' in capsys.readouterr().out
    assert main(['--init', run_folder['initial'], '--teacher-weights', run_folder['teacher'], '--data', run_folder['dataset'], '--out', out, '--lr', '1e30', '--epochs', '2', '--batch-size', '16', '--device', 'cpu']) == 1
    assert 'training loss became' in capsys.readouterr().err


def test_v2_datasets_hold_bytes_normalised_per_batch(tmp_path):
    from esnac_trainer.dataset import Dataset
    from esnac_trainer.files import tensor_bytes
    from esnac_trainer.training import SplitOnDevice
    pixels = torch.randint(0, 256, (4, 3, 2, 2), dtype=torch.uint8)
    labels = torch.tensor([0, 1, 2, 1], dtype=torch.int32)
    (tmp_path / 'train-images.u8').write_bytes(tensor_bytes(pixels))
    (tmp_path / 'train-labels.i32').write_bytes(tensor_bytes(labels))
    split = {'count': 4, 'images': 'train-images.u8', 'dtype': 'uint8', 'scale': 1 / 255, 'labels': 'train-labels.i32'}
    manifest = {'format': 'esnac.dataset/v2', 'name': 'bytes', 'input': {'channels': 2, 'height': 3, 'width': 2}, 'classes': 3, 'augment': False,
                'normalisation': {'mean': [0.5, 0.25], 'std': [0.2, 0.5]}, 'train': split, 'validation': split}
    (tmp_path / 'dataset.json').write_text(json.dumps(manifest))
    data = Dataset(str(tmp_path))
    x, y = SplitOnDevice(data.train, Device('cpu')).batch(torch.tensor([2, 0]))
    expected = (pixels[[2, 0]].float() / 255 - torch.tensor([0.5, 0.25])) / torch.tensor([0.2, 0.5])
    assert torch.allclose(x, expected, atol=1e-6) and y.tolist() == [2, 0]

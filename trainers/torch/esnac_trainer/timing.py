"""Latency of a network on the worker's device, for the engine's PyTorch latency meter
(engine/latency/pytorch.ts). Inference as it would be deployed from the trainer: eval mode, no
autograd, the worker's memory format (channels_last on CUDA) and autocast setting, a fixed
random input of the asked batch size. `warmup` untimed runs (on CUDA they also let
cudnn.benchmark pick its kernels), then `repeats` timed runs, each in milliseconds: the engine
takes their median and half their interquartile range, as it does for onnxruntime.

On CUDA each run is timed by a pair of CUDA events recorded on the current stream around the
forward pass, and the end event is waited for before the next run starts, so a run neither
includes the host's launch latency of the next nor overlaps it. On CPU, time.perf_counter around
the forward pass (its outputs are ready when it returns).
"""
import time

import torch

from .network import SpecNetwork


def timed_runs(spec, device, batch_size, warmup, repeats, cancelled):
    """Milliseconds of `repeats` forward passes of `spec` after `warmup` untimed ones."""
    torch.manual_seed(0)
    net = device.place_net(SpecNetwork(spec).eval())
    shape = (batch_size, spec['input']['channels'], spec['input']['height'], spec['input']['width'])
    x = torch.rand(shape, device=device.device) * 2 - 1
    if device.cuda:
        x = x.contiguous(memory_format=torch.channels_last)
    samples = []
    with torch.no_grad(), device.autocast():
        for _ in range(warmup):
            net.output_value(x)
        if device.cuda:
            torch.cuda.synchronize(device.device)
        for _ in range(repeats):
            if cancelled():
                return None
            samples.append(_cuda_run(net, x) if device.cuda else _cpu_run(net, x))
    return samples


def _cpu_run(net, x):
    start = time.perf_counter()
    net.output_value(x)
    return (time.perf_counter() - start) * 1000


def _cuda_run(net, x):
    start = torch.cuda.Event(enable_timing=True)
    end = torch.cuda.Event(enable_timing=True)
    start.record()
    net.output_value(x)
    end.record()
    end.synchronize()
    return start.elapsed_time(end)


def time_job(device, job, cancelled):
    """A `time` job's answer (without type and id): ok with the samples, failed with the reason, or cancelled."""
    started = time.perf_counter()
    try:
        samples = timed_runs(job['spec'], device, job['batchSize'], job['warmup'], job['repeats'], cancelled)
    except Exception as err:  # a spec the network cannot build, out of memory: the meter reports why
        return {'status': 'failed', 'reason': f'{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ""}', 'seconds': time.perf_counter() - started}
    if samples is None:
        return {'status': 'cancelled', 'seconds': time.perf_counter() - started}
    return {'status': 'ok', 'samples': samples, 'seconds': time.perf_counter() - started}

"""Weights in the run's format (engine/model/io.ts): a folder with model.json (format
esnac.weights/v1, the spec, a tfjs weightsManifest) next to weights.bin (float32, little-endian,
in manifest order). Layouts are tfjs's (engine/model/weights.ts): conv [kh, kw, in/groups, out],
linear [in, out]; converted to and from PyTorch's [out, in/groups, kh, kw] and [out, in] here.
"""
import json
import os

import torch

from .files import FormatError, read_format, tensor_bytes, write_whole
from .network import SpecNetwork

WEIGHTS_FORMAT = 'esnac.weights/v1'
MODEL_FILE = 'model.json'
WEIGHTS_FILE = 'weights.bin'


class WeightsError(FormatError):
    """A weights folder that cannot be read, or does not fit its spec."""


def to_torch_layout(tensor):
    if tensor.dim() == 4:
        return tensor.permute(3, 2, 0, 1)
    if tensor.dim() == 2:
        return tensor.t()
    return tensor


def to_esnac_layout(tensor):
    if tensor.dim() == 4:
        return tensor.permute(2, 3, 1, 0)
    if tensor.dim() == 2:
        return tensor.t()
    return tensor


def read_model(folder):
    """(spec, training info, {name: tensor in tfjs layout})."""
    json_path = os.path.join(folder, MODEL_FILE)
    model = read_format(json_path, WEIGHTS_FORMAT)
    groups = model.get('weightsManifest')
    if not isinstance(groups, list) or len(groups) != 1 or groups[0].get('paths') != [WEIGHTS_FILE]:
        raise WeightsError(f'{json_path}: weightsManifest must list one group stored in {WEIGHTS_FILE}')
    with open(os.path.join(folder, WEIGHTS_FILE), 'rb') as f:
        data = bytearray(f.read())
    manifest = groups[0]['weights']
    sizes = [_numel(e['shape']) for e in manifest]
    if any(e.get('dtype') != 'float32' for e in manifest) or 4 * sum(sizes) != len(data):
        raise WeightsError(f'{folder}: {WEIGHTS_FILE} holds {len(data)} bytes but the manifest describes {4 * sum(sizes)} bytes of float32 weights')
    flat = torch.frombuffer(data, dtype=torch.float32) if data else torch.zeros(0)
    weights, offset = {}, 0
    for entry, size in zip(manifest, sizes):
        weights[entry['name']] = flat[offset:offset + size].view(entry['shape'])
        offset += size
    return model['spec'], model.get('training'), weights


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def load_into(net, weights, where):
    """Copies esnac-layout weights into `net`; a WeightsError naming every mismatch."""
    names = net.weight_names()
    problems = [f'missing {n}' for n in names if n not in weights] + [f'unexpected weight {n}' for n in weights if n not in names]
    with torch.no_grad():
        for name, (module, attribute) in names.items():
            if name not in weights:
                continue
            target = getattr(module, attribute)
            value = to_torch_layout(weights[name])
            if tuple(value.shape) != tuple(target.shape):
                problems.append(f'{name} is {list(weights[name].shape)}, the spec needs {list(to_esnac_layout(target).shape)}')
                continue
            target.copy_(value)
    if problems:
        raise WeightsError(f"the weights in {where} do not match architecture '{net.spec['name']}': " + '; '.join(problems[:10]))


def state(net):
    """{esnac name: a CPU float32 copy in tfjs layout}, in engine/model/weights.ts's order."""
    return {name: to_esnac_layout(getattr(module, attribute).detach()).float().cpu().contiguous().clone() for name, (module, attribute) in net.weight_names().items()}


def load_network(folder):
    """The network a weights folder describes, with its weights."""
    spec, _, weights = read_model(folder)
    net = SpecNetwork(spec)
    load_into(net, weights, folder)
    return net


def write_model(folder, spec, weights, training=None, normalisation=None):
    """Writes model.json + weights.bin into `folder`, each file whole or not at all; `normalisation`
    (the run's {rule, mean, std}) says what input the weights expect, as the engine records it."""
    os.makedirs(folder, exist_ok=True)
    manifest = [{'name': name, 'shape': list(t.shape), 'dtype': 'float32'} for name, t in weights.items()]
    data = b''.join(tensor_bytes(t) for t in weights.values())
    model = {'format': WEIGHTS_FORMAT, 'spec': spec}
    if training is not None:
        model['training'] = training
    if normalisation is not None and 'rule' in normalisation:
        model['normalisation'] = normalisation
    model['weightsManifest'] = [{'paths': [WEIGHTS_FILE], 'weights': manifest}]
    write_whole(os.path.join(folder, WEIGHTS_FILE), data)
    write_whole(os.path.join(folder, MODEL_FILE), (json.dumps(model, indent=2) + '\n').encode('utf-8'))


import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from conftest import spec_with
from esnac_trainer.network import SpecError, SpecNetwork, window_output
from esnac_trainer.weights import load_into, read_model, state, write_model


def run(spec, x):
    net = SpecNetwork(spec).eval()
    with torch.no_grad():
        return net, net(x)


@pytest.mark.parametrize('kind, fn', [('sigmoid', torch.sigmoid), ('hardsigmoid', F.hardsigmoid), ('hardswish', F.hardswish), ('silu', F.silu), ('tanh', torch.tanh), ('relu6', F.relu6)])
def test_activations_are_pytorchs(kind, fn):
    x = torch.randn(2, 4, 3, 3) * 4
    _, y = run(spec_with([{'id': 'a', 'type': kind}, {'id': 'f', 'type': 'flatten'}], (4, 3, 3), 36), x)
    assert torch.equal(y, fn(x).flatten(1))


def test_mul_broadcasts_a_channel_gate_over_height_and_width():
    # Squeeze-and-excitation: x * sigmoid(fc(gap(x))).
    layers = [
        {'id': 'gap', 'type': 'globalavgpool'},
        {'id': 'fc', 'type': 'conv', 'out': 4, 'kernel': 1},
        {'id': 'gate', 'type': 'hardsigmoid'},
        {'id': 'scaled', 'type': 'mul', 'inputs': ['input', 'gate']},
        {'id': 'f', 'type': 'flatten'},
    ]
    net, y = run(spec_with(layers, (4, 5, 5), 100), x := torch.randn(2, 4, 5, 5))
    conv = net.layers[1]
    gate = F.hardsigmoid(conv(x.mean((2, 3), keepdim=True)))
    assert torch.allclose(y, (x * gate).flatten(1))


@pytest.mark.parametrize('size, kernel, stride, padding', [(5, 2, 2, 0), (6, 3, 2, 1), (7, 3, 2, 1), (8, 3, 3, 1), (4, 2, 3, 1), (9, 4, 2, 2)])
@pytest.mark.parametrize('kind', ['maxpool', 'avgpool'])
def test_ceil_mode_and_count_include_pad_follow_pytorch(size, kernel, stride, padding, kind):
    x = torch.randn(1, 2, size, size)
    for ceil_mode in (False, True):
        for include in (True, False):
            layer = {'id': 'p', 'type': kind, 'kernel': kernel, 'stride': stride, 'padding': padding, 'ceilMode': ceil_mode}
            if kind == 'avgpool':
                layer['countIncludePad'] = include
                expected = F.avg_pool2d(x, kernel, stride, padding, ceil_mode=ceil_mode, count_include_pad=include)
            else:
                expected = F.max_pool2d(x, kernel, stride, padding, ceil_mode=ceil_mode)
            out = window_output(size, kernel, stride, padding, ceil_mode)
            assert expected.shape[-1] == out
            _, y = run(spec_with([layer, {'id': 'f', 'type': 'flatten'}], (2, size, size), 2 * out * out), x)
            assert torch.equal(y, expected.flatten(1))


def test_a_value_read_twice_by_one_layer_and_a_piece_of_a_network_timed_as_it_is():
    # The latency table's units: a sum of the input with itself, its output no logits vector.
    net = SpecNetwork(spec_with([{'id': 's', 'type': 'relu', 'inputs': ['input', 'input']}], (2, 3, 3), 18)).eval()
    x = torch.randn(2, 2, 3, 3)
    with torch.no_grad():
        assert torch.equal(net.output_value(x), torch.relu(x + x))
        assert torch.equal(net(x), torch.relu(x + x).reshape(2, 18))


def test_batchnorm_eps_and_momentum():
    net = SpecNetwork(spec_with([{'id': 'bn', 'type': 'batchnorm', 'eps': 1e-3}, {'id': 'f', 'type': 'flatten'}], (3, 2, 2), 12))
    bn = net.layers[0]
    assert bn.eps == 1e-3 and bn.momentum == 0.1
    assert SpecNetwork(spec_with([{'id': 'bn', 'type': 'batchnorm'}, {'id': 'f', 'type': 'flatten'}], (3, 2, 2), 12)).layers[0].eps == 1e-5


def test_flatten_is_channel_major_and_concat_sum_chunk_shuffle():
    layers = [
        {'id': 'a', 'type': 'chunk', 'chunks': 2, 'index': 1},
        {'id': 'b', 'type': 'chunk', 'chunks': 2, 'index': 0, 'inputs': ['input']},
        {'id': 's', 'type': 'identity', 'inputs': ['a', 'b']},
        {'id': 'c', 'type': 'concat', 'inputs': ['s', 'input']},
        {'id': 'sh', 'type': 'shuffle', 'groups': 3},
        {'id': 'f', 'type': 'flatten'},
    ]
    x = torch.randn(2, 4, 2, 3)
    _, y = run(spec_with(layers, (4, 2, 3), 36), x)
    c = torch.cat([x[:, 2:] + x[:, :2], x], 1)
    shuffled = c.view(2, 3, 2, 2, 3).transpose(1, 2).reshape(2, 6, 2, 3)
    assert torch.equal(y, shuffled.reshape(2, -1))


def test_unknown_type_and_bad_groups_are_refused():
    with pytest.raises(SpecError, match="unknown type 'gelu'"):
        SpecNetwork(spec_with([{'id': 'g', 'type': 'gelu'}]))
    with pytest.raises(SpecError, match='groups'):
        SpecNetwork(spec_with([{'id': 'c', 'type': 'conv', 'out': 6, 'kernel': 1, 'groups': 3}]))


def test_weights_round_trip_in_tfjs_layout(tmp_path):
    spec = spec_with([
        {'id': 'c', 'type': 'conv', 'out': 6, 'kernel': 3, 'groups': 2},
        {'id': 'bn', 'type': 'batchnorm'},
        {'id': 'f', 'type': 'flatten'},
        {'id': 'fc', 'type': 'linear', 'out': 5, 'bias': False},
    ], (4, 5, 5), 5)
    net = SpecNetwork(spec)
    saved = state(net)
    assert list(saved) == ['c/weight', 'c/bias', 'bn/weight', 'bn/bias', 'bn/running_mean', 'bn/running_var', 'fc/weight']
    assert list(saved['c/weight'].shape) == [3, 3, 2, 6] and list(saved['fc/weight'].shape) == [54, 5]
    write_model(str(tmp_path), spec, saved, {'note': 1})
    read_spec, training, weights = read_model(str(tmp_path))
    assert read_spec == spec and training == {'note': 1}
    other = SpecNetwork(spec)
    load_into(other, weights, str(tmp_path))
    x = torch.randn(2, 4, 5, 5)
    net.eval(), other.eval()
    assert torch.equal(net(x), other(x))

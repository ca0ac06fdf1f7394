"""Checks an exported student against the outputs tfjs computed for it.
Usage: check_export.py CASE.json, where the case names the .py file, the .onnx file, the input
(raw float32 NCHW), its shape, tfjs's outputs and the spec's parameter count.
Prints a JSON report: parameter counts, largest output differences, the ONNX checker's verdict."""
import importlib.util
import json
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper
import torch
import torch.nn.functional as F


def run_pytorch(path, x):
    spec = importlib.util.spec_from_file_location('student', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    model = module.build().eval()
    with torch.no_grad():
        return sum(p.numel() for p in model.parameters()), model(x)


def run_onnx(model, x):
    """Evaluates the graph with torch, operator by operator (Debian has no onnxruntime)."""
    values = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x
    for n in model.graph.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        i = [values[name] for name in n.input]
        op = n.op_type
        if op == 'Conv':
            p = a['pads']
            assert p[:2] == p[2:] and a.get('dilations', [1, 1]) == [1, 1]
            y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a['strides'], p[:2], 1, a['group'])
        elif op == 'Gemm':
            assert a.get('transB') == 1
            y = F.linear(i[0], i[1], i[2] if len(i) > 2 else None)
        elif op == 'BatchNormalization':
            y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a['epsilon'])
        elif op == 'Relu':
            y = F.relu(i[0])
        elif op == 'Clip':
            y = i[0].clamp(i[1].item(), i[2].item())
        elif op == 'Slice':
            y = i[0]
            for start, end, axis in zip(i[1].tolist(), i[2].tolist(), i[3].tolist()):
                y = y.narrow(axis, start, end - start)
        elif op == 'MaxPool':
            y = F.max_pool2d(padded(i[0], a['pads'], float('-inf')), a['kernel_shape'], a['strides'])
        elif op == 'AveragePool':
            # ONNX divides by the window's cells, counting the padding or not.
            cells = padded(torch.ones_like(i[0][:1, :1]), a['pads'], float(a['count_include_pad']))
            sums = F.avg_pool2d(padded(i[0], a['pads'], 0.0), a['kernel_shape'], a['strides'])
            y = sums / F.avg_pool2d(cells, a['kernel_shape'], a['strides'])
        elif op == 'Pad':
            assert a.get('mode', b'constant') == b'constant' and len(i) == 2
            begin, end = i[1].tolist()[:4], i[1].tolist()[4:]
            y = F.pad(i[0], [begin[3], end[3], begin[2], end[2], begin[1], end[1], begin[0], end[0]])
        elif op == 'Sigmoid':
            y = torch.sigmoid(i[0])
        elif op == 'Tanh':
            y = torch.tanh(i[0])
        elif op == 'HardSigmoid':
            y = (a['alpha'] * i[0] + a['beta']).clamp(0, 1)
        elif op == 'Mul':
            y = i[0] * i[1]
        elif op == 'GlobalAveragePool':
            y = i[0].mean((2, 3), keepdim=True)
        elif op == 'Flatten':
            y = torch.flatten(i[0], a['axis'])
        elif op == 'Concat':
            y = torch.cat(i, a['axis'])
        elif op == 'Sum':
            y = sum(i[1:], i[0])
        elif op == 'Reshape':
            shape = [d if d != 0 else i[0].shape[k] for k, d in enumerate(i[1].tolist())]
            y = i[0].reshape(shape)
        elif op == 'Transpose':
            y = i[0].permute(a['perm'])
        elif op in ('Identity', 'Dropout'):
            y = i[0]
        else:
            raise ValueError(f'no evaluator for {op}')
        values[n.output[0]] = y
    return values[model.graph.output[0].name]


def padded(x, pads, value):
    """x [N, C, H, W] padded as ONNX's pads [top, left, bottom, right] say, with `value`."""
    top, left, bottom, right = pads
    return F.pad(x, [left, right, top, bottom], value=value)


def onnx_params(model):
    """Initializers that are parameters: not batchnorm running statistics, shapes or ratios."""
    buffers = {name for n in model.graph.node if n.op_type == 'BatchNormalization' for name in n.input[3:]}
    return sum(int(np.prod(t.dims)) for t in model.graph.initializer
               if t.name not in buffers and t.data_type == onnx.TensorProto.FLOAT and len(t.dims) > 0)


def largest_difference(y, expected):
    return float((y.reshape(-1) - torch.tensor(expected)).abs().max())


def main(case_path):
    with open(case_path) as f:
        case = json.load(f)
    x = torch.from_numpy(np.fromfile(case['input'], dtype='<f4').reshape(case['inputShape']))
    params, y = run_pytorch(case['pytorch'], x)
    model = onnx.load(case['onnx'])
    onnx.checker.check_model(model, full_check=True)
    report = {
        'pytorchParams': params,
        'pytorchDifference': largest_difference(y, case['expected']),
        'onnxParams': onnx_params(model),
        'onnxDifference': largest_difference(run_onnx(model, x), case['expected']),
        'onnxChecked': True,
    }
    print(json.dumps(report))


if __name__ == '__main__':
    main(sys.argv[1])

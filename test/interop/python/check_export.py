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
            y = F.max_pool2d(i[0], a['kernel_shape'], a['strides'], a['pads'][:2])
        elif op == 'AveragePool':
            assert a['count_include_pad'] == 1
            y = F.avg_pool2d(i[0], a['kernel_shape'], a['strides'], a['pads'][:2], count_include_pad=True)
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

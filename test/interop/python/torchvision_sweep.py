"""Exports every classification model of torchvision (random weights and batchnorm statistics,
eval mode, 10 classes) with torch.onnx.export, once with its default (training=EVAL, which folds
batchnorm into the convs) and once with training=PRESERVE, at the smallest input each model takes.
Per model and mode it writes NAME.MODE.onnx and, in sweep.json, the input (NAME.input.bin, raw
float32 NCHW), PyTorch's output for it and the parameter count the import must give: PyTorch's
with PRESERVE, the exported graph's with EVAL (a folded batchnorm's 2C parameters are gone, its
conv has C biases instead; equal tensors that torch.onnx stored once count once per layer).
Usage: torchvision_sweep.py OUT_DIR [NAME...] (every classification model without names)."""
import json
import os
import sys
import time

import torch
import torchvision
from torchvision import models

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torchvision_models import randomise_batchnorm  # noqa: E402

# Inputs are square, batch 1. Models that pool to a fixed grid (AdaptiveAvgPool2d(7) in VGG, (6)
# in AlexNet) need the size that gives that grid (torch.onnx cannot export an adaptive pool that
# upsamples); vision transformers take their image size as an argument; the rest take 32x32.
SIZES = {'alexnet': 224, 'inception_v3': 75, 'maxvit_t': 224, 'swin_t': 224, 'swin_s': 224, 'swin_b': 224,
         'swin_v2_t': 256, 'swin_v2_s': 256, 'swin_v2_b': 256}
SIZES.update({name: 224 for name in ['vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn']})
ARGUMENTS = {'googlenet': {'aux_logits': False, 'init_weights': True}, 'inception_v3': {'aux_logits': False, 'init_weights': True}}
ARGUMENTS.update({name: {'image_size': 32} for name in ['vit_b_16', 'vit_b_32', 'vit_l_16', 'vit_l_32', 'vit_h_14']})
# Weights over 2 GB do not fit one protobuf: torch.onnx cannot write these without external data.
TOO_BIG = {'vit_h_14', 'regnet_y_128gf'}
MODES = {'default': None, 'preserve': torch.onnx.TrainingMode.PRESERVE}


# The inputs of each operator that are parameters of a layer.
PARAMETER_INPUTS = {'Conv': slice(1, 3), 'Gemm': slice(1, 3), 'MatMul': slice(1, 2), 'BatchNormalization': slice(1, 3)}


def layer_params(model):
    """The parameters of the graph's layers: a tensor torch.onnx stored once for several layers
    (equal zero biases, read through Identity nodes) counts for each, as each module holds its own."""
    sizes = {t.name: int(np.prod(t.dims)) for t in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == 'Identity' and n.input[0] in sizes:
            sizes[n.output[0]] = sizes[n.input[0]]
    return sum(sizes.get(name, 0) for n in model.graph.node for name in n.input[PARAMETER_INPUTS.get(n.op_type, slice(0, 0))])


def export(name, out_dir, seed):
    torch.manual_seed(seed)
    model = models.get_model(name, num_classes=10, **ARGUMENTS.get(name, {}))
    randomise_batchnorm(model)
    model.eval()
    size = SIZES.get(name, 32)
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        y = model(x)
    x.numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.input.bin'))
    result = {'name': name, 'inputShape': list(x.shape), 'output': y.reshape(-1).tolist(), 'modes': {}}
    for mode, training in MODES.items():
        path = os.path.join(out_dir, f'{name}.{mode}.onnx')
        start = time.time()
        options = {} if training is None else {'training': training}
        try:
            torch.onnx.export(model, x, path, opset_version=13, do_constant_folding=True, input_names=['input'], output_names=['logits'], **options)
        except Exception as err:  # noqa: BLE001: any failure of torch.onnx is reported for the model
            result['modes'][mode] = {'exportError': f'{type(err).__name__}: {str(err).splitlines()[0]}'}
            continue
        params = sum(p.numel() for p in model.parameters()) if training is not None else layer_params(onnx.load(path, load_external_data=False))
        result['modes'][mode] = {'onnx': path, 'params': params, 'exportSeconds': round(time.time() - start, 1)}
    return result


def main(out_dir, names):
    names = names or models.list_models(module=models)
    results = []
    for i, name in enumerate(names):
        if name in TOO_BIG:
            results.append({'name': name, 'skipped': 'its weights are over the 2 GB an .onnx file holds without external data'})
            continue
        results.append(export(name, out_dir, i))
        print(f'{name} exported', file=sys.stderr, flush=True)
    with open(os.path.join(out_dir, 'sweep.json'), 'w') as f:
        json.dump(results, f)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])

"""Exports torchvision models (random weights and batchnorm statistics, eval mode) with
torch.onnx.export and writes, per model, NAME.onnx, an input (NAME.input.bin, raw float32 NCHW)
and, in models.json, PyTorch's parameter count and output for it.
Usage: torchvision_models.py OUT_DIR SIZE NAME..."""
import json
import os
import sys

import torch
import torchvision


def vgg11_bn_small_head():
    # torchvision's VGG ends in AdaptiveAvgPool2d(7) + a 25088-input classifier, which on small
    # images upsamples (not expressible, and not exportable by torch.onnx): the features are
    # torchvision's, the head pools globally into a smaller classifier of the same form.
    m = torchvision.models.vgg11_bn(num_classes=10)
    m.avgpool = torch.nn.AdaptiveAvgPool2d(1)
    m.classifier = torch.nn.Sequential(torch.nn.Linear(512, 128), torch.nn.ReLU(True), torch.nn.Dropout(), torch.nn.Linear(128, 10))
    return m


MODELS = {
    'resnet18': lambda: torchvision.models.resnet18(num_classes=10),
    'vgg11_bn': vgg11_bn_small_head,
    'mobilenet_v2': lambda: torchvision.models.mobilenet_v2(num_classes=10),
    'shufflenet_v2_x0_5': lambda: torchvision.models.shufflenet_v2_x0_5(num_classes=10),
}

# Exported with a symbolic batch axis, as deployed models usually are. The others keep batch 2:
# ShuffleNetV2's channel shuffle reads the batch size from the input's shape, which esnac's
# importer folds only when it is fixed (and then refuses the model at its channel split).
SYMBOLIC_BATCH = {'resnet18', 'vgg11_bn'}


def randomise_batchnorm(model):
    """Batchnorm layers start as identities; random statistics make the comparison mean something."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)


def main(out_dir, size, names):
    results = []
    for i, name in enumerate(names):
        torch.manual_seed(i)
        model = MODELS[name]()
        randomise_batchnorm(model)
        model.eval()
        x = torch.randn(2, 3, size, size)
        path = os.path.join(out_dir, f'{name}.onnx')
        torch.onnx.export(model, x, path, opset_version=13, do_constant_folding=True, input_names=['input'], output_names=['logits'],
                          # PRESERVE keeps batchnorm layers (EVAL would fold them into the convolutions).
                          training=torch.onnx.TrainingMode.PRESERVE,
                          dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}} if name in SYMBOLIC_BATCH else None)
        with torch.no_grad():
            y = model(x)
        x.numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.input.bin'))
        results.append({'name': name, 'params': sum(p.numel() for p in model.parameters()), 'inputShape': list(x.shape), 'output': y.reshape(-1).tolist()})
    with open(os.path.join(out_dir, 'models.json'), 'w') as f:
        json.dump(results, f)


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])

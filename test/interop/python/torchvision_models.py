"""Exports torchvision models (random weights and batchnorm statistics, eval mode) with
torch.onnx.export and writes, per model, NAME.onnx, an input (NAME.input.bin, raw float32 NCHW)
and, in models.json, PyTorch's parameter count and output for it.
Usage: torchvision_models.py OUT_DIR NAME..."""
import json
import os
import sys

import torch
import torchvision

MODELS = {
    'resnet18': lambda: torchvision.models.resnet18(num_classes=10),
    'vgg11_bn': lambda: torchvision.models.vgg11_bn(num_classes=10),
    'mobilenet_v2': lambda: torchvision.models.mobilenet_v2(num_classes=10),
    'shufflenet_v2_x0_5': lambda: torchvision.models.shufflenet_v2_x0_5(num_classes=10),
}

# (batch, image size): 32x32 unless the model needs more. VGG's AdaptiveAvgPool2d(7) upsamples
# a smaller map (which torch.onnx cannot export); at 224x224 its features give 7x7 and the pool
# is an identity (AveragePool 1x1). Batch 1 keeps its 7.6 GMACs cheap.
INPUTS = {'vgg11_bn': (1, 224)}

# Every model is exported with a symbolic batch axis, as deployed models usually are. ShuffleNetV2's
# channel shuffle then reads the batch size from the input's shape (Shape - Gather - Unsqueeze -
# Concat into its Reshape targets), which esnac's importer takes as the batch axis kept.
SYMBOLIC_BATCH = {'input': {0: 'batch'}, 'logits': {0: 'batch'}}


def randomise_batchnorm(model):
    """Batchnorm layers start as identities; random statistics make the comparison mean something."""
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            with torch.no_grad():
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)


def main(out_dir, names):
    results = []
    for i, name in enumerate(names):
        torch.manual_seed(i)
        model = MODELS[name]()
        randomise_batchnorm(model)
        model.eval()
        batch, size = INPUTS.get(name, (2, 32))
        x = torch.randn(batch, 3, size, size)
        path = os.path.join(out_dir, f'{name}.onnx')
        torch.onnx.export(model, x, path, opset_version=13, do_constant_folding=True, input_names=['input'], output_names=['logits'],
                          # PRESERVE keeps batchnorm layers (EVAL would fold them into the convolutions).
                          training=torch.onnx.TrainingMode.PRESERVE,
                          dynamic_axes=SYMBOLIC_BATCH)
        with torch.no_grad():
            y = model(x)
        x.numpy().astype('<f4').tofile(os.path.join(out_dir, f'{name}.input.bin'))
        results.append({'name': name, 'params': sum(p.numel() for p in model.parameters()), 'inputShape': list(x.shape), 'output': y.reshape(-1).tolist()})
    with open(os.path.join(out_dir, 'models.json'), 'w') as f:
        json.dump(results, f)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2:])

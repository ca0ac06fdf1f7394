"""Exports torchvision models and hand-written nets as people write them (random weights and
batchnorm statistics, eval mode) with torch.onnx.export and writes, per model, NAME.onnx, an
input (NAME.input.bin, raw float32 NCHW) and, in models.json, PyTorch's parameter count and
output for it.
Usage: torchvision_models.py OUT_DIR NAME..."""
import json
import os
import sys

import torch
import torch.nn.functional as F
import torchvision
from torch import nn


class LeNet5(nn.Module):
    """LeCun's LeNet-5 as tutorials write it: tanh, nn.AvgPool2d subsampling."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2), nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class MnistExample(nn.Module):
    """pytorch/examples' MNIST net: ends in log_softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(self.dropout1(x), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


class CifarBlock(nn.Module):
    def __init__(self, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(planes // stride, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        # The option-A shortcut of He et al.'s CIFAR ResNets, as a padded average pooling here.
        shortcut = x if self.stride == 1 else torch.cat([F.avg_pool2d(x, 3, 2, 1), F.avg_pool2d(x, 3, 2, 1)], 1)
        return F.relu(out + shortcut)


class CifarResNet(nn.Module):
    """A hand-written CIFAR ResNet: F.avg_pool2d in its shortcuts and before the classifier, x.view(x.size(0), -1)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = CifarBlock(16, 1)
        self.layer2 = CifarBlock(32, 2)
        self.linear = nn.Linear(32, 10)

    def forward(self, x):
        out = self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x)))))
        out = F.avg_pool2d(out, 16)
        return self.linear(out.view(out.size(0), -1))


MODELS = {
    'resnet18': lambda: torchvision.models.resnet18(num_classes=10),
    'vgg11_bn': lambda: torchvision.models.vgg11_bn(num_classes=10),
    'mobilenet_v2': lambda: torchvision.models.mobilenet_v2(num_classes=10),
    'shufflenet_v2_x0_5': lambda: torchvision.models.shufflenet_v2_x0_5(num_classes=10),
    'efficientnet_b0': lambda: torchvision.models.efficientnet_b0(num_classes=10),
    'mobilenet_v3_small': lambda: torchvision.models.mobilenet_v3_small(num_classes=10),
    'regnet_y_400mf': lambda: torchvision.models.regnet_y_400mf(num_classes=10),
    'lenet5': LeNet5,
    'mnist_example': MnistExample,
    'cifar_resnet': CifarResNet,
}

# (batch, channels, image size): 2x3x32x32 unless the model needs another. VGG's
# AdaptiveAvgPool2d(7) upsamples a smaller map (which torch.onnx cannot export); at 224x224 its
# features give 7x7 and the pool is an identity (AveragePool 1x1). Batch 1 keeps its 7.6 GMACs
# cheap. The MNIST nets read 1x28x28.
INPUTS = {'vgg11_bn': (1, 3, 224), 'lenet5': (2, 1, 28), 'mnist_example': (2, 1, 28)}

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
        batch, channels, size = INPUTS.get(name, (2, 3, 32))
        x = torch.randn(batch, channels, size, size)
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

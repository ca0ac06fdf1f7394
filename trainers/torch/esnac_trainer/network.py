"""An esnac architecture spec (esnac.architecture/v1, schemas/architecture.schema.json) as a torch
nn.Module, with exactly engine/model/network.ts's semantics: inputs default to the previous layer,
several inputs are summed (concat joins channels, mul multiplies with broadcasting), flatten is in
CHW order, pools pad as PyTorch does (-inf for max, zeros counted by average unless
countIncludePad is false), batchnorm has momentum 0.1 and eps 1e-5 unless the layer says otherwise.

Every value is [N, C, H, W]; flat features are [N, F, 1, 1], so a [C, 1, 1] gate broadcasts over
H and W in mul. Parameters are named by esnac weight names through `weight_names`.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_ID = 'input'
BN_MOMENTUM = 0.1
BN_EPSILON = 1e-5

ACTIVATIONS = {
    'relu': F.relu,
    'relu6': F.relu6,
    'sigmoid': torch.sigmoid,
    'hardsigmoid': F.hardsigmoid,
    'hardswish': F.hardswish,
    'silu': F.silu,
    'tanh': torch.tanh,
}


class SpecError(ValueError):
    """The spec cannot be built (a shape that does not fit, an unknown layer type)."""


def layer_inputs(spec, index):
    layer = spec['layers'][index]
    if 'inputs' in layer:
        return list(layer['inputs'])
    return [INPUT_ID] if index == 0 else [spec['layers'][index - 1]['id']]


def topological_order(spec):
    """(index, layer, inputs) in engine/architecture/graph.ts's order: Kahn's, ties in file order."""
    entries = [(i, layer, layer_inputs(spec, i)) for i, layer in enumerate(spec['layers'])]
    ids = {layer['id']: i for i, layer, _ in entries}
    pending = {}
    dependants = {}
    for i, layer, inputs in entries:
        count = 0
        for src in inputs:
            if src == INPUT_ID:
                continue
            if src not in ids:
                raise SpecError(f"layer '{layer['id']}' reads unknown layer '{src}'")
            count += 1
            dependants.setdefault(src, []).append(i)
        pending[layer['id']] = count
    ready = [i for i, layer, _ in entries if pending[layer['id']] == 0]
    order = []
    while ready:
        ready.sort()
        nxt = entries[ready.pop(0)]
        order.append(nxt)
        for d in dependants.get(nxt[1]['id'], []):
            lid = entries[d][1]['id']
            pending[lid] -= 1
            if pending[lid] == 0:
                ready.append(d)
    if len(order) != len(entries):
        raise SpecError('the layers form a cycle')
    return order


def window_output(size, kernel, stride, padding, ceil_mode=False):
    """PyTorch's pooling output size; in ceil mode the last window must start inside the input."""
    span = size + 2 * padding - kernel
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def _pool(layer):
    kernel = layer['kernel']
    stride = layer.get('stride', kernel)
    padding = layer.get('padding', 0)
    ceil_mode = layer.get('ceilMode', False)
    if layer['type'] == 'maxpool':
        return nn.MaxPool2d(kernel, stride, padding, ceil_mode=ceil_mode)
    return nn.AvgPool2d(kernel, stride, padding, ceil_mode=ceil_mode, count_include_pad=layer.get('countIncludePad', True))


class Chunk(nn.Module):
    def __init__(self, chunks, index):
        super().__init__()
        self.chunks, self.index = chunks, index

    def forward(self, x):
        size = x.shape[1] // self.chunks
        return x[:, self.index * size:(self.index + 1) * size]


class Shuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        n, c, h, w = x.shape
        return x.reshape(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class Linear(nn.Linear):
    """A linear layer on flat features [N, F, 1, 1]."""

    def forward(self, x):
        return super().forward(x.flatten(1))[:, :, None, None]


class Function(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


def _flatten(x):
    return x.reshape(x.shape[0], -1, 1, 1)


def _globalavgpool(x):
    return x.mean((2, 3), keepdim=True)


def _reduce(op, values):
    total = values[0]
    for v in values[1:]:
        total = op(total, v)
    return total


def _identity(x):
    return x


def build_layer(layer, in_shape):
    """(module, output shape [C, H, W]) for one layer reading `in_shape`."""
    kind = layer['type']
    c, h, w = in_shape
    if kind == 'conv':
        k, stride, padding, groups = layer['kernel'], layer.get('stride', 1), layer.get('padding', 0), layer.get('groups', 1)
        if c % groups or layer['out'] % groups:
            raise SpecError(f"conv '{layer['id']}': groups ({groups}) must divide {c} inputs and {layer['out']} outputs")
        out_h, out_w = window_output(h, k, stride, padding), window_output(w, k, stride, padding)
        module = nn.Conv2d(c, layer['out'], k, stride, padding, groups=groups, bias=layer.get('bias', True))
        return module, (layer['out'], out_h, out_w)
    if kind == 'linear':
        if h != 1 or w != 1:
            raise SpecError(f"linear '{layer['id']}' needs flat features but receives {c}x{h}x{w}")
        return Linear(c, layer['out'], bias=layer.get('bias', True)), (layer['out'], 1, 1)
    if kind == 'batchnorm':
        return nn.BatchNorm2d(c, eps=layer.get('eps', BN_EPSILON), momentum=BN_MOMENTUM), in_shape
    if kind in ('maxpool', 'avgpool'):
        k = layer['kernel']
        stride, padding, ceil_mode = layer.get('stride', k), layer.get('padding', 0), layer.get('ceilMode', False)
        return _pool(layer), (c, window_output(h, k, stride, padding, ceil_mode), window_output(w, k, stride, padding, ceil_mode))
    if kind == 'globalavgpool':
        return Function(_globalavgpool), (c, 1, 1)
    if kind == 'flatten':
        return Function(_flatten), (c * h * w, 1, 1)
    if kind == 'shuffle':
        return Shuffle(layer['groups']), in_shape
    if kind == 'chunk':
        return Chunk(layer['chunks'], layer['index']), (c // layer['chunks'], h, w)
    if kind == 'dropout':
        return nn.Dropout(layer['rate']), in_shape
    if kind in ACTIVATIONS:
        return Function(ACTIVATIONS[kind]), in_shape
    if kind in ('identity', 'concat', 'mul'):
        return Function(_identity), in_shape
    raise SpecError(f"layer '{layer['id']}' has unknown type '{kind}'")


def _combined_shape(layer, shapes):
    if layer['type'] == 'concat':
        return (sum(s[0] for s in shapes), shapes[0][1], shapes[0][2])
    if layer['type'] == 'mul':
        return tuple(max(s[axis] for s in shapes) for axis in range(3))
    return shapes[0]


# The kinds of weight a layer type owns, in engine/model/weights.ts's order, with the module
# attribute holding each.
WEIGHT_KINDS = {
    'conv': (('weight', 'weight'), ('bias', 'bias')),
    'linear': (('weight', 'weight'), ('bias', 'bias')),
    'batchnorm': (('weight', 'weight'), ('bias', 'bias'), ('running_mean', 'running_mean'), ('running_var', 'running_var')),
}


class SpecNetwork(nn.Module):
    """forward(images [N, C, H, W]) -> logits [N, classes]."""

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        inp = spec['input']
        shapes = {INPUT_ID: (inp['channels'], inp['height'], inp['width'])}
        self.plan = []
        self.layers = nn.ModuleList()
        self.shapes = {}
        for index, layer, inputs in topological_order(spec):
            in_shape = _combined_shape(layer, [shapes[i] for i in inputs])
            module, shape = build_layer(layer, in_shape)
            if min(shape) < 1:
                raise SpecError(f"layer '{layer['id']}' gives an empty output {shape[0]}x{shape[1]}x{shape[2]}")
            shapes[layer['id']] = shape
            self.shapes[layer['id']] = shape
            self.plan.append((layer['id'], layer['type'], inputs, len(self.layers)))
            self.layers.append(module)
        self.output = spec.get('output', spec['layers'][-1]['id'])
        self.classes = spec['classes']
        # Values no later layer reads are dropped as soon as possible (memory of deep nets).
        last_use = {}
        for step, (_, _, inputs, _) in enumerate(self.plan):
            for src in inputs:
                last_use[src] = step
        # dict.fromkeys: a layer may read one value twice (a sum of a value with itself).
        self.release = [[src for src in dict.fromkeys(inputs) if last_use[src] == step and src != self.output] for step, (_, _, inputs, _) in enumerate(self.plan)]

    def forward(self, x):
        return self.output_value(x).reshape(x.shape[0], self.classes)

    def output_value(self, x):
        """The output layer's value in its own shape: the latency table times pieces of networks, whose output is no logits vector."""
        values = {INPUT_ID: x}
        for step, (lid, kind, inputs, module) in enumerate(self.plan):
            args = [values[i] for i in inputs]
            combined = torch.cat(args, 1) if kind == 'concat' and len(args) > 1 else _reduce(torch.mul if kind == 'mul' else torch.add, args)
            values[lid] = self.layers[module](combined)
            for src in self.release[step]:
                del values[src]
        return values[self.output]

    def weight_names(self):
        """esnac weight name -> (module, attribute), in engine/model/weights.ts's order."""
        names = {}
        for lid, kind, _, module in self.plan:
            layer = self.layers[module]
            for weight_kind, attribute in WEIGHT_KINDS.get(kind, ()):
                if getattr(layer, attribute) is not None:
                    names[f'{lid}/{weight_kind}'] = (layer, attribute)
        return names

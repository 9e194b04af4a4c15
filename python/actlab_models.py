"""actlab's models and activations in PyTorch: the contract for loading a run's weights in Python.

Every model and activation that actlab registers (models/*.cpp, src/activations/*.cpp), with the
same parameter and buffer names and the same forward pass, op for op:

    import torch, actlab_models
    model = actlab_models.from_config("RUN/config.json")
    model.load_state_dict(torch.load("RUN/model.pt", weights_only=True))
    model.eval()

`probe_batch("RUN")` rebuilds the images the run's per-layer probes measured (probe_images.json),
normalised as actlab normalises them. Needs torch 1.13 or later, nothing else. A test
(tests/test_weights.cpp, tag [python]) checks that this file reproduces actlab's logits and
probes; a change to a model or activation in C++ must be made here too.
"""

import json
import math
import os

import torch
import torch.nn.functional as F
from torch import nn

NUM_CLASSES = 10

# Constants of Klambauer et al. 2017, as LibTorch uses them (src/activations/selu.cpp).
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _indicator(condition, like):
    return condition.to(like.dtype)


# name -> (parameters with defaults, f(x, p, learned), f'(x, p, learned)); p: parameter -> float.
# The formulas are those of src/activations/<name>.cpp, in the same operation order.
ACTIVATIONS = {
    "relu": ({}, lambda x, p, w: torch.relu(x), lambda x, p, w: _indicator(x > 0, x)),
    # relu's values; f'(0) = at_zero (the derivative only matters to training, not to model.pt).
    "relu_subgradient": (
        {"at_zero": 0.5},
        lambda x, p, w: torch.relu(x),
        lambda x, p, w: _indicator(x > 0, x) + p["at_zero"] * _indicator(x == 0, x),
    ),
    "leaky_relu": (
        {"slope": 0.01},
        lambda x, p, w: F.leaky_relu(x, p["slope"]),
        lambda x, p, w: torch.where(x > 0, torch.ones_like(x), torch.full_like(x, p["slope"])),
    ),
    "prelu": (
        {"init": 0.25},
        lambda x, p, w: F.prelu(x, w.to(x.dtype)),
        lambda x, p, w: torch.where(x > 0, torch.ones_like(x), w.to(x.dtype).expand_as(x)),
    ),
    "elu": (
        {"alpha": 1.0},
        lambda x, p, w: F.elu(x, p["alpha"]),
        lambda x, p, w: torch.where(x > 0, torch.ones_like(x), p["alpha"] * torch.exp(x)),
    ),
    "selu": (
        {},
        lambda x, p, w: torch.selu(x),
        lambda x, p, w: SELU_SCALE
        * torch.where(x > 0, torch.ones_like(x), SELU_ALPHA * torch.exp(x)),
    ),
    "gelu": (
        {},
        lambda x, p, w: F.gelu(x),
        lambda x, p, w: 0.5 * (1 + torch.erf(x / math.sqrt(2.0)))
        + x * (torch.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)),
    ),
    "silu": (
        {},
        lambda x, p, w: F.silu(x),
        lambda x, p, w: torch.sigmoid(x) * (1 + x * (1 - torch.sigmoid(x))),
    ),
    "mish": ({}, lambda x, p, w: F.mish(x), lambda x, p, w: _mish_derivative(x)),
    "softplus": (
        {"beta": 1.0},
        lambda x, p, w: F.softplus(x, p["beta"], 20),
        lambda x, p, w: torch.sigmoid(p["beta"] * x),
    ),
    "sigmoid": ({}, lambda x, p, w: torch.sigmoid(x), lambda x, p, w: _sigmoid_slope(x)),
    "scaled_sigmoid": (
        {"k": 4.0},
        lambda x, p, w: torch.sigmoid(p["k"] * x),
        lambda x, p, w: p["k"] * torch.sigmoid(p["k"] * x) * (1 - torch.sigmoid(p["k"] * x)),
    ),
    "centered_sigmoid": (
        {},
        lambda x, p, w: torch.sigmoid(x) - 0.5,
        lambda x, p, w: _sigmoid_slope(x),
    ),
    "bipolar_sigmoid": (
        {},
        lambda x, p, w: 2 * torch.sigmoid(x) - 1,
        lambda x, p, w: 2 * torch.sigmoid(x) * (1 - torch.sigmoid(x)),
    ),
    "tanh": ({}, lambda x, p, w: torch.tanh(x), lambda x, p, w: 1 - torch.tanh(x) * torch.tanh(x)),
    "hardtanh": (
        {"min": -1.0, "max": 1.0},
        lambda x, p, w: F.hardtanh(x, p["min"], p["max"]),
        lambda x, p, w: _indicator((x > p["min"]) & (x < p["max"]), x),
    ),
    "relu6": (
        {},
        lambda x, p, w: F.hardtanh(x, 0, 6),
        lambda x, p, w: _indicator((x > 0) & (x < 6), x),
    ),
    "hardsigmoid": (
        {},
        lambda x, p, w: F.hardsigmoid(x),
        lambda x, p, w: _indicator((x > -3) & (x < 3), x) / 6.0,
    ),
    "hardswish": (
        {},
        lambda x, p, w: F.hardswish(x),
        lambda x, p, w: torch.where(
            x < -3,
            torch.zeros_like(x),
            torch.where(x <= 3, x / 3.0 + 0.5, torch.ones_like(x)),
        ),
    ),
    "identity": ({}, lambda x, p, w: x, lambda x, p, w: torch.ones_like(x)),
}


def _sigmoid_slope(x):
    s = torch.sigmoid(x)
    return s * (1 - s)


def _mish_derivative(x):
    t = torch.tanh(F.softplus(x))
    return t + x * (1 - t * t) * torch.sigmoid(x)


def parse_activation_spec(spec):
    """'leaky_relu:slope=0.2' -> ('leaky_relu', {'slope': 0.2}), defaults filled in."""
    name, _, rest = spec.partition(":")
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation '{name}': valid are {', '.join(ACTIVATIONS)}")
    values = dict(ACTIVATIONS[name][0])
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        if key not in values:
            raise ValueError(f"activation '{name}' has no parameter '{key}'")
        values[key] = float(value)
    return name, values


class Activation(nn.Module):
    """One activation layer (actlab's ActivationImpl): f(x), and f'(x) in closed form for probes.

    PReLU's learned slope is the parameter `weight` of shape [1], as in C++ and nn.PReLU.
    """

    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.name, self.values = parse_activation_spec(spec)
        if self.name == "prelu":
            self.weight = nn.Parameter(torch.full((1,), self.values["init"]))
        else:
            self.weight = None

    def forward(self, x):
        return ACTIVATIONS[self.name][1](x, self.values, self.weight)

    @torch.no_grad()
    def derivative(self, x):
        return ACTIVATIONS[self.name][2](x, self.values, self.weight)

    @torch.no_grad()
    def max_abs_derivative(self):
        """The largest |f'| on [-10, 10] in steps of 0.001 (saturation_fraction's scale)."""
        grid = torch.arange(-10000, 10001, dtype=torch.float64) / 1000.0
        return self.derivative(grid).abs().max().item()

    def extra_repr(self):
        return self.spec


def _conv(in_channels, out_channels, kernel_size, stride, batch_norm):
    # "same" padding; no bias when batch norm follows (its shift is the bias). models/layers.cpp
    return nn.Conv2d(
        in_channels,
        out_channels,
        kernel_size,
        stride=stride,
        padding=kernel_size // 2,
        bias=not batch_norm,
    )


class ConvUnit(nn.Module):
    """conv -> [batch norm] -> activation; children conv, bn, act (models/layers.cpp)."""

    def __init__(self, in_channels, out_channels, kernel_size, activation, batch_norm):
        super().__init__()
        self.conv = _conv(in_channels, out_channels, kernel_size, 1, batch_norm)
        self.bn = nn.BatchNorm2d(out_channels) if batch_norm else None
        self.act = Activation(activation)

    def forward(self, x):
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)


def _conv_stages(channels, activation, batch_norm, in_channels=3):
    """stage1..S, each with layer1..L (models/layers.cpp add_conv_stages)."""
    stages = []
    for widths in channels:
        units = nn.Sequential()
        for index, out_channels in enumerate(widths):
            units.add_module(
                f"layer{index + 1}", ConvUnit(in_channels, out_channels, 3, activation, batch_norm)
            )
            in_channels = out_channels
        stages.append(units)
    return stages


class Krizhevsky4(nn.Module):
    """models/krizhevsky4.cpp: cuda-convnet's layers-18pct without local response norm."""

    def __init__(self, activation, batch_norm):
        super().__init__()
        self.conv1 = ConvUnit(3, 32, 5, activation, batch_norm)
        self.conv2 = ConvUnit(32, 32, 5, activation, batch_norm)
        self.conv3 = ConvUnit(32, 64, 5, activation, batch_norm)
        self.classifier = nn.Linear(64 * 4 * 4, NUM_CLASSES)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 3, stride=2, padding=1)
        x = F.avg_pool2d(self.conv2(x), 3, stride=2, padding=1, count_include_pad=False)
        x = F.avg_pool2d(self.conv3(x), 3, stride=2, padding=1, count_include_pad=False)
        return self.classifier(x.flatten(1))


def convnet_max_pool(x):
    """cuda-convnet's pool 3/2 from 0, ceil output size (models/layers.cpp convnet_max_pool)."""
    return F.max_pool2d(x, 3, stride=2, ceil_mode=True)


def convnet_avg_pool(x):
    """The average over the in-image part of each window (models/layers.cpp convnet_avg_pool)."""
    return F.avg_pool2d(x, 3, stride=2, ceil_mode=True, count_include_pad=False)


class ResponseNorm(nn.Module):
    """cuda-convnet's same-map rnorm (models/response_norm.cpp):
    x * (1 + scale * mean of x^2 over the size x size window, zero outside) ** -power."""

    def __init__(self, size=3, scale=5e-5, power=0.75):
        super().__init__()
        self.size, self.scale, self.power = size, scale, power

    def forward(self, x):
        before = self.size // 2
        after = self.size - 1 - before
        squares = F.pad(torch.square(x), (before, after, before, after))
        mean_square = F.avg_pool2d(squares, self.size, stride=1)
        return x * torch.pow(1 + self.scale * mean_square, -self.power)


class Krizhevsky18pct(nn.Module):
    """models/krizhevsky18pct.cpp: cuda-convnet's layers-18pct, response norm included."""

    def __init__(self, activation, batch_norm):
        super().__init__()
        self.conv1 = ConvUnit(3, 32, 5, activation, batch_norm)
        self.rnorm1 = ResponseNorm()
        self.conv2 = ConvUnit(32, 32, 5, activation, batch_norm)
        self.rnorm2 = ResponseNorm()
        self.conv3 = ConvUnit(32, 64, 5, activation, batch_norm)
        self.classifier = nn.Linear(64 * 4 * 4, NUM_CLASSES)

    def forward(self, x):
        x = self.conv1.conv(x)
        if self.conv1.bn is not None:
            x = self.conv1.bn(x)
        x = self.rnorm1(self.conv1.act(convnet_max_pool(x)))  # pool1 carries the neuron
        x = self.rnorm2(convnet_avg_pool(self.conv2(x)))
        x = convnet_avg_pool(self.conv3(x))
        return self.classifier(x.flatten(1))


class FcUnit(nn.Module):
    """fully connected -> activation; children fc, act (models/krizhevsky80sec.cpp)."""

    def __init__(self, in_features, out_features, activation):
        super().__init__()
        self.fc = nn.Linear(in_features, out_features)
        self.act = Activation(activation)

    def forward(self, x):
        return self.act(self.fc(x))


class Krizhevsky80sec(nn.Module):
    """models/krizhevsky80sec.cpp: cuda-convnet's layers-80sec (3 conv, fc64, fc10)."""

    def __init__(self, activation, batch_norm):
        super().__init__()
        self.conv1 = ConvUnit(3, 32, 5, activation, batch_norm)
        self.conv2 = ConvUnit(32, 32, 5, activation, batch_norm)
        self.conv3 = ConvUnit(32, 64, 5, activation, batch_norm)
        self.fc64 = FcUnit(64 * 4 * 4, 64, activation)
        self.classifier = nn.Linear(64, NUM_CLASSES)

    def forward(self, x):
        x = self.conv1.conv(x)
        if self.conv1.bn is not None:
            x = self.conv1.bn(x)
        x = self.conv1.act(convnet_max_pool(x))
        x = convnet_avg_pool(self.conv2(x))
        x = convnet_avg_pool(self.conv3(x))
        return self.classifier(self.fc64(x.flatten(1)))


class Plain(nn.Module):
    """models/plain.cpp: `depth` 3x3 conv units of width W in 3 stages, no shortcuts."""

    def __init__(self, activation, batch_norm, depth, width):
        super().__init__()
        channels = [[width] * (depth // 3 + (1 if s < depth % 3 else 0)) for s in range(3)]
        for index, stage in enumerate(_conv_stages(channels, activation, batch_norm)):
            self.add_module(f"stage{index + 1}", stage)
        self.classifier = nn.Linear(width, NUM_CLASSES)

    def forward(self, x):
        for index in range(3):
            if index > 0:
                x = F.max_pool2d(x, 2)
            x = getattr(self, f"stage{index + 1}")(x)
        return self.classifier(x.mean((2, 3)))


VGG_STAGES = {
    11: [[1], [2], [4, 4], [8, 8], [8, 8]],
    13: [[1, 1], [2, 2], [4, 4], [8, 8], [8, 8]],
    16: [[1, 1], [2, 2], [4, 4, 4], [8, 8, 8], [8, 8, 8]],
}


class Vgg(nn.Module):
    """models/vgg.cpp: VGG-11/13/16 for 32x32 input, one fc classifier."""

    def __init__(self, activation, batch_norm, depth, width):
        super().__init__()
        channels = [[m * width for m in stage] for stage in VGG_STAGES[depth]]
        self.stage_count = len(channels)
        for index, stage in enumerate(_conv_stages(channels, activation, batch_norm)):
            self.add_module(f"stage{index + 1}", stage)
        self.classifier = nn.Linear(channels[-1][-1], NUM_CLASSES)

    def forward(self, x):
        for index in range(self.stage_count):
            x = F.max_pool2d(getattr(self, f"stage{index + 1}")(x), 2)
        return self.classifier(x.flatten(1))


def option_a_shortcut(x, stride, pad_channels):
    """Subsample by `stride`, zero-pad the new channels (models/residual_blocks.cpp)."""
    if stride == 1 and pad_channels == 0:
        return x
    before = pad_channels // 2
    return F.pad(x[:, :, ::stride, ::stride], (0, 0, 0, 0, before, pad_channels - before))


class BasicBlock(nn.Module):
    """He et al. 2016a: conv1, [bn1], act1, conv2, [bn2], + shortcut, act2."""

    def __init__(self, in_channels, out_channels, stride, activation, batch_norm, skip):
        super().__init__()
        self.stride, self.pad_channels, self.skip = stride, out_channels - in_channels, skip
        self.conv1 = _conv(in_channels, out_channels, 3, stride, batch_norm)
        self.bn1 = nn.BatchNorm2d(out_channels) if batch_norm else None
        self.act1 = Activation(activation)
        self.conv2 = _conv(out_channels, out_channels, 3, 1, batch_norm)
        self.bn2 = nn.BatchNorm2d(out_channels) if batch_norm else None
        self.act2 = Activation(activation)

    def forward(self, input):
        x = self.conv1(input)
        if self.bn1 is not None:
            x = self.bn1(x)
        x = self.conv2(self.act1(x))
        if self.bn2 is not None:
            x = self.bn2(x)
        if self.skip:
            x = x + option_a_shortcut(input, self.stride, self.pad_channels)
        return self.act2(x)


class PreActBlock(nn.Module):
    """He et al. 2016b: [bn1], act1, conv1, [bn2], act2, conv2, + shortcut."""

    def __init__(self, in_channels, out_channels, stride, activation, batch_norm, skip):
        super().__init__()
        self.stride, self.pad_channels, self.skip = stride, out_channels - in_channels, skip
        self.bn1 = nn.BatchNorm2d(in_channels) if batch_norm else None
        self.act1 = Activation(activation)
        self.conv1 = _conv(in_channels, out_channels, 3, stride, batch_norm)
        self.bn2 = nn.BatchNorm2d(out_channels) if batch_norm else None
        self.act2 = Activation(activation)
        self.conv2 = _conv(out_channels, out_channels, 3, 1, batch_norm)

    def forward(self, input):
        x = self.bn1(input) if self.bn1 is not None else input
        x = self.conv1(self.act1(x))
        if self.bn2 is not None:
            x = self.bn2(x)
        x = self.conv2(self.act2(x))
        return x + option_a_shortcut(input, self.stride, self.pad_channels) if self.skip else x


class ResNet(nn.Module):
    """models/resnet.cpp: CIFAR ResNet (depth 6n+2), option-A shortcuts; `preact` variant."""

    def __init__(self, activation, batch_norm, depth, width, skip=True, preact=False):
        super().__init__()
        blocks_per_stage = (depth - 2) // 6
        self.stem = nn.Module()
        self.stem.conv = _conv(3, width, 3, 1, batch_norm)
        self.stem.bn = nn.BatchNorm2d(width) if batch_norm and not preact else None
        self.stem.act = None if preact else Activation(activation)
        block_type = PreActBlock if preact else BasicBlock
        self.blocks = []
        in_channels = width
        for stage in range(3):
            out_channels = width << stage
            stage_module = nn.Module()
            for block in range(blocks_per_stage):
                stride = 2 if stage > 0 and block == 0 else 1
                module = block_type(in_channels, out_channels, stride, activation, batch_norm, skip)
                stage_module.add_module(f"block{block + 1}", module)
                self.blocks.append(module)
                in_channels = out_channels
            self.add_module(f"stage{stage + 1}", stage_module)
        if preact:
            self.final = nn.Module()
            self.final.bn = nn.BatchNorm2d(in_channels) if batch_norm else None
            self.final.act = Activation(activation)
        else:
            self.final = None
        self.classifier = nn.Linear(in_channels, NUM_CLASSES)

    def forward(self, x):
        x = self.stem.conv(x)
        if self.stem.bn is not None:
            x = self.stem.bn(x)
        if self.stem.act is not None:
            x = self.stem.act(x)
        for block in self.blocks:
            x = block(x)
        if self.final is not None:
            if self.final.bn is not None:
                x = self.final.bn(x)
            x = self.final.act(x)
        return self.classifier(x.mean((2, 3)))


def build(model, activation="relu", batch_norm=False, depth=0, width=0, skip=True, preact=False):
    """A model by actlab's name and options (as config.json records them, defaults filled in)."""
    if model == "krizhevsky4":
        return Krizhevsky4(activation, batch_norm)
    if model == "krizhevsky18pct":
        return Krizhevsky18pct(activation, batch_norm)
    if model == "krizhevsky80sec":
        return Krizhevsky80sec(activation, batch_norm)
    if model == "plain":
        return Plain(activation, batch_norm, depth or 8, width or 32)
    if model == "vgg":
        return Vgg(activation, batch_norm, depth or 11, width or 64)
    if model == "resnet":
        return ResNet(activation, batch_norm, depth or 20, width or 16, skip, preact)
    raise ValueError(
        f"unknown model '{model}': valid are krizhevsky4, krizhevsky18pct, krizhevsky80sec, "
        "plain, vgg, resnet"
    )


def from_config(config):
    """The model of a run: `config` is RUN/config.json's path or its parsed dict."""
    if not isinstance(config, dict):
        with open(config) as file:
            config = json.load(file)
    return build(
        config["model"],
        activation=config["activation"],
        batch_norm=config["batch_norm"],
        depth=config.get("depth", 0),
        width=config.get("width", 0),
        skip=config.get("skip", True),
        preact=config.get("preact", False),
    )


def activation_layers(model):
    """(dotted name, Activation) in forward order, as layers.jsonl's `layer` names them."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, Activation)]


CIFAR10_RECORD_BYTES = 3073  # 1 label byte + 1024 R + 1024 G + 1024 B


def read_cifar10_split(data_dir, split="train"):
    """uint8 images [N, 3, 32, 32] and int64 labels [N] of a prepared split, in file order."""
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
    data = bytearray()
    for name in names:
        with open(os.path.join(data_dir, name), "rb") as file:
            data += file.read()
    raw = torch.frombuffer(data, dtype=torch.uint8).reshape(-1, CIFAR10_RECORD_BYTES)
    return raw[:, 1:].reshape(-1, 3, 32, 32).clone(), raw[:, 0].to(torch.int64)


def probe_batch(run_dir, data_dir=None):
    """The run's probe images, preprocessed as actlab fed them, and their labels.

    From RUN/probe_images.json, in the order the probes use them, float32, as RUN/config.json's
    `input_preprocessing` says (absent in older runs: standardise): "standardise" = (pixel -
    pixel_mean) / pixel_std per channel; "cuda_convnet" = pixel - pixel_mean_image (0-255
    scale, no division). `data_dir` defaults to the one the run recorded.
    """
    with open(os.path.join(run_dir, "probe_images.json")) as file:
        record = json.load(file)
    preprocessing = "standardise"
    config_path = os.path.join(run_dir, "config.json")
    if os.path.exists(config_path):
        with open(config_path) as file:
            preprocessing = json.load(file).get("input_preprocessing", "standardise")
    recorded = record.get("input_preprocessing", "standardise")
    if recorded != preprocessing:
        raise ValueError(
            f"{run_dir}: config.json says input_preprocessing {preprocessing}, "
            f"probe_images.json {recorded}"
        )
    images, labels = read_cifar10_split(data_dir or record["data_dir"], record["split"])
    indices = torch.tensor(record["indices"], dtype=torch.int64)
    pixels = images[indices].to(torch.float32)
    if preprocessing == "cuda_convnet":
        mean = torch.tensor(record["pixel_mean_image"], dtype=torch.float32)
        return pixels - mean.reshape(1, *pixels.shape[1:]), labels[indices]
    if preprocessing != "standardise":
        raise ValueError(f"unknown input_preprocessing '{preprocessing}'")
    mean = torch.tensor(record["pixel_mean"], dtype=torch.float32).reshape(1, 3, 1, 1)
    std = torch.tensor(record["pixel_std"], dtype=torch.float32).reshape(1, 3, 1, 1)
    return (pixels - mean) / std, labels[indices]

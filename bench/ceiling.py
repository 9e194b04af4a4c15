#!/usr/bin/env python3
"""The machine's ceiling for training these models, and what one training step needs.

A benchmark input, not part of the product. Prints one JSON line:
  torch: the version; threads;
  conv_gflops: achieved fp32 FLOP rate of one large 3x3 convolution (forward, batch 64,
    128 -> 128 channels, 32x32), the median of --repeats timings after a warm-up; with
    conv_channels_last_gflops and conv_bf16_gflops, the same convolution in NHWC and in bfloat16;
  step_flops: FLOPs of one training step (batch 128) of each model, counted analytically from
    the layer shapes of pytorch_peer.py's models (the same as actlab's):
      forward  = sum over conv/linear layers of 2 * outputs * (in_channels * kh * kw) (1 multiply-add
                 = 2 FLOPs; linear: 2 * out * in);
      backward = the gradient of the weights (same count as forward) plus the gradient of the input
                 (same count again) for every layer but the first, whose input needs no gradient;
    so a step is just under 3x forward. Batch norm, activations, pooling, loss and the optimizer
    are left out (memory-bound, and a few % of the FLOPs).
Usage: ceiling.py [--threads T] [--repeats R]
"""
import argparse
import json
import os
import sys
import time

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pytorch_peer import Krizhevsky4, ResNet20  # noqa: E402

BATCH = 128


def step_flops(model):
    """FLOPs of one training step of BATCH 32x32 images, from the shapes one forward pass sees."""
    layers = []

    def record(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            per_output = module.in_channels // module.groups * kh * kw
        else:
            per_output = module.in_features
        layers.append(2 * output.numel() * per_output)

    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            m.register_forward_hook(record)
    with torch.no_grad():
        model(torch.zeros(BATCH, 3, 32, 32))
    forward = sum(layers)
    return {"forward": forward, "train": forward + forward + (forward - layers[0])}


def conv_gflops(repeats, layout=torch.contiguous_format, dtype=torch.float32):
    conv = nn.Conv2d(128, 128, 3, padding=1, bias=False).to(dtype=dtype, memory_format=layout)
    x = torch.randn(64, 128, 32, 32, dtype=dtype).contiguous(memory_format=layout)
    flops = 2 * 64 * 128 * 32 * 32 * 128 * 9
    times = []
    with torch.no_grad():
        for i in range(repeats + 2):  # the first two create oneDNN's primitives
            start = time.perf_counter()
            conv(x)
            if i >= 2:
                times.append(time.perf_counter() - start)
    return flops / sorted(times)[len(times) // 2] / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = {
        "torch": torch.__version__.split("+")[0],
        "threads": torch.get_num_threads(),
        "conv_gflops": conv_gflops(args.repeats),
        "conv_channels_last_gflops": conv_gflops(args.repeats, layout=torch.channels_last),
        "conv_bf16_gflops": conv_gflops(args.repeats, dtype=torch.bfloat16),
        "step_flops": {"krizhevsky4": step_flops(Krizhevsky4()), "resnet20": step_flops(ResNet20())},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

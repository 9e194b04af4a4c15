#!/usr/bin/env python3
"""The peer users would otherwise pick: the same model, batch, optimizer and data in PyTorch eager.

A benchmark input, not part of the product. Prints one line: images/s over timed training steps
(after --warmup steps, which include torch.compile's compilation).
Usage: pytorch_peer.py MODEL DATA_DIR [--steps N] [--warmup W] [--threads T] [--batch B]
                       [--compile] [--channels-last] [--bf16]
MODEL: krizhevsky4 | resnet20 (with batch norm, option-A shortcuts, as actlab's `resnet`).
--compile: torch.compile (torch 2.x); --channels-last: NHWC weights and inputs (oneDNN's native
layout); --bf16: CPU autocast to bfloat16 around the forward pass.
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Krizhevsky4(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 32, 5, padding=2)
        self.conv2 = nn.Conv2d(32, 32, 5, padding=2)
        self.conv3 = nn.Conv2d(32, 64, 5, padding=2)
        self.classifier = nn.Linear(64 * 4 * 4, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 3, 2, 1)
        x = F.avg_pool2d(F.relu(self.conv2(x)), 3, 2, 1, count_include_pad=False)
        x = F.avg_pool2d(F.relu(self.conv3(x)), 3, 2, 1, count_include_pad=False)
        return self.classifier(x.flatten(1))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        shortcut = x
        if self.stride != 1 or self.pad:
            shortcut = F.pad(x[:, :, :: self.stride, :: self.stride], (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))
        return F.relu(out + shortcut)


class ResNet20(nn.Module):
    def __init__(self, width=16):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        blocks, cin = [], width
        for stage in range(3):
            for block in range(3):
                cout = width << stage
                blocks.append(Block(cin, cout, 2 if stage > 0 and block == 0 else 1))
                cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.classifier = nn.Linear(cin, 10)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn(self.conv(x))))
        return self.classifier(x.mean((2, 3)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model", choices=["krizhevsky4", "resnet20"])
    parser.add_argument("data")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--bf16", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    records = np.fromfile(os.path.join(args.data, "data_batch_1.bin"), dtype=np.uint8).reshape(-1, 3073)
    images = torch.from_numpy(records[:, 1:].reshape(-1, 3, 32, 32).copy())
    labels = torch.from_numpy(records[:, 0].astype(np.int64))
    pixels = images.float().div(255)
    mean = pixels.mean((0, 2, 3)).view(1, 3, 1, 1) * 255
    std = pixels.std((0, 2, 3)).view(1, 3, 1, 1) * 255
    model = Krizhevsky4() if args.model == "krizhevsky4" else ResNet20()
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=layout)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    forward = torch.compile(model) if args.compile else model
    order = torch.randperm(len(labels))

    def step(i):
        idx = order[(i * args.batch) % (len(labels) - args.batch):][: args.batch]
        x = ((images[idx].float() - mean) / std).contiguous(memory_format=layout)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            logits = forward(x)
        loss = F.cross_entropy(logits.float(), labels[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    for i in range(args.warmup):
        step(i)
    start = time.perf_counter()
    for i in range(args.steps):
        step(i)
    seconds = time.perf_counter() - start
    print(f"{args.steps * args.batch / seconds:.1f}")


if __name__ == "__main__":
    main()

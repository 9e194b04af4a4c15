#!/usr/bin/env python3
"""CPU training speed of actlab against PyTorch, side by side and interleaved in one run.

Contenders (each found or skipped with a note): actlab built against Debian's LibTorch 1.13
(ACTLAB_BUILD_DIR, default build/) and against the PyPI torch 2.x wheel (ACTLAB_TORCH2_BUILD_DIR,
default build-torch2/); PyTorch Python eager on 1.13 (/usr/bin/python3 with python3-torch) and on
2.x (the venv of scripts/torch2.sh: ACTLAB_TORCH2_VENV, default ACTLAB_TORCH2_BUILD_DIR/venv), and
torch.compile on 2.x (its compiled kernels are cached by inductor in /tmp across runs).
Models: krizhevsky4 and ResNet-20 (batch norm, option-A shortcuts), batch 128, SGD with momentum,
no augmentation, no probes, all cores. Every repeat runs every contender once, in an order rotated
per repeat; the table shows medians. actlab's images/s is its second epoch (the first, of the same
length, is the warm-up); the Python peers time --steps after 3 warm-up steps (compilation included
in the warm-up).

The ceiling, measured in the same run by ceiling.py under each torch: the best fp32 FLOP rate of a
large convolution; each model's training FLOPs per step are counted from its layer shapes (see
ceiling.py). "of ceiling" = training FLOPs per second / the best conv rate of any torch here.

--explore adds variants that might raise the speed: actlab with 1 thread and with
OMP_WAIT_POLICY=PASSIVE, eager with channels-last and with bf16 autocast.

Usage: python3 bench/speed.py [--repeats R] [--models krizhevsky4,resnet20] [--explore]
                              [--json FILE]
Wall time on a shared machine is noise: read the ratios of one run, and the load printed with them.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
BATCH = 128
# model -> (actlab train arguments, timed steps)
MODELS = {
    "krizhevsky4": (["--model", "krizhevsky4"], 20),
    "resnet20": (["--model", "resnet", "--depth", "20", "--batch-norm"], 8),
}


def output(argv, env=None):
    merged = dict(os.environ, **(env or {}))
    done = subprocess.run(argv, capture_output=True, text=True, env=merged)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def torch_version(python):
    if not python or not os.access(python, os.X_OK):
        return None
    try:
        return output([python, "-c", "import torch; print(torch.__version__.split('+')[0])"]).strip()
    except RuntimeError:
        return None


class Actlab:
    family = "actlab"

    def __init__(self, binary, variant="", threads=0, env=None):
        self.binary, self.variant, self.threads, self.env = binary, variant, threads, env
        self.version = "?"  # read from the run's config.json

    def run(self, model, data, threads, scratch):
        args, steps = MODELS[model]
        out = os.path.join(scratch, "run")
        output([self.binary, "train", *args, "--activation", "relu", "--epochs", "2",
                "--train-subset", str(steps * BATCH), "--test-subset", "100", "--train-eval-images", "100",
                "--no-augment", "--probe", "off", "--threads", str(self.threads or threads),
                "--data", data, "--out", out, "--overwrite"], env=self.env)
        with open(os.path.join(out, "config.json")) as f:
            self.version = json.load(f)["resolved"]["libtorch_version"]
        with open(os.path.join(out, "metrics.jsonl")) as f:
            epochs = [json.loads(line) for line in f if line.strip()]
        return next(e["images_per_second"] for e in epochs if e.get("epoch") == 2 and e.get("epoch_end", True))


class Peer:
    def __init__(self, python, version, family, flags=(), variant="", threads=0):
        self.python, self.version, self.family = python, version, family
        self.flags, self.variant, self.threads = list(flags), variant, threads

    def run(self, model, data, threads, scratch):
        _, steps = MODELS[model]
        flags = self.flags + (["--compile"] if self.family == "compile" else [])
        line = output([self.python, os.path.join(BENCH, "pytorch_peer.py"), model, data,
                       "--steps", str(steps), "--threads", str(self.threads or threads), *flags])
        return float(line.strip().splitlines()[-1])


def series(version):
    """'1.13.0a0' and '1.13.1' are the same LibTorch kernels for the ratios."""
    return ".".join(version.split(".")[:2])


def name(c):
    return f"{c.family} {c.version}" + (f" {c.variant}" if c.variant else "")


def contenders(explore):
    found, notes = [], []
    torch2_build = os.environ.get("ACTLAB_TORCH2_BUILD_DIR", os.path.join(ROOT, "build-torch2"))
    torch2_venv = os.environ.get("ACTLAB_TORCH2_VENV", os.path.join(torch2_build, "venv"))
    builds = [os.environ.get("ACTLAB_BUILD_DIR", os.path.join(ROOT, "build")), torch2_build]
    for build in builds:
        binary = os.path.join(build, "actlab")
        if os.access(binary, os.X_OK):
            first = not found
            found.append(Actlab(binary))
            if explore and first:  # the first build only: each variant costs minutes
                found.append(Actlab(binary, "1 thread", threads=1))
                # libgomp threads sleep instead of spinning while they wait (read at start-up)
                found.append(Actlab(binary, "OMP passive", env={"OMP_WAIT_POLICY": "PASSIVE"}))
        else:
            notes.append(f"no actlab at {binary}: skipped")
    pythons = [("/usr/bin/python3", False), (os.path.join(torch2_venv, "bin/python"), True)]
    for python, is_2x in pythons:
        version = torch_version(python)
        if not version:
            notes.append(f"no torch in {python}: skipped (1.13: apt-get install python3-torch; "
                         "2.x: bash scripts/torch2.sh, or ACTLAB_TORCH2_VENV=a venv with torch 2.x)")
            continue
        found.append(Peer(python, version, "eager"))
        if explore:
            found.append(Peer(python, version, "eager", ["--channels-last"], "channels-last"))
        if explore == "all":  # bf16: the ceiling's bf16 conv already shows it slower
            found.append(Peer(python, version, "eager", ["--bf16"], "bf16"))
        if is_2x:
            found.append(Peer(python, version, "compile"))
    return found, notes


def load():
    return os.getloadavg()[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="krizhevsky4,resnet20")
    parser.add_argument("--explore", nargs="?", const="some", default="",
                        help="also the variants; 'all' adds eager bf16 autocast")
    parser.add_argument("--steps-factor", type=float, default=1.0, help="scales the timed steps")
    parser.add_argument("--json", help="also write every measurement here")
    args = parser.parse_args()
    data = os.environ.get("ACTLAB_DATA", os.path.join(ROOT, "data/cifar-10-batches-bin"))
    threads = os.cpu_count()
    for model, (margs, steps) in MODELS.items():
        MODELS[model] = (margs, max(2, round(steps * args.steps_factor)))
    models = args.models.split(",")
    runners, notes = contenders(args.explore)
    pythons = sorted({c.python for c in runners if isinstance(c, Peer)})
    if not pythons:
        sys.exit("speed.py: no Python torch found (apt-get install python3-torch): the ceiling needs one")
    for note in notes:
        print(note)

    speeds = {}  # (model, contender index) -> [images/s]
    ceilings = {}  # python -> [ceiling.py result]
    loads = [load()]
    scratch = tempfile.mkdtemp(prefix="actlab-speed-")
    started = time.time()
    try:
        for r in range(args.repeats):
            for python in pythons:
                result = json.loads(output([python, os.path.join(BENCH, "ceiling.py"), "--threads", str(threads)]))
                ceilings.setdefault(python, []).append(result)
            for model in models:
                order = list(range(len(runners)))
                order = order[r % len(order):] + order[:r % len(order)]
                for i in order:
                    try:
                        speeds.setdefault((model, i), []).append(runners[i].run(model, data, threads, scratch))
                    except RuntimeError as error:  # one failed run is reported, the others go on
                        print(f"{name(runners[i])} on {model}: {error}", file=sys.stderr)
                    loads.append(load())
            print(f"repeat {r + 1}/{args.repeats} done ({time.time() - started:.0f} s, load {load():.1f})",
                  file=sys.stderr)
    except KeyboardInterrupt:  # Ctrl-C: report what was measured
        print("interrupted: the table holds the runs done so far", file=sys.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    cpu = next((line.split(":", 1)[1].strip() for line in output(["lscpu"]).splitlines()
                if line.startswith("Model name")), "?")
    print(f"\n{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {cpu}, {threads} cores, {threads} threads; "
          f"batch {BATCH}, SGD momentum; {args.repeats} repeats interleaved, medians; "
          f"1-min load during the run: {min(loads):.1f} to {max(loads):.1f} (median {statistics.median(loads):.1f})")

    best_conv = 0.0
    print("\nceiling: large 3x3 conv forward (64x128x32x32, 128 -> 128), GFLOP/s, medians")
    for python in pythons:
        results = ceilings.get(python)
        if not results:
            continue
        med = {k: statistics.median(x[k] for x in results)
               for k in ("conv_gflops", "conv_channels_last_gflops", "conv_bf16_gflops")}
        best_conv = max(best_conv, med["conv_gflops"], med["conv_channels_last_gflops"])
        print(f"  torch {results[0]['torch']:<10} fp32 NCHW {med['conv_gflops']:6.1f}   "
              f"fp32 channels-last {med['conv_channels_last_gflops']:6.1f}   bf16 NCHW {med['conv_bf16_gflops']:6.1f}")
    if not ceilings:
        sys.exit("speed.py: stopped before the first measurement")
    step_flops = next(iter(ceilings.values()))[0]["step_flops"]
    print(f"  ceiling = best fp32 rate above = {best_conv:.1f} GFLOP/s")
    print("  training FLOPs per step of 128 images (conv + linear, forward + weight and input "
          "gradients): " + ", ".join(f"{m} {step_flops[m]['train'] / 1e9:.2f} GFLOP" for m in models))

    def median_speed(model, i):
        return statistics.median(speeds[(model, i)]) if speeds.get((model, i)) else None

    def find(family, version, variant=""):
        return next((i for i, c in enumerate(runners)
                     if c.family == family and c.version == version and c.variant == variant), None)

    compile_version = next((c.version for c in runners if c.family == "compile"), None)
    for model in models:
        print(f"\n{model}")
        print(f"  {'contender':<28} {'img/s':>8} {'GFLOP/s':>8} {'of ceiling':>10} "
              f"{'vs eager same torch':>20} {'vs compile ' + (compile_version or '-'):>18}")
        eager_of = {series(c.version): i for i, c in enumerate(runners) if c.family == "eager" and not c.variant}
        compiled = find("compile", compile_version) if compile_version else None
        for i, c in enumerate(runners):
            v = median_speed(model, i)
            if v is None:
                continue
            gflops = v / BATCH * step_flops[model]["train"] / 1e9
            vs_eager = eager_of.get(series(c.version))
            vs_eager = median_speed(model, vs_eager) if vs_eager is not None else None
            vs_eager = f"{v / vs_eager:.2f}x" if vs_eager else "-"
            vs_compile = median_speed(model, compiled) if compiled is not None else None
            vs_compile = f"{v / vs_compile:.2f}x" if vs_compile else "-"
            print(f"  {name(c):<28} {v:8.0f} {gflops:8.1f} {100 * gflops / best_conv:9.0f}% "
                  f"{vs_eager:>20} {vs_compile:>18}")
    if args.json:
        record = {"cpu": cpu, "threads": threads, "loads": loads, "ceilings": ceilings,
                  "speeds": {f"{m} | {name(runners[i])}": v for (m, i), v in speeds.items()}}
        with open(args.json + ".tmp", "w") as f:
            json.dump(record, f, indent=1)
        os.replace(args.json + ".tmp", args.json)


if __name__ == "__main__":
    main()

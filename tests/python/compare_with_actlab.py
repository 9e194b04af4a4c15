"""Runs python/actlab_models.py on what actlab wrote and prints the largest differences as JSON.

    compare_with_actlab.py models DIR   every DIR/<case>/ (config.json, model.pt, io.pt) and
                                        DIR/activations.pt (f and f' of every activation on a grid)
    compare_with_actlab.py run RUN      a trained run: RUN/model.pt on the probe batch rebuilt from
                                        RUN/probe_images.json against RUN/probe_logits.pt (eval
                                        logits) and the last layers.jsonl probe

Every file is read with torch.load(weights_only=True), the way torch >= 2.6 reads by default.
Exit status 3 with a line "SKIPPED: ..." when torch is missing; 1 with the reason on failure.
The caller (tests/test_weights.cpp) holds the tolerances.
"""

import json
import os
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print(f"SKIPPED: {sys.executable} has no torch (apt-get install python3-torch, "
          "or set ACTLAB_PYTHON)")
    sys.exit(3)

sys.dont_write_bytecode = True  # no __pycache__ in the checkout from test runs
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import actlab_models  # noqa: E402

DEAD_DERIVATIVE = 1e-8  # src/probes/quantities/dead_units.cpp


def load(path):
    return torch.load(path, map_location="cpu", weights_only=True)


def max_abs(a, b):
    return (a.double() - b.double()).abs().max().item()


def load_model(case_dir):
    model = actlab_models.from_config(os.path.join(case_dir, "config.json"))
    model.load_state_dict(load(os.path.join(case_dir, "model.pt")))  # strict: every name matches
    return model


def compare_models(root):
    result = {"torch": torch.__version__, "cases": {}, "activations": {}}
    for case in sorted(os.listdir(root)):
        case_dir = os.path.join(root, case)
        if not os.path.isdir(case_dir):
            continue
        model = load_model(case_dir)
        io = load(os.path.join(case_dir, "io.pt"))
        with torch.no_grad():
            model.eval()
            eval_logits = model(io["input"])
            model.train()  # batch statistics, as in training
            train_logits = model(io["input"])
        result["cases"][case] = {
            "eval_logits": max_abs(eval_logits, io["eval_logits"]),
            "train_logits": max_abs(train_logits, io["train_logits"]),
            "logit_scale": io["eval_logits"].abs().max().item(),
        }
    grid = load(os.path.join(root, "activations.pt"))
    x = grid["x"]
    for key in grid:
        if not key.endswith("/f"):
            continue
        spec = key[: -len("/f")]
        activation = actlab_models.Activation(spec)
        if activation.weight is not None:
            with torch.no_grad():
                activation.weight.copy_(grid[spec + "/weight"])
        with torch.no_grad():
            f = activation(x)
        result["activations"][spec] = {
            "f": max_abs(f, grid[spec + "/f"]),
            "derivative": max_abs(activation.derivative(x), grid[spec + "/df"]),
            "max_abs_derivative": abs(
                activation.max_abs_derivative() - grid[spec + "/max_abs_df"].item()
            ),
        }
    return result


def probe_quantities(model, images, labels, chunk_size):
    """dead_fraction, sparsity, mean_derivative and grad_act_rms of every activation layer, as
    src/probes/probe.cpp measures them: training mode, chunks of `chunk_size` images, L the mean
    cross-entropy over the whole probe set; sums in float32 per chunk, accumulated in float64."""
    stats, handles = {}, []
    for name, module in actlab_models.activation_layers(model):
        stats[name] = {"alive": None, "zero": 0.0, "derivative": 0.0, "count": 0, "grad": 0.0}

        def observe(module, inputs, output, s=stats[name]):
            x = inputs[0].detach()
            d = module.derivative(x)
            alive = (d.abs() >= DEAD_DERIVATIVE).any(0)
            s["alive"] = alive if s["alive"] is None else s["alive"] | alive
            s["zero"] += output.detach().eq(0).count_nonzero().double().item()
            s["derivative"] += d.sum().double().item()
            s["count"] += output.numel()
            def add_gradient(grad):
                s["grad"] += grad.square().sum().double().item()

            output.register_hook(add_gradient)

        handles.append(module.register_forward_hook(observe))
    model.train()
    count = images.shape[0]
    for begin in range(0, count, chunk_size):
        logits = model(images[begin : begin + chunk_size])
        loss = F.cross_entropy(logits, labels[begin : begin + chunk_size], reduction="sum") / count
        loss.backward()
    for handle in handles:
        handle.remove()
    quantities = {}
    for name, s in stats.items():
        alive = s["alive"]
        per_channel = alive.flatten(1).any(1) if alive.dim() > 1 else alive
        quantities[name] = {
            "dead_fraction": 1.0 - per_channel.double().mean().item(),
            "sparsity": s["zero"] / s["count"],
            "mean_derivative": s["derivative"] / s["count"],
            "grad_act_rms": (s["grad"] / s["count"]) ** 0.5,
        }
    return quantities


def compare_run(run):
    with open(os.path.join(run, "probe_images.json")) as file:
        record = json.load(file)
    model = load_model(run)
    images, labels = actlab_models.probe_batch(run)
    actlab = load(os.path.join(run, "probe_logits.pt"))
    result = {
        "torch": torch.__version__,
        "images_equal": bool(torch.equal(images, actlab["images"])),
        "images": max_abs(images, actlab["images"]),
        "labels_equal": bool(torch.equal(labels, actlab["labels"])),
    }
    model.eval()
    with torch.no_grad():
        logits = model(images)
    result["logits"] = max_abs(logits, actlab["logits"])
    result["logit_scale"] = actlab["logits"].abs().max().item()
    result["argmax_agree"] = (logits.argmax(1) == actlab["logits"].argmax(1)).double().mean().item()

    with open(os.path.join(run, "layers.jsonl")) as file:
        records = [json.loads(line) for line in file if line.strip()]
    last_step = max(r["step"] for r in records)
    recorded = {
        r["layer"]: r for r in records if r["step"] == last_step and r["trigger"] == "evaluation"
    }
    measured = probe_quantities(model, images, labels, record["chunk_size"])
    if set(measured) != set(recorded):
        raise SystemExit(f"layers differ: python {sorted(measured)}, actlab {sorted(recorded)}")
    result["layers"] = {}
    for name, values in measured.items():
        result["layers"][name] = {
            q: {"python": v, "actlab": recorded[name][q], "difference": abs(v - recorded[name][q])}
            for q, v in values.items()
        }
    return result


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("models", "run"):
        raise SystemExit(__doc__)
    compare = compare_models if sys.argv[1] == "models" else compare_run
    print(json.dumps(compare(sys.argv[2]), indent=1))


if __name__ == "__main__":
    main()

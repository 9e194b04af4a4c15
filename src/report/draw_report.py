#!/usr/bin/env python3
"""Draws an actlab report: REPORT_DIR/report.json -> figures (PNG + SVG) and REPORT_DIR/index.html.

The numbers come only from report.json (written by `actlab report`, schema in docs/records.md);
this script computes nothing but pixel positions, so a figure and the tables beside it show the
same numbers. Usage: draw_report.py REPORT_DIR
"""
import json
import math
import os
import re
import sys
import tempfile

from report_figures import (CURVE_LABELS, Figures, MaxNLocator, LogNorm, Normalize, colours, esc,
                            finish, fmt, np, panel_grid, plt, seeds_text, values)
from figure_by_activation import draw_by_activation
from figure_update_paths import draw_update_paths
from figure_trainability import draw_trainability
from report_html import IMAGE_CHECK, STYLE, figure_html, group_table, runs_table, verdict_table

HEATMAP_TITLES = {
    "dead_fraction": "dead fraction (channels with f' < 1e-8 everywhere)",
    "sparsity": "sparsity (fraction of activations exactly 0)",
    "saturation_fraction": "saturation (fraction with f' < 0.05 max f')",
    "grad_act_rms": "grad_act_rms (RMS of dL/da, log scale)",
}


def draw_curves(source, figures, stem, band):
    groups = source["groups"]
    if not any(g["curves"]["position"] for g in groups):
        return None
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.2))
    palette = colours(len(groups))
    for column, metric in enumerate(("train_error", "test_error")):
        for row, axis_kind in enumerate(("position", "seconds")):
            ax = axes[row][column]
            for colour, group in zip(palette, groups):
                curves = group["curves"]
                x = values(curves[axis_kind])
                mean = values(curves[metric]["mean"])
                ok = ~np.isnan(x) & ~np.isnan(mean)
                if not ok.any():
                    continue
                ax.plot(x[ok], mean[ok], color=colour, lw=1.8, marker=".", label=group["label"])
                ax.fill_between(x[ok], values(curves[metric]["min"])[ok],
                                values(curves[metric]["max"])[ok], color=colour, alpha=0.18, lw=0)
                for target in group["targets"]:
                    if target["metric"] != metric:
                        continue
                    at = target["epoch_mean"] if axis_kind == "position" else target["seconds_mean"]
                    if at is not None:
                        ax.plot([at], [target["threshold"]], marker="v", ms=9, color=colour,
                                markeredgecolor="black", zorder=5)
            thresholds = sorted({t["threshold"] for g in groups for t in g["targets"]
                                 if t["metric"] == metric})
            for threshold in thresholds:
                ax.axhline(threshold, color="grey", ls=":", lw=1)
                ax.annotate(f"target {fmt(threshold)}", (1.0, threshold), xycoords=("axes fraction", "data"),
                            xytext=(-4, 2), textcoords="offset points", ha="right", fontsize=8,
                            color="dimgrey")
            ax.set_xlabel("epoch" if axis_kind == "position" else "wall seconds (mean over seeds)")
            if axis_kind == "position":
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(CURVE_LABELS[metric])
            ax.set_title(f"{CURVE_LABELS[metric]} against "
                         f"{'epochs' if axis_kind == 'position' else 'wall time'}")
            ax.set_ylim(bottom=0)
            ax.grid(alpha=0.3)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(3, max(1, len(labels))),
               bbox_to_anchor=(0.5, -0.02 - 0.025 * math.ceil(len(labels) / 3)), frameon=False)
    finish(fig, f"{source['name']}: learning curves")
    caption = (f"Training error (left) and test error (right) against epochs (top) and wall seconds "
               f"(bottom) for the {len(groups)} groups of {esc(source['name'])}: line = mean over the "
               f"group's runs, band = {esc(band)}. Dotted lines: convergence targets; ▼ marks the "
               f"mean epoch (seconds) at which the group's runs reached a target, drawn only when "
               f"every run reached it. Runs: {esc(seeds_text(groups))}.")
    return figures.save(fig, stem), caption


def draw_heatmap(source, figures, stem, field, log):
    groups = [g for g in source["groups"] if g["layer_maps"]["epochs"] and g["layer_maps"].get(field)]
    if not groups:
        return None
    matrices = [values(np.array(g["layer_maps"][field], dtype=object).ravel()).reshape(
        len(g["layer_maps"][field]), -1) for g in groups]
    finite = np.concatenate([m[np.isfinite(m) & ((m > 0) if log else True)] for m in matrices])
    if finite.size == 0:
        return None
    if log:
        norm = LogNorm(vmin=finite.min(), vmax=max(finite.max(), finite.min() * 1.0001))
    else:
        norm = Normalize(vmin=0, vmax=1)
    fig, axes = panel_grid(len(groups), sharey=False)
    image = None
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("lightgrey")
    for number, (ax, group, matrix) in enumerate(zip(axes, groups, matrices)):
        maps = group["layer_maps"]
        shown = np.ma.masked_where(~np.isfinite(matrix) | ((matrix <= 0) if log else False), matrix)
        image = ax.imshow(shown, origin="lower", aspect="auto", cmap=cmap, norm=norm,
                          interpolation="nearest")
        epochs = maps["epochs"]
        step = max(1, len(epochs) // 8)
        ax.set_xticks(range(0, len(epochs), step))
        ax.set_xticklabels([str(e) for e in epochs[::step]])
        layers = len(maps["layers"])
        ystep = max(1, layers // 8)
        ax.set_yticks(range(0, layers, ystep))
        ax.set_xlabel("epoch")
        if number % 3 == 0:
            ax.set_ylabel("layer index (0 = first)")
        ax.set_title(group["label"], fontsize=9)
    finish(fig, f"{source['name']}: {HEATMAP_TITLES.get(field, field)}")
    fig.colorbar(image, ax=list(axes), shrink=0.85, label=field + (" (log)" if log else ""))
    caption = (f"{esc(HEATMAP_TITLES.get(field, field))} per activation layer (rows) and epoch-end "
               f"probe (columns), one panel per group, mean over the group's runs; "
               f"{'log colour scale, ' if log else 'colour scale 0 to 1, '}grey = not recorded. "
               f"Runs: {esc(seeds_text(groups))}.")
    return figures.save(fig, stem), caption


def draw_gradient_flow(source, figures, stem, band):
    groups = [g for g in source["groups"] if g["gradient_flow"]]
    if not groups:
        return None
    fig, axes = panel_grid(len(groups), sharey=True)
    for number, (ax, group) in enumerate(zip(axes, groups)):
        flow = group["gradient_flow"]
        index = values(flow["index"])
        for when, colour in (("first", "tab:blue"), ("last", "tab:red")):
            mean = values(flow[when]["mean"])
            ok = np.isfinite(mean) & (mean > 0)
            ax.plot(index[ok], mean[ok], marker="o", ms=4, color=colour,
                    label=f"epoch {flow[when + '_epoch']}")
            low, high = values(flow[when]["min"]), values(flow[when]["max"])
            ax.fill_between(index[ok], low[ok], high[ok], color=colour, alpha=0.2, lw=0)
        if flow["bound"]:
            ax.plot(index, values(flow["bound"]), ls="--", color="black", lw=1,
                    label=f"(max|f'|)^k, max|f'| = {fmt(flow['max_abs_derivative'], 3)}")
        ax.set_yscale("log")
        ax.set_xlabel("layer index (0 = first)")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if number % 3 == 0:
            ax.set_ylabel("grad_act_rms (log)")
        ax.set_title(group["label"], fontsize=9)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    finish(fig, f"{source['name']}: gradient flow")
    caption = (f"grad_act_rms (RMS of dL/da on the probe images) against activation layer index, at "
               f"the first and the last epoch-end probe, one panel per group, log scale; line = mean, "
               f"band = {esc(band)}. Dashed: the derivative factor alone, (max|f'|)^k with k the "
               f"number of activation layers between a layer and the last, anchored at the last "
               f"layer's first-probe value (weights ignored; it is what the activation's slope "
               f"allows, not a measurement). Runs: {esc(seeds_text(groups))}.")
    return figures.save(fig, stem), caption


def draw_depth_sweep(source, figures, stem):
    series = source.get("depth_sweep")
    if not series:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 5))
    for colour, s in zip(colours(len(series)), series):
        depth = values(s["depth"])
        for key, style, label in (("ratio_first", "o-", "first probe"),
                                  ("ratio_last", "s:", "last probe")):
            ratio = values(s[key])
            ok = np.isfinite(ratio) & (ratio > 0)
            ax.plot(depth[ok], ratio[ok], style, color=colour, label=f"{s['label']}: {label}")
        bound = values(s["bound"])
        ok = np.isfinite(bound) & (bound > 0)
        if ok.any():
            ax.plot(depth[ok], bound[ok], "--", color=colour, lw=1,
                    label=f"{s['label']}: (max|f'|)^(L-1) = {fmt(s['max_abs_derivative'], 3)}^(L-1)")
    ax.set_yscale("log")
    ax.set_xlabel("depth")
    ax.set_ylabel("grad_act_rms first layer / last layer (log)")
    ax.set_title(f"{source['name']}: gradient reaching the first layer against depth")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    caption = ("Ratio of grad_act_rms at the first activation layer to the last, against the depth "
               "axis, at the first and last epoch-end probe (ratio of the group means); dashed: "
               "(max|f'|)^(L-1) for the L activation layers, the factor the activation's slope alone "
               "allows.")
    return figures.save(fig, stem), caption


def draw_histograms(source, figures, stem):
    groups = [g for g in source["groups"] if g["histograms"]]
    if not groups:
        return None
    fig, axes = plt.subplots(len(groups), 2, figsize=(11, 3.0 * len(groups)), squeeze=False,
                             sharex=True)
    for row, group in enumerate(groups):
        hist = group["histograms"]
        bins = len(next(f for f in hist["fractions"][0] if f is not None))
        centres = hist["low"] + (np.arange(bins) + 0.5) * (hist["high"] - hist["low"]) / bins
        layers = len(hist["layers"])
        cmap = plt.get_cmap("viridis")
        for column, epoch in enumerate(hist["epochs"]):
            ax = axes[row][column]
            for index, fractions in enumerate(hist["fractions"][column]):
                if fractions is None:
                    continue
                ax.plot(centres, fractions, color=cmap(index / max(1, layers - 1)), lw=1,
                        label=hist["layers"][index] if layers <= 8 else None)
            ax.set_title(f"{group['label']}: epoch {epoch}", fontsize=9)
            ax.set_ylabel("fraction of values")
            if layers <= 8:
                ax.legend(fontsize=6)
        axes[row][0].set_xlabel("pre-activation x")
        axes[row][1].set_xlabel("pre-activation x")
    finish(fig, f"{source['name']}: pre-activation histograms (colour: layer, dark = first)")
    caption = ("Histograms of the pre-activation x per activation layer (colour from first, dark, to "
               "last, light) at the first and last epoch-end probe, counts pooled over the group's "
               f"runs, as fractions of all values (values outside [{fmt(groups[0]['histograms']['low'])}, "
               f"{fmt(groups[0]['histograms']['high'])}] count in the total, not in a bin). "
               f"Runs: {esc(seeds_text(groups))}.")
    return figures.save(fig, stem), caption


def draw_apart(source, figures, stem):
    apart = [a for a in source["apart"] if a["curve"]["position"]]
    if not apart:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    for colour, run in zip(colours(len(apart)), apart):
        for ax, metric in zip(axes, ("train_error", "test_error")):
            ax.plot(values(run["curve"]["position"]), values(run["curve"][metric]), marker=".",
                    color=colour, label=f"{run['id']} ({run['reason']})")
    for ax, metric in zip(axes, ("train_error", "test_error")):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(CURVE_LABELS[metric])
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    finish(fig, f"{source['name']}: runs listed apart (not averaged into any group)")
    caption = ("Each run that did not finish, diverged or belongs to an older grid, drawn on its own "
               "as recorded; these runs are in no group, band or verdict.")
    return figures.save(fig, stem), caption


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--compact"):
        sys.exit("usage: draw_report.py REPORT_DIR [--compact] (REPORT_DIR holds report.json from "
                 "`actlab report`)")
    out_dir = sys.argv[1]
    compact = len(sys.argv) == 3
    with open(os.path.join(out_dir, "report.json")) as stream:
        report = json.load(stream)
    if report.get("schema") != "actlab-report/1":
        sys.exit(f"{out_dir}/report.json is not an actlab-report/1 file: rerun `actlab report`")
    plt.rcParams.update({"font.size": 9, "svg.fonttype": "none", "svg.hashsalt": "actlab"})
    figures = Figures(out_dir, compact)
    band = report["band"]
    made = report["generated_by"]
    parts = [f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>actlab report: "
             f"{esc(', '.join(s['name'] for s in report['sources']))}</title>"
             f"<style>{STYLE}</style></head>\n<body>\n<h1>actlab report</h1>\n"
             f"<p class=\"meta\">Made by actlab {esc(made['actlab_version'])} "
             f"(commit {esc(made['git_commit'])}, LibTorch {esc(made['libtorch_version'])}) from "
             f"report.json; bands are {esc(band)}. "
             f"{'PNG only (compact).' if compact else 'Click a figure for its SVG.'}</p>\n"]
    for number, source in enumerate(report["sources"]):
        prefix = f"{number}-" + re.sub(r"[^A-Za-z0-9_.-]", "_", source["name"])
        parts.append(f"<h2>{esc(source['name'])}</h2>\n<p class=\"meta\">{esc(source['dir'])}; "
                     f"{esc(source['grid_note'])}</p>\n")
        experiment = source.get("experiment")
        if experiment:
            for key in ("claim", "source", "regime", "control"):
                if experiment.get(key):
                    parts.append(f"<p><b>{key}:</b> {esc(experiment[key])}</p>\n")
        finished = sum(len(g["runs"]) for g in source["groups"])
        parts.append(f"<h3>Verdicts</h3>\n<p class=\"meta\">Over the {finished} finished runs of the "
                     f"current grid; each verdict's test is named in its row, p-values Holm-adjusted "
                     f"over the file's verdicts, intervals unadjusted (experiments/README.md, "
                     f"\"Which test, and why\").</p>\n")
        parts.append(verdict_table(source))
        parts.append(f"<h3>Groups</h3>\n{group_table(source)}")
        parts.append("<h3>Figures</h3>\n")
        parts.append(figure_html(draw_curves(source, figures, prefix + "-curves", band)))
        parts.append(figure_html(draw_by_activation(source, figures, prefix + "-by-activation")))
        for heatmap in report["heatmaps"]:
            parts.append(figure_html(draw_heatmap(source, figures, f"{prefix}-{heatmap['field']}",
                                                  heatmap["field"], heatmap["log"])))
        parts.append(figure_html(draw_gradient_flow(source, figures, prefix + "-gradient-flow", band)))
        parts.append(figure_html(draw_update_paths(source, figures, prefix + "-update-paths", band)))
        parts.append(figure_html(draw_trainability(source, figures, prefix + "-trainability")))
        parts.append(figure_html(draw_depth_sweep(source, figures, prefix + "-depth")))
        parts.append(figure_html(draw_histograms(source, figures, prefix + "-histograms")))
        if source["apart"]:
            parts.append(f"<h3>Runs listed apart ({len(source['apart'])})</h3>\n"
                         "<p>Not finished, diverged or of an older grid: in no group, band or "
                         "verdict.</p>\n")
            parts.append(figure_html(draw_apart(source, figures, prefix + "-apart")))
        parts.append(f"<h3>Runs</h3>\n{runs_table(source)}")
    parts.append(IMAGE_CHECK + "</body></html>\n")
    target = os.path.join(out_dir, "index.html")
    handle, temporary = tempfile.mkstemp(dir=out_dir, suffix=".html")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write("".join(parts))
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)


if __name__ == "__main__":
    main()

"""Where each activation trains (the "sigmoid is fragile" answer): one map per activation, the
learning rate across, every combination of the grid's other values (depth, batch norm, init...)
down, each cell the share of its runs that reached the file's first training-error target.
Diverged runs count as not reached, whatever they reached before diverging (as the verdicts'
TARGET_reached counts them); killed or stale runs are left out. Drawn for a sweep whose grid varies activation and lr."""
from report_figures import esc, finish, fmt, np, panel_grid, plt


def row_key(axes):
    """A map's row: the grid values other than activation, lr and seed."""
    return tuple(sorted((k, str(v)) for k, v in axes.items()
                        if k not in ("seed", "activation", "lr")))


def lr_value(text):
    try:
        return float(text)
    except ValueError:
        return float("inf")


def draw_trainability(source, figures, stem):
    groups = [g for g in source["groups"] if {"activation", "lr"} <= set(g["axes"])]
    targets = [t for g in groups for t in g["targets"] if t["metric"] == "train_error"]
    if not targets:
        return None
    threshold = targets[0]["threshold"]
    # Every finished or diverged run is a trial of its cell (a cell whose runs all diverged is
    # 0 of n, not empty); only finished runs can have reached the target, as TARGET_reached counts.
    runs = [r for r in source["runs"] if r["class"] in ("finished", "diverged")
            and {"activation", "lr"} <= set(r["axes"])]
    rates = sorted({str(r["axes"]["lr"]) for r in runs}, key=lr_value)
    if len(rates) < 2:
        return None
    cells = {}  # activation -> {row (the other axes): {lr: [reached, runs]}}
    for run in runs:
        cell = cells.setdefault(run["axes"]["activation"], {}).setdefault(row_key(run["axes"]), {})
        cell.setdefault(str(run["axes"]["lr"]), [0, 0])[1] += 1
    for group in groups:
        target = next((t for t in group["targets"]
                       if t["metric"] == "train_error" and t["threshold"] == threshold), None)
        if target is None:
            continue
        axes = group["axes"]
        cells[axes["activation"]][row_key(axes)][str(axes["lr"])][0] += target["reached"]
    activations = sorted(cells)
    rows = sorted({row for per in cells.values() for row in per})
    fig, axes = panel_grid(len(activations), width=max(3.2, 1.2 + 0.55 * len(rates)),
                           height=2.4 + 0.32 * len(rows), ncols=3, sharey=True)
    cmap = plt.get_cmap("RdYlGn").copy()
    cmap.set_bad("lightgrey")
    image = None
    for ax, activation in zip(axes, activations):
        share = np.full((len(rows), len(rates)), np.nan)
        for r, row in enumerate(rows):
            for c, rate in enumerate(rates):
                reached, count = cells[activation].get(row, {}).get(rate, (0, 0))
                if count:
                    share[r, c] = reached / count
                    ax.text(c, r, f"{reached}/{count}", ha="center", va="center", fontsize=7)
        image = ax.imshow(np.ma.masked_invalid(share), origin="lower", aspect="auto", cmap=cmap,
                          vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks(range(len(rates)))
        ax.set_xticklabels(rates, rotation=45, fontsize=7)
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([", ".join(f"{k}={v}" for k, v in row) or "all" for row in rows],
                           fontsize=7)
        ax.set_xlabel("learning rate")
        trained = np.nansum(share >= 0.5)
        ax.set_title(f"{activation}: {int(trained)} of {int(np.isfinite(share).sum())} cells "
                     f"train", fontsize=9)
    finish(fig, f"{source['name']}: where each activation trains")
    fig.colorbar(image, ax=list(axes), shrink=0.85, label=f"share reaching {fmt(threshold)}")
    caption = (f"One map per activation: learning rate across, the grid's other values down; each "
               f"cell's colour and text are the share of its runs (seeds) that reached training "
               f"error {esc(fmt(threshold))}, the file's first training-error target, with "
               f"diverged runs counted as not reaching it; grey = no run. A cell trains when at "
               f"least half its runs do (the panel titles count those).")
    return figures.save(fig, stem), caption

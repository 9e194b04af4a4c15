"""Training error against epochs as Krizhevsky et al. 2012 drew their Figure 1: one panel per
combination of the grid's values other than activation and seed (a net, a regime), each
activation in its own line style (ReLU solid, tanh dashed, as in the paper), every run thin and
the group's mean thick, the training-error targets dotted."""
from report_figures import MaxNLocator, colours, esc, finish, fmt, np, panel_grid, values

# The paper's styles first; other activations take the rest in order.
LINE_STYLES = {"relu": "-", "tanh": "--"}
OTHER_STYLES = [":", "-.", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 3))]
MAX_PANELS = 12


def panel_key(group):
    return tuple((k, v) for k, v in group["axes"].items() if k != "activation")


def draw_by_activation(source, figures, stem):
    groups = [g for g in source["groups"]
              if g["curves"]["position"] and "activation" in g["axes"] and g.get("run_curves")]
    activations = sorted({g["axes"]["activation"] for g in groups},
                         key=lambda a: (a not in LINE_STYLES, list(LINE_STYLES).index(a)
                                        if a in LINE_STYLES else 0, a))
    panels = {}
    for group in groups:
        panels.setdefault(panel_key(group), []).append(group)
    # Only where it says more than the curves figure: activations compared in several settings.
    if len(activations) < 2 or not 2 <= len(panels) <= MAX_PANELS:
        return None
    others = iter(OTHER_STYLES * len(activations))
    style = {a: LINE_STYLES.get(a) or next(others) for a in activations}
    colour = dict(zip(activations, colours(len(activations))))
    fig, axes = panel_grid(len(panels), width=4.6, height=3.4, ncols=2, sharey=True)
    for ax, (key, members) in zip(axes, panels.items()):
        for group in members:
            activation = group["axes"]["activation"]
            for curve in group["run_curves"]:
                x, y = values(curve["position"]), values(curve["train_error"])
                ok = ~np.isnan(x) & ~np.isnan(y)
                ax.plot(x[ok], y[ok], ls=style[activation], color=colour[activation], lw=0.6,
                        alpha=0.55)
            # The mean only where every run of the group still ran (runs stop at a target).
            curves = group["curves"]
            full = np.array(curves["runs"]) == len(group["run_curves"])
            x, mean = values(curves["position"]), values(curves["train_error"]["mean"])
            ok = full & ~np.isnan(x) & ~np.isnan(mean)
            ax.plot(x[ok], mean[ok], ls=style[activation], color=colour[activation], lw=2.2,
                    label=f"{activation} (mean of {len(group['run_curves'])})")
            # Where the mean line cannot go on (runs stopped at the target): the mean epoch at
            # which the group's runs reached each training-error target, when every run did.
            for target in group["targets"]:
                if target["metric"] == "train_error" and target["epoch_mean"] is not None:
                    ax.plot([target["epoch_mean"]], [target["threshold"]], marker="v", ms=8,
                            color=colour[activation], markeredgecolor="black", zorder=5)
        thresholds = sorted({t["threshold"] for g in members for t in g["targets"]
                             if t["metric"] == "train_error"})
        for threshold in thresholds:
            ax.axhline(threshold, color="grey", ls=":", lw=1)
        ax.set_title(", ".join(f"{k} = {v}" for k, v in key) or "all runs", fontsize=9)
        ax.set_xlabel("epochs")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("training error")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    finish(fig, f"{source['name']}: training error by activation")
    targets = ", ".join(fmt(t) for t in sorted({t["threshold"] for g in groups
                                                for t in g["targets"]
                                                if t["metric"] == "train_error"}))
    caption = (f"Training error (eval mode, on the fixed sample of training images) against epochs, "
               f"one panel per setting of {esc(source['name'])}, drawn as Krizhevsky et al. 2012 "
               f"drew Figure 1: ReLU solid, tanh dashed, every run thin, the mean of the runs "
               f"thick (drawn while every run of the group still trains: runs that stop at a "
               f"target end early); ▼ marks the mean epoch at which the group's runs reached a "
               f"target, drawn when every run reached it. Dotted: the training-error targets "
               f"({esc(targets) or 'none'}).")
    return figures.save(fig, stem), caption

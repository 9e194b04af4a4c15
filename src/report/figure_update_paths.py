"""The zig-zag of weight updates (the zero-centring argument, LeCun et al. 1998): per group, how
straight the path of the weights that take each activation layer's outputs as inputs is
(consumer_weight_path_efficiency, |W_T - W_0| over the summed step lengths) and how much
consecutive updates agree (consumer_weight_update_cosine), each the mean over the activation
layers, against epochs. The numbers are report.json's update_paths, the same means the verdicts'
FIELD.mean reads."""
from report_figures import MaxNLocator, colours, esc, finish, np, plt, seeds_text, values

PANELS = (("consumer_weight_path_efficiency", "path efficiency |W_T - W_0| / sum |dW|"),
          ("consumer_weight_update_cosine", "cosine of consecutive updates"))


def draw_update_paths(source, figures, stem, band):
    groups = [g for g in source["groups"] if g.get("update_paths")]
    if not groups:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    for colour, group in zip(colours(len(groups)), groups):
        paths = group["update_paths"]
        epochs = values(paths["epochs"])
        for ax, (field, _) in zip(axes, PANELS):
            mean = values(paths[field]["mean"])
            ok = ~np.isnan(mean)
            if not ok.any():
                continue
            ax.plot(epochs[ok], mean[ok], color=colour, lw=1.8, marker=".", label=group["label"])
            ax.fill_between(epochs[ok], values(paths[field]["min"])[ok],
                            values(paths[field]["max"])[ok], color=colour, alpha=0.18, lw=0)
    for ax, (field, label) in zip(axes, PANELS):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(label)
        ax.set_title(f"{field} (mean over layers)", fontsize=9)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(3, max(1, len(labels))),
               bbox_to_anchor=(0.5, -0.02 - 0.05 * ((len(labels) + 2) // 3)), frameon=False)
    finish(fig, f"{source['name']}: the zig-zag of updates")
    caption = (f"Left: path efficiency of the weights that take each activation layer's outputs as "
               f"inputs (the next layer's, the classifier's for the last), |W_T - W_0| over the "
               f"summed lengths of the steps since the start: 1 for a straight path, smaller when "
               f"updates zig-zag. Right: the mean cosine between consecutive updates since the "
               f"previous epoch-end probe. Both the mean over activation layers at each epoch-end "
               f"probe; line = mean over the group's runs, band = {esc(band)}. Runs: "
               f"{esc(seeds_text(groups))}.")
    return figures.save(fig, stem), caption

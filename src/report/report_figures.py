"""What every figure of an actlab report shares: matplotlib set up headless, JSON values as
arrays, number formats, atomic saving (Figures) and the panel layout. Used by draw_report.py and
by each figure module beside it (figure_*.py)."""
import html
import math
import os
import sys
import tempfile

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm, Normalize
    from matplotlib.ticker import MaxNLocator
    import numpy as np
except ImportError as error:  # the C++ side checks first; this is the fallback message
    sys.exit(f"draw_report.py: {error}: install it with `apt-get install python3-matplotlib`")

CURVE_LABELS = {"train_error": "training error", "test_error": "test error"}


def values(sequence):
    """A JSON list with nulls as a float array with NaN."""
    return np.array([math.nan if v is None else v for v in sequence], dtype=float)


def fmt(value, digits=4):
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return f"{value:.{digits}g}"
    return str(value)


def esc(value):
    return html.escape(str(value))


class Figures:
    """Saves figures atomically as PNG (for the page) and SVG (for papers); compact: PNG only,
    in 256 colours (a third of the size: for a report committed to a repository)."""

    def __init__(self, out_dir, compact=False):
        self.out_dir = out_dir
        self.compact = compact
        os.makedirs(os.path.join(out_dir, "figures"), exist_ok=True)

    def save(self, fig, stem):
        paths = {}
        formats = (("png", {"dpi": 110}),) if self.compact else (("png", {"dpi": 110}), ("svg", {}))
        for ext, options in formats:
            relative = f"figures/{stem}.{ext}"
            target = os.path.join(self.out_dir, relative)
            handle, temporary = tempfile.mkstemp(dir=os.path.dirname(target), suffix="." + ext)
            os.close(handle)
            fig.savefig(temporary, format=ext, bbox_inches="tight", **options)
            if self.compact:
                from PIL import Image  # matplotlib's own dependency
                with Image.open(temporary) as image:
                    image.convert("RGB").quantize(colors=256).save(temporary, "PNG", optimize=True)
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
            paths[ext] = relative
        paths.setdefault("svg", None)
        plt.close(fig)
        return paths


def finish(fig, title):
    """A title above the panels, with room kept for it whatever the figure's height."""
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.45 / fig.get_figheight()))


def colours(count):
    cmap = plt.get_cmap("tab10" if count <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(count)]


def seeds_text(groups):
    parts = []
    for group in groups:
        seeds = ", ".join(fmt(s) for s in group["seeds"])
        parts.append(f"{group['label']} ({len(group['runs'])} runs, seeds {seeds})")
    return "; ".join(parts)


def panel_grid(count, width=4.2, height=3.2, ncols=3, **kwargs):
    ncols = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False,
                             **kwargs)
    for extra in axes.flat[count:]:
        extra.set_visible(False)
    return fig, axes.flat[:count]

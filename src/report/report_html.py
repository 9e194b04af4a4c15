"""The HTML of an actlab report (draw_report.py): the tables beside the figures, the page's style.

Every number comes from report.json as actlab wrote it; the verdict rows show the verdict engine's
own words (verdicts.json's "shown"), never a value recomputed here.
"""
from report_figures import esc, fmt


def figure_html(drawn):
    if not drawn:
        return ""
    paths, caption = drawn
    link = paths["svg"] or paths["png"]
    svg = f' <a href="{esc(paths["svg"])}">SVG</a>' if paths["svg"] else ""
    return (f'<figure><a href="{esc(link)}"><img src="{esc(paths["png"])}" '
            f'alt="{esc(caption[:80])}"></a><figcaption>{caption}{svg}</figcaption></figure>\n')


def verdict_table(source):
    if source.get("verdict_error"):
        return f'<p class="error">Verdicts not computed: {esc(source["verdict_error"])}</p>'
    rows = []
    for v in source["verdicts"]:
        shown = v["shown"]  # written by actlab's verdict engine: the words RESULTS.md shows
        rows.append(
            f"<tr class=\"{esc(v['outcome']).replace(' ', '-')}\"><td><b>{esc(v['outcome'])}</b></td>"
            f"<td>{esc(v['says'])}{' (' + esc(v['scope']) + ')' if v['scope'] else ''}</td>"
            f"<td><code>{esc(v['metric'])}</code></td>"
            f"<td>{esc(shown['a'])}</td><td>{esc(shown['b'])}</td>"
            f"<td>{esc(shown['effect'])}</td><td>{esc(shown['p'])}</td><td>{esc(v['test'])}</td>"
            f"<td>{esc(v['expect'])}</td><td>{esc(v['note'])}"
            + (f"<br>at the neighbouring rates: {esc(shown['neighbours'])}"
               if shown.get("neighbours") else "")
            + "</td></tr>")
    if not rows:
        rows.append('<tr><td colspan="10">the experiment declares no verdict</td></tr>')
    return ('<table class="verdicts"><tr><th>outcome</th><th>claim</th><th>metric</th>'
            '<th>a: values by seed</th><th>b: values by seed</th><th>effect [CI]</th>'
            '<th>p (Holm)</th><th>test</th><th>expected</th><th>note</th>'
            "</tr>\n" + "\n".join(rows) + "</table>\n")


def group_table(source):
    rows = []
    for g in source["groups"]:
        c = g["curves"]
        last = lambda metric: (fmt(c[metric]["mean"][-1]) + f" [{fmt(c[metric]['min'][-1])}, "
                               f"{fmt(c[metric]['max'][-1])}]") if c["position"] else "–"
        targets = "; ".join(
            f"{t['metric']} ≤ {fmt(t['threshold'])}: "
            + (f"epoch {fmt(t['epoch_mean'], 3)}" if t["epoch_mean"] is not None else "not all")
            + f" ({t['reached']}/{t['runs']})" for t in g["targets"])
        rows.append(f"<tr><td>{esc(g['label'])}</td><td>{len(g['runs'])}</td>"
                    f"<td>{esc(', '.join(fmt(s) for s in g['seeds']))}</td>"
                    f"<td>{last('train_error')}</td><td>{last('test_error')}</td>"
                    f"<td>{esc(targets)}</td></tr>")
    return ('<table class="groups"><tr><th>group</th><th>runs</th><th>seeds</th>'
            "<th>final training error, mean [min, max]</th><th>final test error, mean [min, max]</th>"
            "<th>targets: mean epoch reached (runs reaching)</th></tr>\n" + "\n".join(rows)
            + "</table>\n")


def runs_table(source):
    rows = []
    for r in source["runs"]:
        configuration = ", ".join(f"{k}={fmt(v)}" for k, v in r["config"].items())
        p = r["provenance"]
        o = r["outcome"]
        kind = r["class"] if r["class"] == "finished" else f"{r['class']}: {r['reason']}"
        rows.append(
            f"<tr class=\"{esc(r['class'])}\"><td><code>{esc(r['id'])}</code></td><td>{esc(kind)}</td>"
            f"<td>{esc(r['status'])}</td><td>{esc(r['group'] or '– (not averaged)')}</td>"
            f"<td>{esc(configuration)}</td>"
            f"<td>{esc(p['git_commit'])}</td><td>{esc(p['libtorch_version'])}</td>"
            f"<td>{esc(p['device'])}</td><td>{fmt(o['epochs_completed'])}</td>"
            f"<td>{fmt(o['final_test_error'])}</td><td>{fmt(o['best_test_error'])}</td>"
            f"<td>{fmt(o['total_seconds'], 3)}</td></tr>")
    common = ", ".join(f"{k}={fmt(v)}" for k, v in source["common_config"].items())
    return ("<table class=\"runs\"><tr><th>run</th><th>class</th><th>status</th><th>group</th>"
            "<th>configuration (where runs differ)</th><th>git commit</th><th>LibTorch</th>"
            "<th>device</th><th>epochs</th><th>final test error</th><th>best test error</th>"
            "<th>seconds</th></tr>\n" + "\n".join(rows) + "</table>\n"
            f"<p class=\"common\"><b>Configuration shared by every run:</b> {esc(common)}</p>\n")


STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
tr.HOLDS td:first-child { background: #d8f0d8; } tr.FAILS td:first-child { background: #f6d6d6; }
tr.INCONCLUSIVE td:first-child { background: #f6eecb; }
tr.NOT-TRAINED td:first-child { background: #e4e4e4; }
tr.apart, tr.diverged { background: #fbf3e6; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #444; max-width: 1100px; }
.error { color: #a00; } .meta { color: #555; font-size: 0.85em; } .common { font-size: 0.8em; }
"""

# Sets data-images and data-broken-images on <body> once every image has loaded or failed, so a
# headless browser (or a person with the console) can check that no figure is broken.
IMAGE_CHECK = """
<script>
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (i) { return !i.complete || i.naturalWidth === 0; });
  document.body.dataset.images = images.length;
  document.body.dataset.brokenImages = broken.length;
});
</script>
"""

#!/usr/bin/env bash
# `cmake --install` gives a working actlab anywhere: the binary, its drawing script and the
# experiments go under a prefix, and the installed binary finds its script relative to itself
# (no source or build path compiled in), also after the prefix is moved.
# Usage: install_test.sh ACTLAB_BINARY BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(realpath "$2")
root=$(realpath "$3")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
  { tail -5 "$tmp/install.log"; fail "cmake --install $build failed (log above)"; }
for file in bin/actlab share/actlab/report/draw_report.py share/actlab/report/report_html.py \
  share/actlab/experiments/quickstart.toml share/actlab/experiments/README.md; do
  [ -f "$tmp/prefix/$file" ] || fail "cmake --install put no $file under the prefix"
done
[ -x "$tmp/prefix/share/actlab/report/draw_report.py" ] || fail "draw_report.py installed not executable"

# Moved: only what is relative to the binary can still be found.
mv "$tmp/prefix" "$tmp/moved"
actlab=$tmp/moved/bin/actlab
"$actlab" --version | grep -q '^actlab ' || fail "the installed actlab does not start: $("$actlab" --version 2>&1 | head -1)"
"$actlab" run "$tmp/moved/share/actlab/experiments/quickstart.toml" --dry-run --out "$tmp/q" \
  >"$tmp/dry.log" 2>&1 || { tail -3 "$tmp/dry.log"; fail "the installed quickstart.toml does not expand"; }

# The report is drawn by the installed script (a python3 with matplotlib is needed: skip without).
if ! /usr/bin/python3 -c "import matplotlib" 2>/dev/null && [ -z "${ACTLAB_PYTHON:-}" ]; then
  echo "SKIP: no python3 with matplotlib to draw the report with"
  exit 77
fi
cp -r "$root/tests/records/tiny_sweep" "$tmp/tiny_sweep"
(cd "$tmp" && "$actlab" report --compact --out "$tmp/report" tiny_sweep >"$tmp/report.log" 2>&1) ||
  { tail -3 "$tmp/report.log"; fail "the installed actlab could not draw a report"; }
grep -q '<h1>actlab report</h1>' "$tmp/report/index.html" || fail "no index.html drawn"
ls "$tmp/report"/figures/*.png >/dev/null 2>&1 || fail "no figure drawn in $tmp/report/figures"

# Without its script, one line that says how to get it back.
rm "$tmp/moved/share/actlab/report/draw_report.py"
if (cd "$tmp" && "$actlab" report --out "$tmp/report2" tiny_sweep >"$tmp/missing.log" 2>&1); then
  fail "a report was drawn without the drawing script"
fi
grep -q "draw_report.py is in neither .*cmake --install" "$tmp/missing.log" ||
  fail "no one-line error for a missing script: $(tail -1 "$tmp/missing.log")"
echo "installed, moved, ran: version, an experiment, a drawn report; a missing script is one line"

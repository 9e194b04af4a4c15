#!/usr/bin/env bash
# RESULTS.md cannot drift from the committed records: every block `actlab results` writes into it
# (verdicts with their intervals, the summary table) must equal what the sweep folders give now.
# Usage: results_md_test.sh ACTLAB_BINARY RESULTS_MD
set -euo pipefail
exec "$1" results --check "$2"

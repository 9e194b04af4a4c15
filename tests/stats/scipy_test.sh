#!/usr/bin/env bash
# The reference numbers of the verdicts' statistics (tests/stats/scipy_cases.json, which the
# [statistics] test holds actlab to) recomputed by scipy.stats itself: Debian's python3-scipy, or
# $ACTLAB_PYTHON. Exit 77 (skipped, visibly) without scipy.
# Usage: scipy_test.sh ACTLAB_BINARY (unused) CASES_SCRIPT CASES_JSON
set -euo pipefail
for python in "${ACTLAB_PYTHON:-}" /usr/bin/python3 python3; do
  if [ -n "$python" ] && "$python" -c 'import scipy' 2>/dev/null; then
    exec "$python" "$2" --check "$3"
  fi
done
echo "SKIPPED: no python3 with scipy (apt-get install python3-scipy)"
exit 77

#!/usr/bin/env bash
# The test suite, all of it: set up, run the style gate (ruff, mypy, clang-format:
# scripts/style.sh), then pytest with every marker (host-native and emulated-board tests).
# Extra arguments go to pytest, e.g.  ./test.sh -k link
set -euo pipefail
source "$(dirname "$0")/scripts/bootstrap.sh"
hil_bootstrap
cd "$HIL_ROOT"
HILBENCH_VENV="$HILBENCH_VENV" bash scripts/style.sh
exec "$HILBENCH_VENV/bin/python" -m pytest -m "" --durations=25 "$@"

#!/usr/bin/env bash
# The test suite, all of it (host-native and emulated-board tests): set up, then pytest.
# Extra arguments go to pytest, e.g.  ./test.sh -k link
set -euo pipefail
source "$(dirname "$0")/scripts/bootstrap.sh"
hil_bootstrap
cd "$HIL_ROOT"
exec "$HILBENCH_VENV/bin/python" -m pytest -m "" --durations=25 "$@"

#!/usr/bin/env bash
# The main job: set up, then benchmark the demo model on the default emulated board
# (Cortex-M4F under QEMU), print the results table and write results/<run-id>/.
# Extra arguments go to `hilbench run`, e.g.  ./bench.sh --board host
set -euo pipefail
source "$(dirname "$0")/scripts/bootstrap.sh"
hil_bootstrap
cd "$HIL_ROOT"
exec "$HILBENCH_VENV/bin/hilbench" run "$@"

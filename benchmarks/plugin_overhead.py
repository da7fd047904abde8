"""What installing hilbench adds to a plain pytest run that uses none of it.

Runs a two-test project with pytest N times with the hilbench plugin and N times with
`-p no:hilbench`, and prints the median start-up of each and the difference beside the
goal of issue [5/12] (plain pytest unaffected: under 0.3 s added). tests/test_pytest_plugin.py
checks why it stays small (the plugin imports nothing heavy); this measures it.

    python benchmarks/plugin_overhead.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_S = 0.3
PLAIN = "def test_a():\n    assert 1\n\n\ndef test_b():\n    assert 2\n"


def _run(cwd: Path, *extra: str) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HIL_", "HILBENCH_"))}
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        proj = Path(d)
        (proj / "test_plain.py").write_text(PLAIN)
        on, off = [], []
        for _ in range(args.runs):
            on.append(_run(proj))
            off.append(_run(proj, "-p", "no:hilbench"))
    added = statistics.median(on) - statistics.median(off)
    print(
        f"plain pytest, median of {args.runs}: with hilbench {statistics.median(on):.3f} s, "
        f"without {statistics.median(off):.3f} s"
    )
    print(
        f"added by the plugin: {added:.3f} s   goal: < {GOAL_S} s   {'met' if added < GOAL_S else 'NOT met'}"
    )


if __name__ == "__main__":
    main()

"""A board that dies mid-run is stored as partial, never complete, and is never the
baseline `last`: the next healthy `--baseline last` run compares with the last complete
run and says which run it skipped.

The board dies for real: the test kills the run's QEMU (found by the HILBENCH_TEST_TAG
its environment carries, tests/test_emulated.py) while hilbench streams vectors. If
hilbench restarts the emulator (device recovery), `--max-restarts 0` asks it not
to, so the death reaches the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from hilbench.results.store import load_events, read_meta
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool
from tests.test_emulated import qemu_pids
from tests.test_run import run_id_from

pytestmark = pytest.mark.emulated


def test_dead_board_run_is_partial_and_skipped_as_baseline(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    res = tmp_path / "res"
    good = run_cli("run", "--limit", "40", "--results-dir", str(res), "--no-report")
    assert good.code == 0, good.stderr
    good_id = run_id_from(good.stdout)

    tag = uuid.uuid4().hex
    env = dict(os.environ, HILBENCH_TEST_TAG=tag, HILBENCH_FLUSH_ROWS="10")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hilbench",
            "run",
            "--repeat",
            "20",
            "--results-dir",
            str(res),
            "--no-report",
            "--max-restarts",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    end = time.monotonic() + 120
    while time.monotonic() < end and not list(res.glob("*/samples/batch-*.parquet")):
        time.sleep(0.1)
    pids = qemu_pids(tag)
    assert pids, "QEMU of the run not found"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)  # the board dies
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2, (proc.returncode, err)
    assert "Traceback" not in err
    (dead,) = [p for p in res.iterdir() if p.is_dir() and p.name != good_id]
    meta = read_meta(dead)
    assert meta["status"] in ("partial", "failed"), meta
    assert meta["status"] == "partial" and meta["samples"] > 0  # rows measured before the death are kept
    assert "failed" in meta["status_reason"]
    assert "job_failed" in load_events(dead.name, res).kind.tolist()
    assert [j["status"] for j in meta["jobs"]] == ["error"]

    show = run_cli("show", "last", "--results-dir", str(res))
    assert show.code == 0 and f"run {dead.name}  partial" in show.stdout, show.stdout
    hist = run_cli("history", "--results-dir", str(res))
    assert f"{dead.name} (partial)" in hist.stdout, hist.stdout

    nxt = run_cli("run", "--limit", "40", "--results-dir", str(res), "--no-report", "--baseline", "last")
    assert nxt.code == 0, (nxt.stdout, nxt.stderr)
    warns = [ln for ln in nxt.stderr.splitlines() if ln.startswith("hilbench: warning:")]
    assert warns == [
        f"hilbench: warning: run {dead.name} is {meta['status']} ({meta['status_reason']}): "
        "skipped as baseline 'last' (not complete)"
    ], nxt.stderr
    assert f"vs baseline {good_id} (last)" in nxt.stdout
    assert json.loads((res / "tags.json").read_text())["last-good"] == run_id_from(nxt.stdout)

"""The default emulated board (Cortex-M4F under QEMU mps2-an386), for real.

Slower than the host-native tests (each run boots QEMU), so marked `emulated`; ./test.sh
and .ci/run run them.
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

import hilbench.results
from tests.clihelp import ROOT, assert_one_line_error, run_cli
from tests.conftest import need_tool
from tests.test_cli_errors import tanh_model
from tests.test_run import reference_top1, run_id_from

pytestmark = pytest.mark.emulated


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")


def qemu_pids(tag: str | None = None) -> set[int]:
    """QEMU processes started by hilbench; with tag, only those whose environment carries
    HILBENCH_TEST_TAG=tag (QEMU inherits it from the hilbench run that started it), so
    emulators of other concurrent runs on this machine are never counted."""
    out = subprocess.run(["pgrep", "-f", "hilbench-qemu-"], capture_output=True, text=True).stdout
    pids = {int(p) for p in out.split()}
    if tag is None:
        return pids
    mine = set()
    for pid in pids:
        try:
            env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"HILBENCH_TEST_TAG={tag}".encode() in env:
            mine.add(pid)
    return mine


def test_demo_run_is_exact_and_repeatable(tmp_path: Path) -> None:
    tag = uuid.uuid4().hex
    runs = []
    for _ in range(2):
        r = run_cli("run", "--results-dir", str(tmp_path), env={"HILBENCH_TEST_TAG": tag})
        assert r.code == 0, r.stderr
        assert "qemu_icount" in r.stdout and "mps2-an386" in r.stdout and "emulated" in r.stdout
        runs.append(hilbench.results.load(run_id_from(r.stdout), tmp_path))
    a, b = (df[df.phase == "measure"].set_index("sample_id") for df in runs)
    assert len(a) == 360
    assert (a.timing_source == "qemu_icount").all() and a.emulated.all()
    assert a.bit_exact.all()
    assert a.correct.mean() == reference_top1()  # exactly the reference interpreter's top-1
    assert (a.cycles > 0).all() and (a.cycles % 40 == 0).all()  # 25 MHz SysTick: 40 insns per tick
    assert a.cycles.equals(b.cycles), "cycle counts differ between two runs"
    assert a.prediction.equals(b.prediction)
    layers = hilbench.results.load_layers(runs[0].run_id.iloc[0], tmp_path)
    assert len(layers) == 2 and layers.timing_source.eq("qemu_icount").all()
    first = a.cycles.iloc[0]
    assert 0.9 * first <= layers.cycles.sum() <= first * 1.05 + 400  # ops only; the hook adds a little
    assert not qemu_pids(tag), "QEMU left running"


def test_unsupported_op_refused_by_emulated_dut(tmp_path: Path) -> None:
    m = tmp_path / "tanh.tflite"
    m.write_bytes(tanh_model())
    r = run_cli(
        "run",
        "--model",
        str(m),
        "--dataset",
        str(ROOT / "hilbench/demo/digits"),
        "--results-dir",
        str(tmp_path / "res"),
        "--limit",
        "2",
    )
    assert_one_line_error(r, "TANH", "op 1", "mps2-an386")
    assert not list((tmp_path / "res").glob("*/samples.parquet"))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_no_orphan_qemu_when_hilbench_is_stopped(tmp_path: Path, sig: int) -> None:
    tag = uuid.uuid4().hex
    proc = subprocess.Popen(
        [sys.executable, "-m", "hilbench", "run", "--results-dir", str(tmp_path), "--repeat", "20"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(os.environ, HILBENCH_TEST_TAG=tag),
    )
    deadline = time.monotonic() + 120
    mine: set[int] = set()
    while time.monotonic() < deadline and not mine:
        time.sleep(0.2)
        mine = qemu_pids(tag)
    assert mine, "QEMU never started"
    time.sleep(3)  # let it stream vectors
    proc.send_signal(sig)
    proc.wait(timeout=30)
    end = time.monotonic() + 10
    while time.monotonic() < end and qemu_pids(tag):
        time.sleep(0.1)
    assert not qemu_pids(tag), f"QEMU {mine} outlived hilbench after signal {sig}"
    if sig == signal.SIGINT:
        assert proc.returncode == 130
        assert list(tmp_path.glob("*/samples/batch-*.parquet")), "measured rows were lost"
        assert not list(tmp_path.glob("*/samples.parquet"))
        (meta,) = [json.loads(p.read_text()) for p in tmp_path.glob("*/run.json")]
        assert meta["status"] == "partial" and meta["interrupted"] == "SIGINT"

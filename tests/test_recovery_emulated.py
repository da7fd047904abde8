"""Recovery of an emulated board (real QEMU, mps2-an386): QEMU killed, stopped or dying on
every start, with the signal sent from the test at a seeded moment (tests/recoveryhelp.py).

About 60 s on a loaded two-core machine; the SIGSTOP and hung-guest cases each wait out
the link's timeout (2 s x 6 attempts) before they can say the board stopped answering.
"""

from __future__ import annotations

import re

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hilbench import demo
from hilbench.config import load_boards
from hilbench.devices.recovery import override_max_restarts
from hilbench.runner.job import Job
from tests.clihelp import stderr_lines
from tests.conftest import ROOT, need_tool, shared_path
from tests.recoveryhelp import HANG, DutKiller, kill_dut_mid_run, measured, run_with_events

pytestmark = pytest.mark.emulated

BOARD = "mps2-an386"


def qemu_job(
    repeat: int = 1,
    limit: int | None = 150,
    max_restarts: int | None = None,
    label: str | None = None,
    model: Path | None = None,
    dataset: Path | None = None,
) -> Job:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    board = load_boards(ROOT / "boards.toml").get(BOARD)
    job = Job(
        board,
        model or Path(demo.DEMO_MODEL),
        dataset or Path(demo.DEMO_DATASET),
        label=label,
        limit=limit,
        repeat=repeat,
        profile=False,
    )
    return override_max_restarts([job], max_restarts)[0]


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    from hilbench.runner.bench import run_jobs

    result = run_jobs([qemu_job(repeat=2)], tmp_path_factory.mktemp("clean"))
    assert not result.errors, result.errors[0].error
    return result.rows


def _ticks(rows: list[dict]) -> list[int]:
    return [r["ticks"] for r in rows if r["phase"] == "measure"]


@pytest.mark.parametrize(
    ("sig", "cause"),
    [
        (signal.SIGKILL, "QEMU exited with signal 9 (SIGKILL) on board 'mps2-an386'"),
        (signal.SIGSTOP, "QEMU stopped answering (SIGSTOP?) on board 'mps2-an386': process "),
        (HANG, "no answer from board 'mps2-an386' within 12 s (QEMU process "),
    ],
    ids=["SIGKILL", "SIGSTOP", "hung-guest"],
)
def test_qemu_killed_or_stopped_mid_run_is_restarted(
    sig: int, cause: str, clean_run: list[dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = random.Random(sig).randrange(20, 250)
    killer = DutKiller(at=at, sig=sig, seed=sig)
    result, events = run_with_events([qemu_job(repeat=2)], tmp_path, monkeypatch, progress=killer)
    assert killer.killed, "the test never signalled QEMU"
    assert not result.errors, result.errors[0].error
    assert measured(result.rows) == measured(clean_run)  # every sample once, in order, same outputs
    assert _ticks(result.rows) == _ticks(clean_run)  # -icount: the same instruction counts too
    restarts = [e for e in events if e["kind"] == "restart"]
    assert len(restarts) == 1, events
    assert restarts[0]["detail"].startswith(cause), restarts[0]["detail"]
    assert restarts[0]["board"] == BOARD and at <= restarts[0]["sample_index"] <= len(result.rows)
    if sig in (signal.SIGSTOP, HANG):  # the silent link retransmitted before giving up: summarised
        retx = [e for e in events if e["kind"] == "retransmit"]
        assert retx and retx[0]["count"] > 0


def test_qemu_dying_on_every_start_quarantines_the_board(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    killer = DutKiller(at=40, every_start=True)
    jobs = [qemu_job(max_restarts=2, label="first"), qemu_job(max_restarts=2, label="second")]
    try:
        result, events = run_with_events(jobs, tmp_path, monkeypatch, progress=killer)
    finally:
        killer.stop()
    first, second = result.outcomes
    assert first.status == "error" and first.error_kind == "infrastructure"
    assert first.error.startswith(f"board '{BOARD}' quarantined after 3 consecutive failures: "), first.error
    assert "signal 9 (SIGKILL)" in first.error and "multiple access" not in first.error
    assert second.error == first.error and not [r for r in result.rows if "/second/" in r["job_id"]]
    kinds = [e["kind"] for e in events if e["kind"] not in ("retransmit", "job_failed")]
    assert kinds == ["restart", "restart", "quarantine"], events
    assert len(killer.killed) >= 3


def test_restarts_disabled_exit_2_names_the_signal(tmp_path: Path) -> None:
    """`hilbench run --max-restarts 0`, QEMU killed by the test 1-3 s (seeded) into the run:
    exit 2 and one line naming QEMU's death, not pyserial's "device disconnected"."""
    qemu_job()  # skips without QEMU / the cross compiler
    env = dict(os.environ, COLUMNS="200")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hilbench",
            "run",
            "--board",
            BOARD,
            "--repeat",
            "6",
            "--no-profile",
            "--no-report",
            "--max-restarts",
            "0",
            "--results-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = kill_dut_mid_run(
        proc, after_s=random.Random(7).uniform(1.0, 3.0), start_within_s=120, poll_s=0.05
    )
    assert proc.returncode == 2, (out, err)
    lines = stderr_lines(err)  # progress lines aside (stderr is a pipe)
    assert len(lines) == 1, err
    # the cause, then (since the run store says so) which run was kept and how
    assert re.fullmatch(
        rf"hilbench: error: QEMU exited with signal 9 \(SIGKILL\) on board '{BOARD}' "
        r"\(run \S+ partial\)",
        lines[0],
    ), err
    assert "Traceback" not in out + err


def test_sigterm_is_named_although_qemu_exits_0() -> None:
    """QEMU catches SIGTERM and exits 0; its "terminating on signal 15" line names it."""
    need_tool("qemu-system-arm")
    from hilbench import firmware
    from hilbench.flash.qemu import QemuProcess

    image = firmware.build_image(BOARD)
    with QemuProcess("qemu-system-arm", BOARD, image) as q:
        assert q.exit_reason() is None and not q.stopped()
        os.kill(q.pid, signal.SIGSTOP)
        end = time.monotonic() + 5
        while not q.stopped() and time.monotonic() < end:
            time.sleep(0.01)
        assert q.stopped()
        os.kill(q.pid, signal.SIGCONT)
        os.kill(q.pid, signal.SIGTERM)
        assert q.exit_reason(wait=5.0) == "exited with signal 15 (SIGTERM)"


def test_kws_run_survives_a_qemu_kill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's case: KWS on kws01, QEMU killed mid-run; every vector once, bit-exact."""
    model = shared_path("models", "mlperf-tiny", "kws_ref_model.tflite")
    dataset = shared_path("datasets", "kws01")
    killer = DutKiller(at=random.Random(5).randrange(10, 60), seed=5)
    job = qemu_job(limit=80, model=model, dataset=dataset)
    result, events = run_with_events([job], tmp_path, monkeypatch, progress=killer)
    assert killer.killed and not result.errors, result.errors and result.errors[0].error
    ids = [r["sample_id"] for r in result.rows if r["phase"] == "measure"]
    assert len(ids) == 80 and len(set(ids)) == 80
    assert all(r["bit_exact"] for r in result.rows)
    assert [e["kind"] for e in events if e["kind"] == "restart"] == ["restart"]


def test_flash_model_partition_is_written_again_after_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """model_store = "flash": the restarted QEMU gets the model partition again (-device
    loader, EmulatedDevice.restart_with_partition) before the run goes on."""
    job = qemu_job(limit=60)
    job = Job(
        job.board.model_copy(update={"model_store": "flash"}), job.model, job.dataset, limit=60, profile=False
    )
    killer = DutKiller(at=25, seed=2)
    result, events = run_with_events([job], tmp_path, monkeypatch, progress=killer)
    assert killer.killed and not result.errors, result.errors and result.errors[0].error
    ids = [r["sample_id"] for r in result.rows if r["phase"] == "measure"]
    assert len(ids) == 60 and len(set(ids)) == 60 and all(r["bit_exact"] for r in result.rows)
    assert [e["kind"] for e in events if e["kind"] == "restart"] == ["restart"]

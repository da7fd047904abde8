"""Recovery on the host (native) board and the pieces that need no emulator.

The DUT is the real host build of the firmware, killed with a real SIGKILL from the test
at a seeded moment (tests/recoveryhelp.py); the run must complete with every sample
exactly once, outputs identical to a clean run, and the restart in the events.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from hilbench import demo
from hilbench.config import load_boards
from hilbench.devices.recovery import (
    QuarantineError,
    RecoveringDevice,
    describe_returncode,
    link_symptom,
    override_max_restarts,
    process_state,
    pulse_reset,
)
from hilbench.errors import ConfigError, LinkError, NotImplementedFeature
from hilbench.runner.job import Job
from tests.conftest import ROOT, need_tool
from tests.recoveryhelp import DutKiller, measured, run_with_events


def host_job(
    limit: int = 120, repeat: int = 1, max_restarts: int | None = None, label: str | None = None
) -> Job:
    board = load_boards(ROOT / "boards.toml").get("host")
    job = Job(
        board,
        Path(demo.DEMO_MODEL),
        Path(demo.DEMO_DATASET),
        label=label,
        limit=limit,
        repeat=repeat,
        profile=False,
    )
    return override_max_restarts([job], max_restarts)[0]


@pytest.fixture(scope="module")
def clean_host_run(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, int, str]]:
    need_tool("gcc")
    from hilbench.runner.bench import run_jobs

    result = run_jobs([host_job(limit=None, repeat=3)], tmp_path_factory.mktemp("clean"))
    assert not result.errors
    return measured(result.rows)


@pytest.mark.parametrize("seed", [3, 11])
def test_killed_host_dut_is_restarted_and_the_run_completes(
    seed: int, clean_host_run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    at = random.Random(seed).randrange(10, 200)
    killer = DutKiller(at=at, seed=seed)
    result, events = run_with_events([host_job(limit=None, repeat=3)], tmp_path, monkeypatch, progress=killer)
    assert killer.killed, "the test never killed the DUT"
    assert not result.errors, result.errors[0].error
    got = measured(result.rows)
    assert got == clean_host_run  # every sample once, in order, outputs identical
    restarts = [e for e in events if e["kind"] == "restart"]
    assert len(restarts) == 1, events
    assert restarts[0]["detail"] == "DUT process exited with signal 9 (SIGKILL) on board 'host'"
    assert restarts[0]["board"] == "host"
    # the plan position of the cut inference (warm-up + measured rows before it): at or after
    # the kill was armed (the signal lands a seeded few ms later), inside the plan
    assert at <= restarts[0]["sample_index"] < len(got) + 1


def test_host_dut_that_dies_on_every_start_is_quarantined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The host DUT answers HELLO within a millisecond, faster than a watcher could kill it,
    so here the process gets its SIGKILL right after each start, once the first kill is done."""
    import os

    from hilbench.devices.native import NativeDevice

    need_tool("gcc")
    killer = DutKiller(at=20)
    real_start = NativeDevice._start

    def start_and_die(self):  # type: ignore[no-untyped-def]
        transport = real_start(self)
        if killer.killed:
            os.kill(transport.process.pid, signal.SIGKILL)
        return transport

    monkeypatch.setattr(NativeDevice, "_start", start_and_die)
    jobs = [
        host_job(limit=None, repeat=5, max_restarts=2, label="first"),
        host_job(limit=None, repeat=5, max_restarts=2, label="second"),
    ]
    result, events = run_with_events(jobs, tmp_path, monkeypatch, progress=killer)
    first, second = result.outcomes
    assert first.status == "error" and first.error_kind == "infrastructure"
    assert first.error.startswith("board 'host' quarantined after 3 consecutive failures: "), first.error
    assert "pyserial" not in first.error and "multiple access" not in first.error
    assert second.status == "error" and second.error == first.error  # the board's next job is skipped
    assert not [r for r in result.rows if r["job_id"].startswith("host/second")]
    kinds = [e["kind"] for e in events if e["kind"] not in ("retransmit", "job_failed")]
    assert kinds == ["restart", "restart", "quarantine"], events
    # the runner records each job's failure too (both jobs: the second is skipped)
    assert [e["job_id"] for e in events if e["kind"] == "job_failed"] == [
        "host/first/digits",
        "host/second/digits",
    ]
    assert len([r for r in result.rows if r["phase"] == "measure"]) >= 19  # what was measured is kept


def test_restarts_disabled_the_first_failure_ends_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    need_tool("gcc")
    killer = DutKiller(at=30)
    result, events = run_with_events(
        [host_job(limit=None, repeat=5, max_restarts=0)], tmp_path, monkeypatch, progress=killer
    )
    (out,) = result.outcomes
    assert out.status == "error" and out.error == "DUT process exited with signal 9 (SIGKILL) on board 'host'"
    assert not [e for e in events if e["kind"] in ("restart", "quarantine")]


def test_a_silent_device_counts_only_consecutive_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    """A success between two failures resets the count: a board that fails now and then is
    restarted each time, one that fails again right after its restart is quarantined."""
    need_tool("gcc")
    from hilbench.devices import make_device

    board = load_boards(ROOT / "boards.toml").get("host").model_copy(update={"max_restarts": 1})
    with RecoveringDevice(make_device(board)) as dev:
        dev.open()
        dev.load_model(Path(demo.DEMO_MODEL).read_bytes())
        vec = bytes(64)
        first = dev.run(vec)
        for _ in range(3):  # fails now and then: restarted every time
            dev.process_transport.process.kill()
            assert dev.run(vec).output == first.output
        assert dev.restarts == 3 and dev.failures == 0
        real_restart = dev.inner.restart_dut

        def restart_then_die(cause: str) -> None:
            real_restart(cause)
            dev.process_transport.process.kill()

        monkeypatch.setattr(dev.inner, "restart_dut", restart_then_die)
        dev.process_transport.process.kill()
        with pytest.raises(
            QuarantineError, match=r"quarantined after 2 consecutive failures: DUT process exited"
        ):
            dev.run(vec)
        with pytest.raises(QuarantineError):  # and stays quarantined
            dev.run(vec)


def test_process_state_and_exit_names() -> None:
    assert describe_returncode(-9) == "signal 9 (SIGKILL)"
    assert describe_returncode(-15) == "signal 15 (SIGTERM)"
    assert describe_returncode(3) == "exit code 3"
    proc = subprocess.Popen(["sleep", "30"])
    try:
        proc.send_signal(signal.SIGSTOP)
        end = time.monotonic() + 5
        while process_state(proc.pid) != "T" and time.monotonic() < end:
            time.sleep(0.01)
        assert process_state(proc.pid) == "T"
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.05)
        assert process_state(proc.pid) in ("S", "R")
    finally:
        proc.kill()
        proc.wait()
    assert process_state(proc.pid) is None


def test_link_symptoms_are_read_from_the_link_messages() -> None:
    assert (
        link_symptom(LinkError("/dev/pts/3: no answer to INVOKE (seq 4) after 5 retransmissions")) == "silent"
    )
    assert (
        link_symptom(
            LinkError(
                "/dev/pts/3: read failed: device reports readiness to read but returned no data "
                "(device disconnected or multiple access on port?)"
            )
        )
        == "port"
    )
    assert link_symptom(LinkError("x: the DUT reset during the session (BOOT event)")) == "boot"


def test_mcu_board_names_a_silent_board_and_refuses_probe_reset(tmp_path: Path) -> None:
    from hilbench.devices.mcu import McuDevice

    boards = tmp_path / "boards.toml"
    boards.write_text(
        '[boards.nucleo]\nkind = "mcu"\ncore = "cortex-m4f"\nclock_hz = 80_000_000\nport = "loop://"\n'
    )
    dev = McuDevice(load_boards(boards).get("nucleo"))
    cause = dev.failure_cause(LinkError("loop://: no answer to INVOKE (seq 9) after 5 retransmissions"))
    assert cause.startswith("no answer from board 'nucleo' within ") and "loop://" in cause
    # Resets hilbench cannot do yet are refused when boards.toml is read, naming the key.
    for mode, what in (("probe", "debug-probe reset"), ("power", "power-switch reset")):
        boards.write_text(
            f'[boards.esp]\nkind = "mcu"\ncore = "xtensa"\nclock_hz = 240_000_000\nport = "loop://"\nreset = "{mode}"\n'
        )
        with pytest.raises(
            ConfigError, match=rf"\[boards.esp\] key 'reset': '{mode}': a {what} is not implemented yet"
        ):
            load_boards(boards)


def test_dtr_and_rts_pulses_go_through_pyserial() -> None:
    """On a pyserial port object (loop://: real pyserial, no board needed) the pulse sets and
    clears the line; on something that is not a serial port it is one clear error."""
    from hilbench.errors import DeviceError
    from hilbench.link.transport import ProcessTransport, SerialTransport

    t = SerialTransport("loop://")
    try:
        pulse_reset(t, "dtr", seconds=0.01)
        pulse_reset(t, "rts", seconds=0.01)
        assert t._port.dtr is False and t._port.rts is False
    finally:
        t.close()
    p = ProcessTransport(["cat"])
    try:
        with pytest.raises(DeviceError, match="cannot pulse DTR: not a serial port"):
            pulse_reset(p, "dtr")
    finally:
        p.close()


def test_recovery_keys_are_validated(tmp_path: Path) -> None:
    boards = tmp_path / "boards.toml"
    boards.write_text(
        '[boards.h]\nkind = "native"\ncore = "host"\nclock_hz = 1\nfirmware = "host"\nmax_restarts = -1\n'
    )
    with pytest.raises(ConfigError, match=r"\[boards.h\] key 'max_restarts'"):
        load_boards(boards)
    boards.write_text(
        '[boards.h]\nkind = "native"\ncore = "host"\nclock_hz = 1\nfirmware = "host"\nreset = "dtr"\n'
    )
    with pytest.raises(ConfigError, match=r"`reset` is for real boards"):
        load_boards(boards)
    boards.write_text(
        '[boards.m]\nkind = "mcu"\ncore = "m4"\nclock_hz = 1\nport = "/dev/ttyACM0"\nreset = "jtag"\n'
    )
    with pytest.raises(ConfigError, match="reset"):
        load_boards(boards)
    assert load_boards(ROOT / "boards.toml").get("host").max_restarts == 3


def test_dut_killed_before_the_model_upload_gets_it_once_after_restart() -> None:
    need_tool("gcc")
    from hilbench.devices import make_device
    from hilbench.link.session import DutLink

    board = load_boards(ROOT / "boards.toml").get("host")
    uploads: list[int] = []
    real = DutLink.load_model

    def counted(self, model):  # type: ignore[no-untyped-def]
        uploads.append(len(model))
        return real(self, model)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DutLink, "load_model", counted)
        with RecoveringDevice(make_device(board)) as dev:
            dev.open()
            dev.process_transport.process.kill()
            desc = dev.load_model(Path(demo.DEMO_MODEL).read_bytes())
            assert desc.n_ops == 2 and dev.restarts == 1
            assert len(uploads) == 2  # the cut one, then one after the restart (not two)


def test_the_cli_says_a_board_was_restarted(tmp_path: Path) -> None:
    """A run that survived a fault says so on stderr (and exits 0), not only in the events."""
    import os
    import sys

    from tests.recoveryhelp import kill_dut_mid_run

    need_tool("gcc")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hilbench",
            "run",
            "--board",
            "host",
            "--repeat",
            "150",
            "--no-profile",
            "--no-report",
            "--results-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, COLUMNS="200"),
    )
    out, err = kill_dut_mid_run(proc, after_s=0.5)
    assert proc.returncode == 0, err
    assert (
        "hilbench: warning: DUT process exited with signal 9 (SIGKILL) on board 'host': restarting the board "
        "(1 of at most 3 in a row)"
    ) in err
    assert "samples: " in out

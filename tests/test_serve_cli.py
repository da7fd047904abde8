"""`hilbench serve [--board] BOARD [--model M]`: its one-line errors, and a real board
(kind = "mcu") served as its port with its lock held. No QEMU here: every error below is
found before anything starts (the emulated paths: test_fault_proxy.py, which serves
mps2-an386, and test_mlperf_official_runner.py, which serves mps2-an386-mlperf)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.clihelp import ROOT, assert_one_line_error, run_cli
from tests.serving import Child

BOARDS = str(ROOT / "boards.toml")


def boards_file(tmp_path: Path, body: str) -> str:
    p = tmp_path / "boards.toml"
    p.write_text(body)
    return str(p)


def mcu(port: str, extra: str = "") -> str:
    return (
        f'[boards.bench-mcu]\nkind = "mcu"\nprotocol = "mlperf-tiny"\ncore = "cortex-m4f"\n'
        f'clock_hz = 80_000_000\nport = "{port}"\n{extra}'
    )


def emulated_mlperf(extra: str = "") -> str:
    return (
        '[boards.my-mlperf]\nkind = "emulated"\nprotocol = "mlperf-tiny"\ncore = "cortex-m4f"\n'
        'clock_hz = 25_000_000\nfirmware = "mps2-an386"\n'
        'qemu = { binary = "qemu-system-arm", machine = "mps2-an386" }\n' + extra
    )


def test_serve_errors_name_the_option_or_board(tmp_path: Path) -> None:
    r = run_cli("serve", "--board", "host", "--boards", BOARDS, timeout=60)
    assert_one_line_error(r, "board 'host' is kind \"native\"", "emulated", "mcu")
    r = run_cli("serve", "mps2-an386", "--board", "mps2-an500", "--boards", BOARDS, timeout=60)
    assert_one_line_error(r, "--board mps2-an500", "'mps2-an386'", "give the board once")
    r = run_cli("serve", "--board", "no-such-board", "--boards", BOARDS, timeout=60)
    assert_one_line_error(r, "no board named 'no-such-board'")
    r = run_cli("serve", "--board", "mps2-an386", "--model", "x.tflite", "--boards", BOARDS, timeout=60)
    assert_one_line_error(r, "--model x.tflite", "board 'mps2-an386'", "hilbench protocol")
    missing = tmp_path / "missing.tflite"
    r = run_cli(
        "serve", "--board", "mps2-an386-mlperf", "--model", str(missing), "--boards", BOARDS, timeout=60
    )
    assert_one_line_error(r, f"{missing}: no such model file (--model)")


def test_serve_mlperf_board_model_from_boards_toml(tmp_path: Path) -> None:
    r = run_cli(
        "serve",
        "--board",
        "my-mlperf",
        "--boards",
        boards_file(tmp_path, emulated_mlperf('model = "gone.tflite"\n')),
        timeout=60,
    )
    assert_one_line_error(r, f"{tmp_path / 'gone.tflite'}: no such model file (board 'my-mlperf' `model`)")


def test_serve_real_board_refuses_what_needs_flashing(tmp_path: Path) -> None:
    r = run_cli(
        "serve",
        "--board",
        "bench-mcu",
        "--boards",
        boards_file(tmp_path, mcu("/dev/null", 'flasher = "gdb"\n')),
        timeout=60,
    )
    line = assert_one_line_error(r, "[boards.bench-mcu] key 'flasher'", "'gdb'", "not implemented yet")
    r = run_cli(
        "serve",
        "--board",
        "bench-mcu",
        "--model",
        "kws.tflite",
        "--boards",
        boards_file(tmp_path, mcu("/dev/null")),
        timeout=60,
    )
    assert_one_line_error(r, "--model kws.tflite", "board 'bench-mcu'", "not implemented")
    r = run_cli(
        "serve",
        "--board",
        "bench-mcu",
        "--boards",
        boards_file(tmp_path, mcu("/nonexistent/ttyACM9")),
        timeout=60,
    )
    assert_one_line_error(r, "board 'bench-mcu'", "port /nonexistent/ttyACM9 not found")
    assert "flash the hilbench firmware yourself" in line


def test_serve_real_board_prints_its_port_and_holds_its_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hilbench.config import load_boards
    from hilbench.locks import BoardLock, lock_key

    monkeypatch.setenv("HILBENCH_LOCK_DIR", str(tmp_path / "locks"))  # the child inherits it
    master, slave = os.openpty()
    try:
        port = os.ttyname(slave)
        boards = boards_file(tmp_path, mcu(port))
        board = load_boards(boards).get("bench-mcu")
        serve = Child("serve", "bench-mcu", "--boards", boards, prefix="hilbench serve: board bench-mcu on ")
        try:
            assert serve.address == port
            lock = BoardLock(lock_key(board))
            assert not lock.try_acquire(), "the board's lock is free while it is served"
            code, out, err = serve.stop(signal.SIGINT)
            assert (code, out, err.strip()) == (0, "", ""), (code, out, err)
            assert lock.try_acquire(), "the board's lock is still held after serve ended"
            lock.release()
        finally:
            serve.kill()
    finally:
        os.close(master)
        os.close(slave)

"""`hilbench serve [--board] BOARD [--model M]`: keep a board running for other processes to use.

Why: to test the `kind = "mcu"` path (a board that already runs our firmware on a serial
port), `hilbench proxy`, MLPerf Tiny's official runner, or any other serial client
(pyserial, picocom, labgrid's RawSerialPort / pytest-embedded's `--port`) against the real
firmware without hardware. The QEMU start is the one `hilbench run` uses, so the served
board behaves exactly as in a run:

- an emulated hilbench-protocol board: EmulatedDevice's own start (built image, paused
  start, pty held open, then resume); its clients load their own models;
- an emulated MLPerf Tiny board (`protocol = "mlperf-tiny"`): MlperfTinyDevice's start,
  the one `hilbench run --mlperf-tiny` uses: the model (`--model`, default the board's
  `model`) written to the firmware's flash model partition by QEMU as flasher, nothing
  sent on the link, so the client's first bytes are MLPerf Tiny commands;
- a real board (`kind = "mcu"`): nothing to start; serve prints its configured `port` and
  holds its board lock so that no hilbench run drives it meanwhile. It flashes nothing
  (`hilbench flash` does, docs/flashing.md): a `--model` is refused (NotImplementedFeature).

Output: one line on stdout once the firmware runs,
`hilbench serve: board NAME on /dev/pts/N` (mcu: its port); then it holds the board until
SIGINT, SIGTERM or SIGHUP (exit 0) or until QEMU dies (one error line, exit 2), and stops
QEMU and removes its temporary directories on every way out.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hilbench.config import BoardConfig
from hilbench.errors import ConfigError, DeviceError, ModelError, NotImplementedFeature

PREFIX = "hilbench serve:"


def serve_board(name: str | None, boards_file: Path, build: bool = True, model: Path | None = None) -> None:
    """Run board `name` until a signal; print its pty path (mcu: its port)."""
    from hilbench.config import load_boards

    board = load_boards(boards_file).get(name)
    if board.kind == "mcu":
        _serve_mcu(board, model)
    elif board.kind != "emulated":
        raise ConfigError(
            f"board '{board.name}' is kind \"{board.kind}\": `hilbench serve` runs emulated boards "
            '(kind = "emulated") and holds real ones (kind = "mcu") only'
        )
    elif board.protocol == "mlperf-tiny":
        _serve_emulated_mlperf(board, model, build)
    else:
        if model is not None:
            raise ConfigError(
                f"--model {model}: board '{board.name}' speaks the hilbench protocol and its clients "
                'load their own models; --model is for boards with protocol = "mlperf-tiny"'
            )
        _serve_emulated(board, build)


def _serve_emulated(board: BoardConfig, build: bool) -> None:
    from hilbench.devices.emulated import EmulatedDevice

    assert board.qemu is not None
    device = EmulatedDevice(board, build=build)
    info = {
        "emulated": True,
        "board": board.name,
        "machine": board.qemu.machine,
        "icount_shift": board.qemu.icount_shift,
        "clock_hz": board.clock_hz,
    }
    _serve(board, device, device.start_board, info)


def _serve_emulated_mlperf(board: BoardConfig, model: Path | None, build: bool) -> None:
    """The model goes into the flash partition by MlperfTinyDevice, as in `run --mlperf-tiny`."""
    from hilbench.mlperf_tiny.device import MlperfTinyDevice

    assert board.qemu is not None
    assert board.model is not None  # boards.toml validation: an emulated mlperf-tiny board has one
    path = model or Path(board.model)
    if not path.is_file():
        where = "--model" if model is not None else f"board '{board.name}' `model`"
        raise ModelError(f"{path}: no such model file ({where})")
    device = MlperfTinyDevice(board, model=path, build=build)
    info = {
        "emulated": True,
        "board": board.name,
        "machine": board.qemu.machine,
        "icount_shift": board.qemu.icount_shift,
        "clock_hz": board.clock_hz,
        "protocol": "mlperf-tiny",
        "model": str(path),
    }
    _serve(board, device, device.start_board, info)


def _serve(board: BoardConfig, device: Any, start: Callable[[], str], info: dict[str, Any]) -> None:
    from hilbench.devices.served import announced
    from hilbench.locks import physical_board_lock
    from hilbench.signals import stop_on_signals

    # The same lock `hilbench run` takes (a no-op for emulated boards, whose every session
    # is its own QEMU); clients lock the served pty as their mcu board's port.
    with stop_on_signals(), physical_board_lock(board, owner=f"hilbench serve {board.name}"):
        try:
            pty = start()
            with announced(pty, dict(info, firmware_sha256=device.firmware_sha256)):
                print(f"{PREFIX} board {board.name} on {pty}", flush=True)
                _hold(_qemu_of(device), board.name)
        except KeyboardInterrupt:  # hilbench.signals.Interrupted: the way to stop serving
            pass
        finally:
            device.close()


def _serve_mcu(board: BoardConfig, model: Path | None) -> None:
    """A real board: refuse what would need flashing, else hold its lock and print its port."""
    from hilbench.locks import physical_board_lock
    from hilbench.signals import stop_on_signals

    if model is not None:
        raise NotImplementedFeature(
            f"--model {model}: board '{board.name}' is kind \"mcu\" and writing a model to a real board "
            "(flashing) is not implemented yet; serve it without --model (its firmware has its model)"
        )
    port = board.port
    if not port:
        raise ConfigError(f"board '{board.name}' is kind \"mcu\" but has no `port` in boards.toml")
    if "://" not in port and not os.path.exists(port):
        raise DeviceError(f"board '{board.name}': port {port} not found (is the board plugged in?)")
    with stop_on_signals(), physical_board_lock(board, owner=f"hilbench serve {board.name}"):
        try:
            print(f"{PREFIX} board {board.name} on {port}", flush=True)
            _hold(None, board.name)
        except KeyboardInterrupt:
            pass


def _qemu_of(device: object) -> object:
    qemu = getattr(device, "qemu", None)
    emulated = getattr(device, "_emulated", None)  # MlperfTinyDevice: the EmulatedDevice that owns QEMU
    return qemu if qemu is not None else getattr(emulated, "qemu", None)


def _hold(qemu: Any, name: str) -> None:
    """Sleep until a signal; a QEMU that exits on its own is an error (its clients lost it)."""
    while True:
        time.sleep(0.2)
        if qemu is not None and not qemu.running:
            raise DeviceError(f"QEMU of board '{name}' {qemu.exit_reason(wait=0.5)} while being served")

"""`hilbench serve BOARD`: keep an emulated board running for other processes to use.

Why: to test the `kind = "mcu"` path (a board that already runs our firmware on a serial
port), `hilbench proxy`, or any other serial client (pyserial, picocom, labgrid's
RawSerialPort / pytest-embedded's `--port`) against the real firmware without hardware.
The QEMU start is EmulatedDevice's own (built image, paused start, pty held open, then
resume), so the served board behaves exactly as in `hilbench run`.

Output: one line on stdout once the firmware runs,
`hilbench serve: board NAME on /dev/pts/N`; then it holds the board until SIGINT, SIGTERM
or SIGHUP (exit 0) or until QEMU dies (one error line, exit 2), and stops QEMU and
removes its temporary directory on every way out.
"""

from __future__ import annotations

import time
from pathlib import Path

from hilbench.errors import ConfigError, DeviceError

PREFIX = "hilbench serve:"


def serve_board(name: str, boards_file: Path, build: bool = True) -> None:
    """Run board `name` (kind "emulated") until a signal; print its pty path."""
    from hilbench.config import load_boards
    from hilbench.devices.emulated import EmulatedDevice
    from hilbench.devices.served import announced
    from hilbench.locks import physical_board_lock
    from hilbench.signals import stop_on_signals

    board = load_boards(boards_file).get(name)
    if board.kind != "emulated":
        raise ConfigError(f"board '{board.name}' is kind \"{board.kind}\": `hilbench serve` runs emulated boards "
                          "(kind = \"emulated\") only")
    if board.protocol != "hilbench":
        raise ConfigError(f"board '{board.name}': `hilbench serve` serves hilbench-protocol boards, "
                          f"not protocol = \"{board.protocol}\"")
    assert board.qemu is not None
    device = EmulatedDevice(board, build=build)
    with stop_on_signals():
        # The same lock `hilbench run` takes (a no-op for emulated boards, whose every
        # session is its own QEMU); clients lock the served pty as their mcu board's port.
        with physical_board_lock(board, owner=f"hilbench serve {board.name}"):
            try:
                pty = device.start_board()
                info = {"emulated": True, "board": board.name, "machine": board.qemu.machine,
                        "icount_shift": board.qemu.icount_shift, "clock_hz": board.clock_hz,
                        "firmware_sha256": device.firmware_sha256}
                with announced(pty, info):
                    print(f"{PREFIX} board {board.name} on {pty}", flush=True)
                    _hold(device)
            except KeyboardInterrupt:  # hilbench.signals.Interrupted: the way to stop serving
                pass
            finally:
                device.close()


def _hold(device: object) -> None:
    """Sleep until a signal; a QEMU that exits on its own is an error (its clients lost it)."""
    qemu = getattr(device, "qemu", None)
    while True:
        time.sleep(0.2)
        if qemu is not None and not qemu.running:
            raise DeviceError(f"QEMU of board '{getattr(device, 'name', '?')}' {qemu.exit_reason(wait=0.5)} "
                              "while being served")

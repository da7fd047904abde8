"""The hilbench firmware built for the host, as a child process over stdin/stdout.

Same protocol bytes, same runtime code as on a board, but no emulator: tests of the
protocol and the kernels run in milliseconds, and with the sanitizer build every wire
length the firmware trusts is checked by ASan/UBSan. Timing source `host_clock`: these
microseconds are the host CPU's, never a device's.
"""

from __future__ import annotations

import os
from fractions import Fraction

from hilbench import firmware
from hilbench.config import BoardConfig
from hilbench.devices.base import Timing
from hilbench.devices.mcu import McuDevice
from hilbench.devices.recovery import (
    describe_returncode,
    link_silence_s,
    link_symptom,
    process_state,
    wait_returncode,
)
from hilbench.link.transport import ProcessTransport, Transport


class NativeDevice(McuDevice):
    device_kind = "native"

    def __init__(
        self,
        board: BoardConfig,
        sanitize: bool = False,
        build: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(board)
        self._sanitize = sanitize
        self._build = build
        self._env = env  # extra environment (HIL_FLASH_IMAGE: the flash partition file)
        self.process_transport: ProcessTransport | None = None

    def _start(self) -> Transport:
        target = self.board.firmware or "host"
        defines = tuple(self.board.defines)
        image = (
            firmware.build_image(target, sanitize=self._sanitize, defines=defines)
            if self._build
            else firmware.image_path(target, self._sanitize, defines)
        )
        self.firmware_sha256 = firmware.sha256_file(image)
        env = dict(os.environ, **self._env) if self._env else None
        self.process_transport = ProcessTransport([str(image)], env=env)
        return self.process_transport

    # ------------------------------------------------------------ recovery (hilbench.devices.recovery)

    def failure_cause(self, exc: Exception) -> str:
        """The cause from the DUT process's state: its exit signal or code, or stopped."""
        symptom = link_symptom(exc)
        pt = self.process_transport
        if pt is None:
            return super().failure_cause(exc)
        proc = pt.process
        code = wait_returncode(proc.poll, 1.0 if symptom == "port" else 0.0)
        where = f"on board '{self.name}'"
        if code is not None:
            return f"DUT process exited with {describe_returncode(code)} {where}"
        if process_state(proc.pid) in ("T", "t"):
            return f"DUT process stopped answering (SIGSTOP?) {where}: process {proc.pid} is stopped"
        if symptom == "silent":
            return (
                f"no answer from board '{self.name}' within {link_silence_s(self.link):.0f} s "
                f"(DUT process {proc.pid} still running: the firmware hangs?)"
            )
        return super().failure_cause(exc)

    def restart_dut(self, cause: str) -> None:
        """Kill the DUT process (stopped or hung too), start it again, say HELLO."""
        pt = self.process_transport
        if pt is not None and pt.process.poll() is None:
            pt.process.kill()
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        self.process_transport = None
        self.transport = self._start()
        self._reconnect()

    def _connect_timeout(self) -> float:
        return 5.0

    def _timing(self, timer_hz: int, timer_kind: str) -> Timing:
        return Timing(source="host_clock", cycles_per_tick=None, us_per_tick=Fraction(1_000_000, timer_hz))

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
from hilbench.devices.base import Timing
from hilbench.devices.mcu import McuDevice
from hilbench.link.transport import ProcessTransport, Transport


class NativeDevice(McuDevice):
    device_kind = "native"

    def __init__(self, board, sanitize: bool = False, build: bool = True,  # type: ignore[no-untyped-def]
                 env: dict[str, str] | None = None) -> None:
        super().__init__(board)
        self._sanitize = sanitize
        self._build = build
        self._env = env  # extra environment (HIL_FLASH_IMAGE: the flash partition file)
        self.process_transport: ProcessTransport | None = None

    def _start(self) -> Transport:
        target = self.board.firmware or "host"
        defines = tuple(self.board.defines)
        image = (firmware.build_image(target, sanitize=self._sanitize, defines=defines) if self._build
                 else firmware.image_path(target, self._sanitize, defines))
        self.firmware_sha256 = firmware.sha256_file(image)
        env = dict(os.environ, **self._env) if self._env else None
        self.process_transport = ProcessTransport([str(image)], env=env)
        return self.process_transport

    def _connect_timeout(self) -> float:
        return 5.0

    def _timing(self, timer_hz: int, timer_kind: str) -> Timing:
        return Timing(source="host_clock", cycles_per_tick=None, us_per_tick=Fraction(1_000_000, timer_hz))

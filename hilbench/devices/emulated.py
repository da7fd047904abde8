"""An emulated board: hilbench firmware under QEMU, reached over a real pty.

QEMU is its own flasher (it loads the ELF), and with `-icount shift=0` one guest
instruction is exactly 1 ns of virtual time, so the timer's ticks are instruction counts:
repeatable to the tick, but not silicon cycles (docs/architecture.md §5). Timing source
`qemu_icount`.
"""

from __future__ import annotations

from pathlib import Path

from hilbench import firmware
from hilbench.config import BoardConfig
from hilbench.devices.base import Timing, qemu_icount_timing
from hilbench.devices.mcu import McuDevice
from hilbench.devices.recovery import link_silence_s, link_symptom
from hilbench.errors import DeviceError
from hilbench.flash.qemu import QemuProcess
from hilbench.link.session import DutLink
from hilbench.link.transport import SerialTransport, Transport


class EmulatedDevice(McuDevice):
    device_kind = "emulated"

    def __init__(self, board: BoardConfig, build: bool = True) -> None:
        super().__init__(board)
        self._build = build
        self.qemu: QemuProcess | None = None

    def image(self) -> Path:
        if self.board.image:
            return Path(self.board.image)
        assert self.board.firmware is not None
        defines = tuple(self.board.defines)
        q = self.board.qemu
        if q is not None and q.icount_shift:
            # The MLPerf Tiny mode's microseconds are instructions at the nominal clock
            # (firmware/dut/hil_mlperf.c now_us): the firmware must know the shift.
            defines += (f"HIL_QEMU_ICOUNT_SHIFT={q.icount_shift}",)
        if self._build:
            return firmware.build_image(self.board.firmware, defines=defines)
        return firmware.image_path(self.board.firmware, defines=defines)

    def _start(self, extra_args: list[str] | None = None) -> Transport:
        image = self.image()
        if not image.is_file():
            raise DeviceError(f"board '{self.name}': firmware image {image} not found")
        self.firmware_sha256 = firmware.sha256_file(image)
        q = self.board.qemu
        assert q is not None
        self.qemu = QemuProcess(
            q.binary,
            q.machine,
            image,
            cpu=q.cpu,
            icount_shift=q.icount_shift,
            extra_args=list(q.extra_args) + list(extra_args or []),
        )
        assert self.qemu.pty is not None
        transport = SerialTransport(self.qemu.pty)
        self.qemu.resume()
        return transport

    def start_board(self) -> str:
        """Boot the firmware under QEMU with no session on it and return its pty path
        (`hilbench serve`): the same start as open(), which keeps the pty open so QEMU
        never drops guest output; close() stops QEMU and removes its temp dir."""
        self.transport = self._start()
        assert self.qemu is not None and self.qemu.pty is not None
        return self.qemu.pty

    def _timing(self, timer_hz: int, timer_kind: str) -> Timing:
        q = self.board.qemu
        assert q is not None
        if q.icount_shift is None:
            return super()._timing(timer_hz, timer_kind)
        return qemu_icount_timing(timer_hz, q.icount_shift, self.board.clock_hz)

    def _write_model_partition(self, image: bytes, address: int) -> None:
        """QEMU is the flasher: restart the board with the partition preloaded at its flash
        address (-device loader), as a real flasher would write it, then reconnect."""
        self.transport = self.restart_with_partition(image, address)
        self.link = DutLink(self.transport)
        self.link.connect(deadline_s=self._connect_timeout())

    def restart_with_partition(self, image: bytes, address: int) -> Transport:
        """Stop QEMU, start it again with `image` written at `address` (the flash model
        partition), and return the new link transport; nothing is sent on it yet."""
        import tempfile

        self._partition_dir = getattr(self, "_partition_dir", None) or tempfile.TemporaryDirectory(
            prefix="hilbench-part-"
        )
        part = Path(self._partition_dir.name) / "model-partition.bin"
        part.write_bytes(image)
        self._close_qemu_and_port()
        return self._start(["-device", f"loader,file={part},addr={address:#x},force-raw=on"])

    def _close_qemu_and_port(self) -> None:
        """Close the pty first (pyserial on a pty whose QEMU is gone raises), then QEMU."""
        if self.transport is not None:
            self.transport.close()
            self.transport = None
        if self.qemu is not None:
            self.qemu.close()
            self.qemu = None

    # ------------------------------------------------------------ recovery (hilbench.devices.recovery)

    def failure_cause(self, exc: Exception) -> str:
        """The cause from QEMU's process state: its exit signal or code, a stopped process
        (SIGSTOP), or a running QEMU whose firmware went silent."""
        symptom = link_symptom(exc)
        qemu = self.qemu
        if qemu is None:  # it died before it was up: QemuProcess's own message names how
            text = str(exc)
            return text if self.name in text else f"{text} on board '{self.name}'"
        where = f"on board '{self.name}'"
        reason = qemu.exit_reason(wait=1.0 if symptom == "port" else 0.2)
        if reason is not None:
            return f"QEMU {reason} {where}"
        if qemu.stopped():
            return f"QEMU stopped answering (SIGSTOP?) {where}: process {qemu.pid} is stopped" + (
                f", no answer within {link_silence_s(self.link):.0f} s" if symptom == "silent" else ""
            )
        if symptom == "silent":
            return (
                f"no answer from board '{self.name}' within {link_silence_s(self.link):.0f} s "
                f"(QEMU process {qemu.pid} still running: the firmware hangs?)"
            )
        return super().failure_cause(exc)

    def restart_dut(self, cause: str) -> None:
        """Kill QEMU (a stopped or hung one too: SIGKILL to its group), start it again from
        the same image and say HELLO; the caller puts the model back (a flash model
        partition is written again by load_model)."""
        self._close_qemu_and_port()
        self.transport = self._start()
        self._reconnect()

    def _stop(self) -> None:
        part = getattr(self, "_partition_dir", None)
        if part is not None:
            part.cleanup()
            self._partition_dir = None
        if self.qemu is not None:
            self.qemu.close()
            self.qemu = None

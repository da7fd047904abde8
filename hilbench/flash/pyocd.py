"""pyocd: Arm Cortex-M boards through a CMSIS-DAP / ST-Link / J-Link probe, with pyocd's
Python API (the probe chosen by unique id, the target type overridden where the probe
cannot tell it, e.g. a bare ST-Link on a custom board).

Skip-if-same and verify are read-backs of the target's memory for a raw binary (.bin, at
`address`, default the boot memory's base); for ELF and Intel HEX, pyocd's smart flash
already skips sectors whose contents match (sector CRC, then compare), so `matches` says
None (cannot tell without writing) and verification is pyocd's own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hilbench.config.flash import FlashConfig
from hilbench.errors import ToolMissingError
from hilbench.flash.base import FlashError, FlashResult, Stopwatch, call_with_timeout, one_line

EXTRA_HINT = "install it with `pip install hilbench[boards]` (or `pip install pyocd`)"


class PyocdFlasher:
    tool = "pyocd"

    def __init__(self, board: str, options: FlashConfig | None = None) -> None:
        self.board = board
        self.options = options or FlashConfig()
        self.timeout_s = self.options.timeout_s

    def _fail(self, message: str) -> FlashError:
        return FlashError(f"board '{self.board}': pyocd: {one_line(message)}")

    def _session(self) -> Any:
        """An opened-on-enter pyocd Session for the configured probe; FlashError naming
        the unique id when no probe (or more than one) answers."""
        try:
            from pyocd.core.helpers import ConnectHelper
            from pyocd.core.session import Session
        except ImportError:
            raise ToolMissingError(f'flasher "pyocd" needs the pyocd Python package: {EXTRA_HINT}') from None
        opts = self.options
        probes = ConnectHelper.get_all_connected_probes(
            blocking=False, unique_id=opts.probe, print_wait_message=False
        )
        wanted = f"unique id {opts.probe}" if opts.probe else "any unique id; set [flash] probe to choose one"
        if not probes:
            raise self._fail(f"no debug probe found ({wanted})")
        if len(probes) > 1:
            ids = ", ".join(p.unique_id for p in probes)
            raise self._fail(
                f"{len(probes)} debug probes match ({ids}); set [flash] probe to the unique id of one"
            )
        options: dict[str, Any] = {"hide_programming_progress": True, "smart_flash": True}
        if opts.target:
            options["target_override"] = opts.target
        if opts.frequency:
            options["frequency"] = opts.frequency
        return Session(probes[0], auto_open=True, options=options)

    def _run(self, work: Any) -> Any:
        from pyocd.core.exceptions import Error as PyocdError

        session = self._session()
        try:
            done, value, error = call_with_timeout(
                lambda: self._in_session(session, work), self.timeout_s, lambda: None, f"pyocd-{self.board}"
            )
        except PyocdError as exc:
            raise self._fail(str(exc)) from None
        if not done:
            raise self._fail(f"no result within the timeout ({self.timeout_s:g} s)")
        if isinstance(error, PyocdError | OSError):
            raise self._fail(str(error) or type(error).__name__)
        if error is not None:
            raise error
        return value

    @staticmethod
    def _in_session(session: Any, work: Any) -> Any:
        with session:
            return work(session)

    def _bin_address(self, session: Any, address: int | None) -> int:
        if address is not None:
            return address
        if self.options.address is not None:
            return self.options.address
        return int(session.target.memory_map.get_boot_memory().start)

    def _reads_back(self, session: Any, data: bytes, address: int) -> bool:
        return bytes(session.target.read_memory_block8(address, len(data))) == data

    def matches(self, image: Path, address: int | None = None) -> bool | None:
        if image.suffix.lower() != ".bin":
            return None
        data = image.read_bytes()
        return bool(self._run(lambda s: self._reads_back(s, data, self._bin_address(s, address))))

    def flash(self, image: Path, address: int | None = None, force: bool = False) -> FlashResult:
        from pyocd.flash.file_programmer import FileProgrammer

        clock = Stopwatch()
        is_bin = image.suffix.lower() == ".bin"
        data = image.read_bytes() if is_bin else b""
        outcome: dict[str, Any] = {}

        def work(session: Any) -> None:
            where = self._bin_address(session, address) if is_bin else None
            outcome["where"] = where
            if where is not None and not force and self._reads_back(session, data, where):
                outcome["skipped"] = True
                return
            kwargs = {"base_address": where} if where is not None else {}
            FileProgrammer(session, smart_flash=not force).program(str(image), **kwargs)
            if where is not None and self.options.verify:
                session.target.reset_and_halt()
                if not self._reads_back(session, data, where):
                    raise FlashError(
                        f"board '{self.board}': pyocd: verify failed: flash at {where:#x} "
                        f"differs from {image.name} after writing"
                    )
            session.target.reset()

        self._run(work)
        skipped = bool(outcome.get("skipped"))
        return FlashResult(
            self.board,
            self.tool,
            image,
            outcome.get("where"),
            skipped,
            skipped or (is_bin and self.options.verify),
            clock.seconds,
        )

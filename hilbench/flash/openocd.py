"""openocd: Arm boards through ST-Link or CMSIS-DAP probes, with the `openocd` program and
its interface and target scripts (configurable: `interface/stlink.cfg` +
`target/stm32l4x.cfg` for the Nucleo-L4R5ZI, `interface/cmsis-dap.cfg` + any target).

One openocd run: `program IMAGE [ADDRESS] verify reset exit` (openocd's own flash-program
procedure: erase, write, read back and compare, reset). Skip-if-same is openocd's
`verify_image` alone (CRC of the target memory against the image), run first.
"""

from __future__ import annotations

from pathlib import Path

from hilbench.config.flash import FlashConfig
from hilbench.flash.base import (
    FlashError,
    FlashResult,
    Stopwatch,
    ToolRun,
    find_tool,
    run_tool,
)

DEFAULT_INTERFACE = "interface/stlink.cfg"


def _tcl_word(path: Path) -> str:
    """A file name as one Tcl word ({...} keeps spaces and brackets literal)."""
    text = str(path)
    if any(c in text for c in "{}\\"):
        raise FlashError(f"image path {text} contains a brace or backslash, which openocd's Tcl cannot quote")
    return "{" + text + "}"


class OpenocdFlasher:
    tool = "openocd"

    def __init__(self, board: str, options: FlashConfig | None = None) -> None:
        self.board = board
        self.options = options or FlashConfig()
        self.timeout_s = self.options.timeout_s
        self.runs: list[ToolRun] = []
        if not self.options.target:
            raise FlashError(
                f"board '{board}': flasher \"openocd\" needs [flash] target (a target script, "
                'e.g. "target/stm32l4x.cfg")'
            )

    def _setup(self) -> list[str]:
        opts = self.options
        argv = [find_tool(opts.binary or "openocd", "openocd")]
        for directory in opts.scripts:
            argv += ["-s", directory]
        argv += ["-f", opts.interface or DEFAULT_INTERFACE]
        if opts.probe:
            argv += ["-c", f"adapter serial {opts.probe}"]
        if opts.frequency:
            argv += ["-c", f"adapter speed {max(1, opts.frequency // 1000)}"]
        assert opts.target is not None
        return argv + ["-f", opts.target]

    def _where(self, image: Path, address: int | None) -> str:
        where = address if address is not None else self.options.address
        if where is None and image.suffix.lower() == ".bin":
            raise FlashError(
                f"board '{self.board}': openocd needs an address for a raw binary ({image.name}): "
                "set [flash] address (e.g. 0x08000000 for STM32)"
            )
        return f" {where:#x}" if where is not None else ""

    def argv(self, image: Path, address: int | None = None) -> list[str]:
        verify = " verify" if self.options.verify else ""
        return self._setup() + [
            "-c",
            f"program {_tcl_word(image)}{self._where(image, address)}{verify} reset exit",
        ]

    def verify_argv(self, image: Path, address: int | None = None) -> list[str]:
        return self._setup() + [
            "-c",
            "init",
            "-c",
            "reset halt",
            "-c",
            f"verify_image {_tcl_word(image)}{self._where(image, address)}",
            "-c",
            "reset run",
            "-c",
            "shutdown",
        ]

    def _run(self, argv: list[str]) -> ToolRun:
        run = run_tool(argv, self.timeout_s)
        self.runs.append(run)
        return run

    def _fail(self, run: ToolRun) -> FlashError:
        why = run.why(self.timeout_s, ("error", "fail", "can't", "couldn't", "no device"))
        scripts = f"{self.options.interface or DEFAULT_INTERFACE}, {self.options.target}"
        return FlashError(f"board '{self.board}': openocd ({scripts}): {why}")

    def matches(self, image: Path, address: int | None = None) -> bool | None:
        if not image.is_file():
            raise FlashError(f"board '{self.board}': no image file {image}")
        run = self._run(self.verify_argv(image, address))
        if run.returncode == 0 and "verified" in run.output:
            return True
        if run.returncode is not None and (
            "checksum mismatch" in run.output or "contents differ" in run.output
        ):
            return False
        raise self._fail(run)

    def flash(self, image: Path, address: int | None = None, force: bool = False) -> FlashResult:
        clock = Stopwatch()
        where = address if address is not None else self.options.address
        if not force and self.matches(image, address):
            return FlashResult(
                self.board, self.tool, image, where, True, True, clock.seconds, self.runs[-1].argv
            )
        run = self._run(self.argv(image, address))
        if run.returncode != 0:
            raise self._fail(run)
        return FlashResult(
            self.board, self.tool, image, where, False, self.options.verify, clock.seconds, run.argv
        )

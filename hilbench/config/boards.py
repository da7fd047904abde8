"""boards.toml: the boards on this bench and how to reach each one.

Validated with pydantic (unknown keys are errors, so a typo never silently falls back to
a default); every error names the file, the table and the key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from hilbench.config.flash import FlashConfig, check_flash_keys
from hilbench.config.toml_file import check_path_value, read_toml, validate
from hilbench.errors import ConfigError

# The schema accepts only what runs: values that later work will add are refused here, as a
# config error naming the key, rather than accepted and then failing mid-run. Each later
# issue widens these Literals as it lands (docs/architecture.md §2, "Seams").
DeviceKind = Literal["emulated", "native", "mcu"]
FlasherKind = Literal["none", "esptool", "pyocd", "bossac", "openocd"]
ResetKind = Literal["dtr", "rts", "none"]

# Values users of this field will reach for, and what to do until hilbench implements them.
_PLANNED: dict[str, dict[str, str]] = {
    "kind": {
        "litert": "LiteRT / Coral Edge TPU devices are not implemented yet",
        "remote": "remote (SSH) devices are not implemented yet",
    },
    "flasher": {
        "gdb": "the GDB-remote flasher is not implemented yet; use esptool, pyocd, bossac or openocd, "
        'or flash the hilbench firmware yourself and set flasher = "none"',
    },
    "reset": {
        "probe": 'a debug-probe reset is not implemented yet (use reset = "dtr", "rts" or "none")',
        "power": 'a power-switch reset is not implemented yet (use reset = "dtr", "rts" or "none")',
    },
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QemuConfig(_Strict):
    """How to start the emulator for an emulated board (docs/architecture.md §5)."""

    binary: str = "qemu-system-arm"
    machine: str
    cpu: str | None = None
    icount_shift: int = Field(0, ge=0, le=10)
    extra_args: list[str] = Field(default_factory=list)


class BoardConfig(_Strict):
    """One board; `name` is its key under [boards]."""

    name: str = ""
    kind: DeviceKind
    description: str = ""
    core: str
    clock_hz: int = Field(gt=0)
    ram_bytes: int | None = Field(None, gt=0)
    flash_bytes: int | None = Field(None, gt=0)
    features: list[str] = Field(default_factory=list)
    firmware: str | None = None  # firmware/boards/<target> built with make
    image: str | None = None  # a prebuilt image instead of building `firmware`
    defines: list[str] = Field(default_factory=list)  # -D NAME[=VALUE] for the firmware build
    # Where models go: "ram" (uploaded over the link), "flash" (written to the flash model
    # partition by the flasher), "auto" (RAM when it fits, else flash).
    model_store: Literal["auto", "ram", "flash"] = "auto"
    qemu: QemuConfig | None = None
    port: str | None = None  # serial port or pyserial URL (real boards)
    baudrate: int = 115200
    flasher: FlasherKind | None = None
    flash: FlashConfig | None = None  # [boards.<name>.flash]: the flasher's options (docs/flashing.md)
    serial_number: str | None = None
    # Recovery (docs/design-notes.md "Recovery"): how a failed real board is reset (kind
    # "mcu" only: emulated and native boards are restarted), and how many resets or
    # restarts in a row before the board is quarantined (0: the first failure ends the job).
    reset: ResetKind | None = None
    max_restarts: int = Field(3, ge=0, le=100)
    # Which DUT protocol the board's firmware speaks: hilbench's own (docs/protocol.md) or
    # the MLPerf Tiny / EEMBC text protocol (docs/mlperf-tiny.md), for boards that run
    # MLPerf Tiny submission firmware as they are, and hilbench firmware in that mode.
    protocol: Literal["hilbench", "mlperf-tiny"] = "hilbench"
    # mlperf-tiny: the .tflite the board's firmware runs. An emulated or native board gets it
    # written to its flash model partition by the flasher; on a real board it names the
    # model already flashed (used as the reference for fidelity), optional there.
    model: str | None = None
    # mlperf-tiny: bytes per `db` hex line (default: 31 as the official runner, or what a
    # hilbench DUT's command buffer allows) and whether to read the input back with
    # `db print%` after loading it (default: on for hilbench firmware only).
    hex_chunk_bytes: int | None = Field(None, ge=1, le=2048)
    verify_load: bool | None = None

    @field_validator("kind", "flasher", "reset", mode="before")
    @classmethod
    def _not_yet(cls, value: object, info: ValidationInfo) -> object:
        """A planned value gets its own line (what to do instead), not pydantic's list."""
        planned = _PLANNED[str(info.field_name)]
        if isinstance(value, str) and value in planned:
            raise ValueError(f"{value!r}: {planned[value]}")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> BoardConfig:
        if self.kind == "emulated" and self.qemu is None:
            raise ValueError("an emulated board needs a [qemu] table (binary, machine)")
        if self.kind in ("emulated", "native") and not (self.firmware or self.image):
            raise ValueError("needs `firmware` (a target under firmware/boards/) or `image`")
        if self.kind == "mcu" and not self.port:
            raise ValueError("an mcu board needs `port` (serial device or pyserial URL)")
        if self.reset is not None and self.kind != "mcu":
            raise ValueError(
                f'`reset` is for real boards (kind "mcu"); a {self.kind} board is restarted instead'
            )
        check_flash_keys(self.kind, self.flasher, self.flash)
        if self.protocol == "mlperf-tiny":
            if self.kind not in ("emulated", "native", "mcu"):
                raise ValueError(
                    f'protocol "mlperf-tiny" is for boards on a serial link, not kind "{self.kind}"'
                )
            if self.kind in ("emulated", "native") and not self.model:
                raise ValueError(
                    "an emulated or native mlperf-tiny board needs `model` (the .tflite its "
                    "flash model partition holds)"
                )
        elif self.model or self.hex_chunk_bytes is not None or self.verify_load is not None:
            raise ValueError(
                '`model`, `hex_chunk_bytes` and `verify_load` are for protocol = "mlperf-tiny" boards'
            )
        return self


class BoardsFile(_Strict):
    """The whole file."""

    default_board: str | None = None
    boards: dict[str, BoardConfig]
    path: Path | None = None

    def get(self, name: str | None) -> BoardConfig:
        key = name or self.default_board
        if key is None:
            raise ConfigError(f"{self.path}: no --board given and no default_board set")
        if key not in self.boards:
            known = ", ".join(sorted(self.boards))
            raise ConfigError(f"{self.path}: no board named '{key}' (known: {known})")
        return self.boards[key]


def _where(loc: tuple) -> str:
    parts = [str(p) for p in loc]
    if len(parts) >= 2 and parts[0] == "boards":
        table = f"[boards.{parts[1]}" + "".join(f".{p}" for p in parts[2:-1]) + "]"
        key = parts[-1] if len(parts) > 2 else None
        return f"{table} key '{key}'" if key else table
    return f"key '{'.'.join(parts)}'" if parts else "top level"


def load_boards(path: str | Path) -> BoardsFile:
    """Read and validate a boards.toml; raise ConfigError with one line on any fault."""
    path = Path(path)
    raw = read_toml(path)
    boards = raw.get("boards")
    if isinstance(boards, dict):
        for name, table in boards.items():
            if isinstance(table, dict):
                table.setdefault("name", name)
                for key in ("image", "model"):  # paths relative to boards.toml
                    value = table.get(key)
                    if isinstance(value, str):
                        check_path_value(value, path, f"[boards.{name}] key '{key}'")
                    if isinstance(value, str) and not Path(value).is_absolute():
                        table[key] = str(path.parent / value)
    parsed = validate(BoardsFile, raw, path, _where)
    parsed = parsed.model_copy(update={"path": path})
    if parsed.default_board and parsed.default_board not in parsed.boards:
        raise ConfigError(f"{path}: key 'default_board': no board named '{parsed.default_board}'")
    return parsed

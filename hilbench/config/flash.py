"""[boards.<name>.flash]: how a real board's flasher reaches it (docs/flashing.md).

One table for every flasher, because the keys mean the same thing wherever they apply
(`address`, `timeout_s`, `probe`); which keys apply to which flasher is checked here, so
a key the chosen flasher would ignore (`chip` on an openocd board) is an error naming the
key, never a silent no-op.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EsptoolBefore = Literal["default-reset", "usb-reset", "no-reset"]
EsptoolAfter = Literal["hard-reset", "watchdog-reset", "no-reset"]


class FlashConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # every flasher
    address: int | None = Field(default=None, ge=0)  # where the image goes (default: the tool's / the ELF's)
    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    verify: bool = True  # read back / hash after writing, where the tool can
    # esptool (names as esptool's own options: --chip, --baud, --before, --after)
    chip: str | None = None  # "esp32c3"; default: detected
    baud: int | None = Field(default=None, gt=0)  # flashing baud rate (default: the ROM's 115200)
    before: EsptoolBefore | None = None
    after: EsptoolAfter | None = None
    # pyocd, openocd
    probe: str | None = None  # debug probe unique id / adapter serial number
    target: str | None = None  # pyocd target type ("stm32l4r5zitx"); openocd target script
    frequency: int | None = Field(default=None, gt=0)  # SWD clock in Hz
    # openocd
    interface: str | None = None  # interface script, default "interface/stlink.cfg"
    scripts: list[str] = Field(default_factory=list)  # extra -s search directories
    # openocd, bossac
    binary: str | None = None  # the tool's executable (e.g. Arduino's bossac build)
    # bossac
    touch_1200: bool | None = None  # open the port at 1200 baud to enter the bootloader
    bootloader_port: str | None = None  # the port the bootloader enumerates as (default `port`)


_COMMON = {"address", "timeout_s", "verify"}
_KEYS: dict[str, set[str]] = {
    "esptool": (_COMMON - {"verify"}) | {"chip", "baud", "before", "after"},  # write_flash always verifies
    "pyocd": _COMMON | {"probe", "target", "frequency"},
    "openocd": _COMMON | {"probe", "target", "frequency", "interface", "scripts", "binary"},
    "bossac": _COMMON | {"binary", "touch_1200", "bootloader_port"},
}


def check_flash_keys(kind: str, flasher: str | None, flash: FlashConfig | None) -> None:
    """A [flash] table only with a flasher, and only the keys that flasher reads."""
    if flasher not in (None, "none") and kind != "mcu":
        raise ValueError(
            f'`flasher` is for real boards (kind "mcu"); a {kind} board is loaded by its emulator '
            "or run on this host"
        )
    if flash is None:
        return
    if flasher in (None, "none"):
        raise ValueError("a [flash] table needs `flasher` (esptool, pyocd, bossac or openocd)")
    allowed = _KEYS[flasher]
    for key in sorted(flash.model_fields_set - allowed):
        raise ValueError(
            f"[flash] key '{key}' does not apply to flasher \"{flasher}\" "
            f"(its keys: {', '.join(sorted(allowed))})"
        )

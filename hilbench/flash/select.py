"""Which flasher a board uses, which image it gets, and one call that flashes it.

`hilbench flash` calls `flash_board`; it holds the board's lock (hilbench/locks.py) while
the tool runs, so no benchmark drives a board that is being rewritten.
"""

from __future__ import annotations

from pathlib import Path

from hilbench.config.boards import BoardConfig
from hilbench.errors import ConfigError, NotImplementedFeature
from hilbench.flash.base import Flasher, FlashError, FlashResult


def make_flasher(board: BoardConfig) -> Flasher:
    """The board's flasher, configured from its [flash] table."""
    kind = board.flasher
    opts = board.flash
    if kind in (None, "none"):
        raise ConfigError(
            f"board '{board.name}' has no `flasher` (esptool, pyocd, bossac or openocd): "
            "set one in boards.toml to flash it with hilbench"
        )
    if kind in ("esptool", "bossac") and not board.port:
        raise ConfigError(f"board '{board.name}': flasher \"{kind}\" needs `port`")
    if kind == "esptool":
        from hilbench.flash.esptool import EsptoolFlasher

        assert board.port is not None
        return EsptoolFlasher(board.name, board.port, opts)
    if kind == "bossac":
        from hilbench.flash.bossac import BossacFlasher

        assert board.port is not None
        return BossacFlasher(board.name, board.port, opts)
    if kind == "pyocd":
        from hilbench.flash.pyocd import PyocdFlasher

        return PyocdFlasher(board.name, opts)
    if kind == "openocd":
        from hilbench.flash.openocd import OpenocdFlasher

        return OpenocdFlasher(board.name, opts)
    raise ConfigError(f"board '{board.name}': unknown flasher '{kind}'")  # the schema refuses it first


def board_image(board: BoardConfig) -> Path:
    """The image `hilbench flash` writes when none is given: the board's `image`, else its
    `firmware` built from firmware/boards/<target> (only targets that exist there)."""
    if board.image:
        return Path(board.image)
    from hilbench.firmware import build_image, firmware_dir

    target = board.firmware
    if target is None or not (firmware_dir() / "boards" / target).is_dir():
        named = f"no firmware target '{target}' in firmware/boards/" if target else "no `firmware` or `image`"
        raise NotImplementedFeature(
            f"board '{board.name}': {named}: hilbench firmware ports for real boards "
            "arrive with the firmware-port work; give an IMAGE to flash, or set `image` in boards.toml"
        )
    return build_image(target, defines=tuple(board.defines))


def flash_board(
    board: BoardConfig, image: Path | None = None, address: int | None = None, force: bool = False
) -> FlashResult:
    """Flash `image` (default: `board_image`) onto the board, holding its lock."""
    from hilbench.locks import physical_board_lock

    flasher = make_flasher(board)
    path = image if image is not None else board_image(board)
    if not path.is_file():
        raise FlashError(f"board '{board.name}': no image file {path}")
    with physical_board_lock(board, owner=f"hilbench flash {board.name}"):
        return flasher.flash(path, address, force=force)

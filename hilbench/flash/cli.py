"""`hilbench flash --board B [IMAGE]`: write an image to a real board with its flasher.

Registered from hilbench/cli.py (`_register_flash`); the flashers load only when the
command runs. Output: one summary line on stdout (written / already on the board, and
whether it was verified); a failure is one `hilbench: error:` line naming the board, the
tool and the tool's own message (exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hilbench.errors import ConfigError


def parse_address(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        value = int(text, 0)
    except ValueError:
        raise ConfigError(f"--address '{text}' is not a number (e.g. 0x10000)") from None
    if value < 0:
        raise ConfigError(f"--address '{text}' is negative")
    return value


def flash_command(
    image: Annotated[
        Path | None,
        typer.Argument(help="image to write (default: the board's `image`, else its `firmware` built)"),
    ] = None,
    board: Annotated[str | None, typer.Option("--board", "-b", help="board name from boards.toml")] = None,
    boards: Annotated[
        Path | None,
        typer.Option("--boards", help="boards.toml to use (default: $HIL_BOARDS, ./boards.toml)"),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            metavar="ADDR",
            help="flash address, e.g. 0x10000 (default: `address` of the board's flash table)",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="write even when the board already holds the image")
    ] = False,
) -> None:
    """Flash a real board (esptool, pyocd, bossac, openocd; docs/flashing.md); skips the
    write when the board already holds the image."""
    from hilbench.config.boards import load_boards
    from hilbench.console import console
    from hilbench.flash.select import flash_board
    from hilbench.paths import default_boards_file

    cfg = load_boards(boards or default_boards_file()).get(board)
    result = flash_board(cfg, image, parse_address(address), force=force)
    console.print(f"hilbench flash: {result.summary()}", markup=False, highlight=False, soft_wrap=True)

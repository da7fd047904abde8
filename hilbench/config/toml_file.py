"""Reading a TOML file and validating it with pydantic, with one-line errors.

boards.toml and suite files share this: the error names the file, then the table and key
(as the file spells them, via the caller's `where`), then what is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from hilbench.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    except RecursionError:
        # tomllib parses nested arrays / inline tables recursively: `a = [[[[...]]]]`
        # thousands deep would otherwise escape as a RecursionError traceback.
        raise ConfigError(f"{path}: TOML syntax error: arrays or inline tables nested too deeply") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def check_path_value(value: str, path: Path, where: str) -> None:
    """A path from the file must be usable as one: a NUL character never is (the OS
    refuses it with a ValueError far from the file that holds it)."""
    if "\x00" in value:
        raise ConfigError(f"{path}: {where}: path contains a NUL character")


def validate(model: type[M], raw: dict[str, Any], path: Path, where: Callable[[tuple], str]) -> M:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        msg = msg.removeprefix("Value error, ")
        more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{path}: {where(tuple(err['loc']))}: {msg}{more}") from None

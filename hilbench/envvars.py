"""hilbench's environment variables: one prefix (`HILBENCH_`), one reader, strict parsing.

Why one module: every variable hilbench reads is listed here (`VARIABLES`, which
docs/cli.md mirrors), read through `get` and parsed by `get_float` / `get_int` /
`get_bool` / `get_choice`, so a typo in a nightly job's environment is one error line
naming the variable and the value (exit 2), never a silent default.

Up to hilbench 0.1.0 some variables were `HIL_*`. For one release the old name is still read when
the new one is unset, with one warning line on stderr naming both (`RENAMED`).

Stdlib only: the pytest plugin imports this at configure time in projects that may not
use hilbench at all.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from hilbench.errors import ConfigError

PREFIX = "HILBENCH_"

# new name -> the name it had up to hilbench 0.1.0 (read, with a warning, while the new one is unset)
RENAMED: dict[str, str] = {
    "HILBENCH_BOARDS": "HIL_BOARDS",
    "HILBENCH_BOARD": "HIL_BOARD",
    "HILBENCH_EMULATE": "HIL_EMULATE",
    "HILBENCH_DUT_SCOPE": "HIL_DUT_SCOPE",
    "HILBENCH_LOCK_TIMEOUT": "HIL_LOCK_TIMEOUT",
}

# Every variable hilbench reads, and what it sets (docs/cli.md has the same table).
VARIABLES: dict[str, str] = {
    "HILBENCH_BOARDS": "boards.toml to use (hilbench --boards, pytest --hil-boards)",
    "HILBENCH_RESULTS": "results directory (--results-dir, --hil-results)",
    "HILBENCH_PROGRESS_INTERVAL": "seconds between progress lines when stderr is not a terminal (--progress-interval)",
    "HILBENCH_LOCK_TIMEOUT": "longest wait in seconds for a board another process holds (0: for ever)",
    "HILBENCH_LOCK_DIR": "where board lock files live",
    "HILBENCH_FIRMWARE_DIR": "where firmware sources are taken from",
    "HILBENCH_CACHE_DIR": "where an installed hilbench builds firmware (default $XDG_CACHE_HOME/hilbench)",
    "HILBENCH_FLUSH_ROWS": "rows buffered before a samples batch file is written",
    "HILBENCH_FLUSH_SECONDS": "seconds before buffered rows are written anyway",
    "HILBENCH_BOARD": "pytest: run hil tests only on these boards (--hil-board)",
    "HILBENCH_EMULATE": "pytest: emulated boards satisfy hil markers (--hil-emulate)",
    "HILBENCH_DUT_SCOPE": "pytest: how long one device session lives (--hil-dut-scope)",
}

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")

T = TypeVar("T")


class EnvVarError(ConfigError):
    """An environment variable hilbench reads has a value it cannot use."""


_warned: set[str] = set()


def _warn_stderr(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def lookup(
    name: str, environ: Mapping[str, str] | None = None, warn: Callable[[str], None] = _warn_stderr
) -> tuple[str, str] | None:
    """(the name actually read, its value), or None when unset or empty.

    The old name of a renamed variable is read only when the new one is unset; either way
    a set old name warns once per process."""
    env = os.environ if environ is None else environ
    old = RENAMED.get(name)
    new_value = env.get(name) or None
    old_value = (env.get(old) or None) if old else None
    if old and old_value is not None and old not in _warned:
        _warned.add(old)
        why = f"ignored, {name} is set" if new_value is not None else f"read because {name} is unset"
        warn(
            f"hilbench: warning: {old} is deprecated, set {name} instead ({why}; "
            f"{old} stops working in the next release)"
        )
    if new_value is not None:
        return name, new_value
    if old and old_value is not None:
        return old, old_value
    return None


def warn_renamed(environ: Mapping[str, str] | None = None) -> None:
    """Warn now (once) about every old name that is set, read or not: a command whose option
    takes the new variable never looks the old one up."""
    for name in RENAMED:
        lookup(name, environ)


def get(name: str, default: str | None = None, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of `name` (or its old name), else `default`."""
    found = lookup(name, environ)
    return found[1] if found else default


def _parse(
    name: str, default: T, parse: Callable[[str], T], what: str, environ: Mapping[str, str] | None
) -> T:
    found = lookup(name, environ)
    if found is None:
        return default
    read, raw = found
    try:
        return parse(raw.strip())
    except ValueError:
        raise EnvVarError(f"{read}={raw!r}: not {what}") from None


def parse_float(raw: str, minimum: float | None = None) -> float:
    """A finite float (>= minimum); ValueError otherwise."""
    x = float(raw)
    if x != x or x in (float("inf"), float("-inf")) or (minimum is not None and x < minimum):
        raise ValueError(raw)
    return x


def parse_int(raw: str, minimum: int | None = None) -> int:
    x = int(raw)
    if minimum is not None and x < minimum:
        raise ValueError(raw)
    return x


def parse_bool(raw: str) -> bool:
    low = raw.lower()
    if low in TRUE:
        return True
    if low in FALSE:
        return False
    raise ValueError(raw)


def get_float(
    name: str,
    default: float,
    what: str = "a number",
    minimum: float | None = None,
    environ: Mapping[str, str] | None = None,
) -> float:
    return _parse(name, default, lambda s: parse_float(s, minimum), what, environ)


def get_int(
    name: str,
    default: int,
    what: str = "a whole number",
    minimum: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    return _parse(name, default, lambda s: parse_int(s, minimum), what, environ)


def get_bool(name: str, default: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    return _parse(name, default, parse_bool, f"a boolean ({'/'.join(TRUE)} or {'/'.join(FALSE)})", environ)


def get_choice(
    name: str, choices: Sequence[str], default: str, environ: Mapping[str, str] | None = None
) -> str:
    def one_of(s: str) -> str:
        if s not in choices:
            raise ValueError(s)
        return s

    return _parse(name, default, one_of, f"one of {', '.join(choices)}", environ)


def flush_rows(default: int) -> int:
    """$HILBENCH_FLUSH_ROWS: rows buffered before a samples batch file is written."""
    return get_int("HILBENCH_FLUSH_ROWS", default, "a whole number of rows >= 1", 1)


def flush_seconds(default: float) -> float:
    """$HILBENCH_FLUSH_SECONDS: seconds before buffered rows are written anyway."""
    return get_float("HILBENCH_FLUSH_SECONDS", default, "a number of seconds >= 0", 0.0)


def lock_timeout() -> float | None:
    """$HILBENCH_LOCK_TIMEOUT seconds (default 1800; 0 or negative: wait for ever)."""
    t = get_float("HILBENCH_LOCK_TIMEOUT", 1800.0, "a number of seconds (0 or negative: wait for ever)")
    return t if t > 0 else None


def check_environment() -> None:
    """Parse every variable a run reads, now: a bad value stops `hilbench run` before a board
    starts (one error line, exit 2), not when the first lock or flush needs it."""
    lock_timeout()
    flush_rows(1)
    flush_seconds(0.0)


def option_value(
    raw: str | None, option: str, envvar: str, parse: Callable[[str], T], what: str, default: T
) -> T:
    """Parse a CLI option given as text (typer reads `envvar` for it) so that a bad value is
    a HilbenchError naming the variable when it came from the environment, the option
    otherwise - one line and exit 2, as every other bad input, not click's usage box."""
    if raw is None:
        return default
    try:
        return parse(raw.strip())
    except ValueError:
        pass
    on_command_line = any(arg == option or arg.startswith(option + "=") for arg in sys.argv[1:])
    source = option if on_command_line else envvar
    sep = "=" if source == envvar else " "
    raise EnvVarError(f"{source}{sep}{raw!r}: not {what}")

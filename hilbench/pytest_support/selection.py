"""Which boards satisfy a `@pytest.mark.hil(...)` marker, and why the others do not.

A board is used by a hil test when all of these hold:
- its name matches `--hil-board` / `$HILBENCH_BOARD` (globs, comma-separated) if given;
- it matches the marker: `board` (glob on the name), `core` (glob on the core), `kind`
  (glob on the kind), `min_ram` <= ram_bytes, `min_flash` <= flash_bytes, and every one
  of `features` in the board's features;
- it is present now: a real board (`kind = "mcu"`) needs its serial port to exist (it is
  assumed to run hilbench firmware already, written by `hilbench flash` or by hand, or to
  be `hilbench serve`'s pty); an
  emulated board (and the `native` host firmware, which is no device either) counts only
  with `--hil-emulate`, and needs its emulator and a firmware image or the compiler to
  build one.

When none is left the test is skipped, and the reason names, for every board in the
file that the name filters let through, what it lacks.
"""

from __future__ import annotations

import fnmatch
import shutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER_KEYS = ("board", "core", "kind", "min_ram", "min_flash", "features")


@dataclass(frozen=True)
class Requirement:
    """The merged keyword arguments of a test's hil markers."""

    board: str | None = None
    core: str | None = None
    kind: str | None = None
    min_ram: int | None = None
    min_flash: int | None = None
    features: tuple[str, ...] = ()

    def describe(self) -> str:
        parts = []
        for key in MARKER_KEYS:
            value = getattr(self, key)
            if value is None or value == ():
                continue
            parts.append(f"{key}={list(value)!r}" if key == "features" else f"{key}={value!r}")
        return f"hil({', '.join(parts)})"


def requirement_from_markers(markers: Iterable[Any], where: str) -> Requirement:
    """Merge hil markers, the closest first (a function's marker overrides its module's).

    Raises ValueError naming `where` for an argument hil does not know.
    """
    merged: dict[str, Any] = {}
    for mark in markers:
        args, kwargs = tuple(mark.args), dict(mark.kwargs)
        if len(args) > 1:
            raise ValueError(f"{where}: @pytest.mark.hil takes at most one positional argument (the board)")
        if args:
            kwargs.setdefault("board", args[0])
        unknown = sorted(set(kwargs) - set(MARKER_KEYS))
        if unknown:
            raise ValueError(
                f"{where}: @pytest.mark.hil got unknown argument(s) {', '.join(unknown)} "
                f"(known: {', '.join(MARKER_KEYS)})"
            )
        for key, value in kwargs.items():
            merged.setdefault(key, value)
    for key in ("min_ram", "min_flash"):
        v = merged.get(key)
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise ValueError(f"{where}: @pytest.mark.hil {key}={v!r} is not a byte count")
    for key in ("board", "core", "kind"):
        v = merged.get(key)
        if v is not None and not isinstance(v, str):
            raise ValueError(f"{where}: @pytest.mark.hil {key}={v!r} is not a string (a name or glob)")
    feats = merged.get("features") or ()
    if isinstance(feats, str) or not all(isinstance(f, str) for f in feats):
        raise ValueError(f"{where}: @pytest.mark.hil features={feats!r} is not a list of names")
    merged["features"] = tuple(feats)
    return Requirement(**merged)


def _globs(pattern: str) -> list[str]:
    return [p.strip() for p in pattern.split(",") if p.strip()]


def name_matches(name: str, pattern: str) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in _globs(pattern))


def mismatch(board: Any, req: Requirement) -> str | None:
    """Why `board` does not satisfy the marker's attributes (not its name), or None."""
    protocol = getattr(board, "protocol", "hilbench")
    if protocol != "hilbench":
        return f"speaks the {protocol} protocol (the dut fixture drives hilbench's)"
    if req.core is not None and not name_matches(board.core, req.core):
        return f"core {board.core!r} is not {req.core!r}"
    if req.kind is not None and not name_matches(board.kind, req.kind):
        return f"kind {board.kind!r} is not {req.kind!r}"
    if req.min_ram is not None:
        if board.ram_bytes is None:
            return "ram_bytes not given in boards.toml"
        if board.ram_bytes < req.min_ram:
            return f"ram_bytes {board.ram_bytes:_} < min_ram {req.min_ram:_}"
    if req.min_flash is not None:
        if board.flash_bytes is None:
            return "flash_bytes not given in boards.toml"
        if board.flash_bytes < req.min_flash:
            return f"flash_bytes {board.flash_bytes:_} < min_flash {req.min_flash:_}"
    missing = [f for f in req.features if f not in board.features]
    if missing:
        return f"lacks feature(s) {', '.join(missing)}"
    return None


def unavailable(board: Any, emulate: bool) -> str | None:
    """Why `board` cannot be used now, or None when it can."""
    if board.kind in ("emulated", "native"):
        what = "emulated" if board.kind == "emulated" else "the host firmware (native)"
        if not emulate:
            return f"is {what} (pass --hil-emulate)"
        return _missing_tools(board)
    if board.kind == "mcu":
        port = board.port or ""
        if "://" not in port and not Path(port).exists():
            return f"serial port {port} not present"
        return None
    return f"device kind '{board.kind}' is not implemented yet"


def _missing_tools(board: Any) -> str | None:
    from hilbench import firmware

    if board.kind == "emulated" and board.qemu is not None and shutil.which(board.qemu.binary) is None:
        return f"{board.qemu.binary} not installed"
    if board.image:
        return None if Path(board.image).is_file() else f"firmware image {board.image} not found"
    target = board.firmware or board.name
    if firmware.image_path(target, defines=tuple(board.defines)).is_file():
        return None
    if not (firmware.firmware_dir() / "boards" / target).is_dir():
        return f"no firmware target '{target}' under {firmware.firmware_dir()} and no image"
    compiler, package = firmware.toolchain_for(target)
    if shutil.which(compiler) is None:
        return f"firmware not built and {compiler} not installed (apt-get install {package})"
    return None


@dataclass(frozen=True)
class Selection:
    boards: list[str]  # names of the boards to run on, in boards.toml order
    reason: str | None  # why no board matched (when `boards` is empty)


def select(
    boards: Mapping[str, Any],
    req: Requirement,
    *,
    cli_board: str | None,
    emulate: bool,
    boards_path: Any,
    availability: dict[str, str | None] | None = None,
) -> Selection:
    """The boards a test with requirement `req` runs on, or why there are none."""
    cache = availability if availability is not None else {}
    head = "no board matches " + (f"--hil-board={cli_board!r} and " if cli_board else "") + req.describe()
    candidates = list(boards)
    for pattern in (p for p in (cli_board, req.board) if p):
        kept = [n for n in candidates if name_matches(n, pattern)]
        if not kept:
            known = ", ".join(boards) or "none"
            return Selection([], f"{head}: {_not_in(pattern)} {Path(str(boards_path)).name} (known: {known})")
        candidates = kept
    ok: list[str] = []
    why: list[tuple[str, str]] = []  # (board name, reason)
    for name in candidates:
        b = boards[name]
        reason = mismatch(b, req)
        if reason is None:
            if name not in cache:
                cache[name] = unavailable(b, emulate)
            reason = cache[name]
        if reason is None:
            ok.append(name)
        else:
            why.append((name, reason))
    if ok:
        return Selection(ok, None)
    return Selection([], f"{head}: {_group(why)}")


def _not_in(pattern: str) -> str:
    globs = _globs(pattern)
    wild = any(ch in pattern for ch in "*?[")
    return ("nothing named " + " or ".join(globs) + " in") if wild else (" / ".join(globs) + " not in")


def _group(why: list[tuple[str, str]]) -> str:
    """'a, b is emulated (pass --hil-emulate) / c: core ... ' - boards with one reason together."""
    by_reason: dict[str, list[str]] = {}
    for name, reason in why:
        by_reason.setdefault(reason, []).append(name)
    parts = []
    for reason, names in by_reason.items():
        sep = " " if reason.startswith("is ") else ": "
        if reason.startswith("is ") and len(names) > 1:
            reason = "are" + reason[2:]
        parts.append(", ".join(names) + sep + reason)
    return " / ".join(parts)

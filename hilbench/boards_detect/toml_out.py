"""boards.toml entries for detected boards, appended without touching what is there.

The file is the user's: existing tables and comments stay byte for byte, a board already in
it (same serial number or port) is not added again, a new name never shadows an existing
one (nano33ble, nano33ble-2, ...), and the result is checked with `load_boards` before a
byte is written, so a failed append leaves the file as it was. Only values boards.toml
accepts today are written; what it cannot express yet (the flasher, a Coral accelerator)
goes in as a comment the user can act on when that lands.
"""

from __future__ import annotations

import json
import tempfile
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from hilbench.boards_detect.scan import Detected
from hilbench.config.boards import load_boards
from hilbench.config.toml_file import read_toml
from hilbench.errors import ConfigError


@dataclass
class AppendResult:
    path: Path
    written: list[str] = field(default_factory=list)  # board names added
    lines: list[str] = field(default_factory=list)  # one per device: what happened to it


def _q(value: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML ones)."""
    return json.dumps(value)


def _comment(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=100,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def _free_name(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _already(dev: Detected, boards: dict[str, dict[str, object]]) -> str | None:
    """The existing board that is this device (same USB serial number or same port)."""
    ports = {p for p in (dev.port, dev.by_id, dev.by_path) if p}
    for name, table in boards.items():
        if dev.unique_serial and table.get("serial_number") == dev.serial_number:
            return name
        if table.get("port") in ports:
            return name
    return None


def entry_for(dev: Detected, name: str) -> list[str]:
    """The lines of one [boards.<name>] table (dev must be a known board with a port)."""
    known = dev.known
    assert known is not None and known.core and known.clock_hz and dev.port
    lines = [
        f"# added by `hilbench boards detect`: {known.name}, {dev.vid_pid}"
        + (f", serial {dev.serial_number}" if dev.serial_number else "")
    ]
    if known.toml_comment:
        lines += _comment(known.toml_comment)
    port = dev.stable_id if dev.stable_id_kind in ("by-id", "by-path") and dev.stable_id else dev.port
    if port == dev.port and dev.serial_number:
        lines += _comment(
            f"no /dev/serial link found: {dev.port} may be renumbered on re-plug; "
            "serial_number identifies the board"
        )
    lines += [
        f"[boards.{name}]",
        'kind = "mcu"',
        f"description = {_q(known.name + ', found by hilbench boards detect')}",
        f"core = {_q(known.core)}",
        f"clock_hz = {known.clock_hz:_}",
        f"port = {_q(port)}",
    ]
    if dev.serial_number:
        lines.append(f"serial_number = {_q(dev.serial_number)}")
    if known.flasher:
        lines.append(f'# flasher = "{known.flasher}"  (when flashing real boards lands)')
    return lines


def render(
    devices: list[Detected], boards: dict[str, dict[str, object]], old: str = ""
) -> tuple[list[str], list[str], list[str]]:
    """(text lines to append, names written, one report line per device) for `devices`
    against the existing `boards` tables and text `old` (a comment already there is not
    written again)."""
    out: list[str] = []
    written: list[str] = []
    report: list[str] = []
    taken = set(boards)
    for dev in devices:
        known = dev.known
        label = dev.port or dev.stable_id or dev.vid_pid
        if known is None:
            report.append(f"{label}: unknown device, not written")
            continue
        if known.category == "accelerator" or not (known.board and known.core and known.clock_hz):
            ident = f"# {known.name} ({dev.vid_pid}, serial {dev.serial_number or '-'})"
            if known.category == "accelerator":
                why = "Coral devices arrive with a later issue (boards.toml `kind` cannot express them yet)"
            else:
                why = f"{known.note}; add the board it is wired to by hand"
            if ident in old or any(ident in line for line in out):
                report.append(f"{label}: {known.name}: already noted in boards.toml")
                continue
            out += [""] + _comment(f"{ident[2:]} found by `hilbench boards detect`: {why}")
            report.append(f"{label}: {known.name}: written as a comment ({why})")
            continue
        if not dev.port:
            report.append(f"{label}: {known.name}: no serial port, not written (an mcu board needs `port`)")
            continue
        existing = _already(dev, boards)
        if existing:
            report.append(f"{label}: already in boards.toml as [boards.{existing}], not written again")
            continue
        name = _free_name(known.board, taken)
        taken.add(name)
        out += [""] + entry_for(dev, name)
        written.append(name)
        report.append(f"{label}: written as [boards.{name}]")
    return out, written, report


def append_boards(path: Path, devices: list[Detected]) -> AppendResult:
    """Append entries for `devices` to `path` (created if absent); the file is checked
    with load_boards before and after, and written only when the result loads."""
    boards: dict[str, dict[str, object]] = {}
    old = ""
    if path.exists():
        load_boards(path)  # refuse to append to a file that does not load now
        raw = read_toml(path).get("boards", {})
        boards = {k: v for k, v in raw.items() if isinstance(v, dict)}
        old = path.read_text(encoding="utf-8")
    lines, written, report = render(devices, boards, old)
    result = AppendResult(path, written, report)
    if not lines:
        return result
    if not path.exists():
        head = ["# boards.toml written by `hilbench boards detect`; see docs/boards/detect.md"]
        if not written:  # only comments: the file still needs its (empty) boards table to load
            head.append("[boards]")
        lines = head + lines
    sep = "" if not old or old.endswith("\n") else "\n"
    added = sep + "\n".join(lines) + "\n"
    # Check the whole new file where relative paths resolve as they will (same directory).
    try:
        with tempfile.NamedTemporaryFile(
            "w", suffix=".toml", dir=path.parent, encoding="utf-8", delete=False
        ) as tmp:
            tmp.write(old + added)
        try:
            load_boards(Path(tmp.name))
        except ConfigError as exc:
            raise ConfigError(
                f"{path}: the entries detect would append do not load ({exc}); file not changed"
            ) from None
        finally:
            Path(tmp.name).unlink(missing_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(added)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc}") from None
    return result

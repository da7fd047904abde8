"""`hilbench boards detect`: print what is plugged in, or append it to boards.toml.

A separate module so hilbench/cli.py only registers the command; the scan and the boards.toml
writer stay testable without typer. Output: a rich table on stdout (the console
conventions of `hilbench boards`), then one line per source that was not scanned; with
`--json`, a JSON array (one object per device) on stdout and the rest on stderr, so a
script can parse stdout as it is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from hilbench.boards_detect.scan import Scan, scan
from hilbench.boards_detect.toml_out import append_boards

NO_PORTS = "no USB serial ports found"


def print_scan(result: Scan, out: Console) -> None:
    """The table (unknown devices included, marked unknown), then the skipped and status lines."""
    if result.devices:
        t = Table(title="devices found", title_justify="left")
        for col in ("port", "VID:PID", "serial number", "board", "use as"):
            # fold, never "…": the identifier is there to be copied into boards.toml
            t.add_column(col, overflow="fold")
        for d in result.devices:
            t.add_row(
                d.port or f"({d.source})",
                d.vid_pid,
                d.serial_number or "-",
                d.known.name if d.known else "unknown",
                d.stable_id or "-",
            )
        out.print(t)
        for d in result.devices:
            notes = d.notes + ([f"pyocd sees it as probe {d.probe_uid}"] if d.probe_uid else [])
            for note in notes:
                out.print(
                    f"{d.port or d.stable_id or d.vid_pid}: {note}",
                    highlight=False,
                    soft_wrap=True,
                    markup=False,
                )
    print_status(result, out)


def print_status(result: Scan, out: Console) -> None:
    """What was not found or not scanned, one line each (stderr under --json)."""
    if not any(d.source == "serial" for d in result.devices):
        out.print(NO_PORTS, highlight=False)
    if result.skipped_ports:
        out.print(
            f"skipped {len(result.skipped_ports)} serial port(s) with no USB ids (nothing to match): "
            + ", ".join(result.skipped_ports),
            highlight=False,
            soft_wrap=True,
        )
    for line in result.status:
        out.print(line, highlight=False, soft_wrap=True, markup=False)


def detect_command(
    append: Annotated[
        Path | None,
        typer.Option(
            "--append",
            "--write",
            help="append boards.toml entries for the known boards found (created if absent; "
            "existing boards are kept and never renamed)",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="print a JSON array, one object per device")
    ] = False,
) -> None:
    """Find the boards, probes and accelerators plugged in, and their stable names.

    Matches serial ports (pyserial), USB devices (sysfs) and debug probes (pyocd, when
    installed) against the known boards (docs/boards/detect.md); unknown devices are
    listed as unknown. The stable name is the /dev/serial/by-id link, else the serial number."""
    from hilbench.console import console, err_console

    result = scan()
    if as_json:
        print(json.dumps([d.as_json() for d in result.devices], indent=2))
        print_status(result, err_console)
    else:
        print_scan(result, console)
    if append is None:
        return
    report = append_boards(append, result.devices)
    out = err_console if as_json else console
    for line in report.lines:
        out.print(line, highlight=False, soft_wrap=True, markup=False)
    if report.written:
        out.print(
            f"appended {len(report.written)} board(s) to {append}: {', '.join(report.written)}",
            highlight=False,
            soft_wrap=True,
            markup=False,
        )
    else:
        out.print(f"no board appended to {append}", highlight=False, soft_wrap=True, markup=False)

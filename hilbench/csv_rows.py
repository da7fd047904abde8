"""Read a small CSV file as (line number, row) pairs, every failure one DatasetError line.

Why: `csv.reader` over a file opened as UTF-8 fails lazily, in the middle of the loop, with
exceptions that name neither the file nor the line (UnicodeDecodeError on a binary file,
`csv.Error: line contains NUL`). Reading the text up front and catching both here keeps the
dataset readers' loops about their own checks.
"""

from __future__ import annotations

import csv
from pathlib import Path

from hilbench.errors import DatasetError


def read_csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Every row of `path` with its 1-based line number; blank rows are dropped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DatasetError(
            f"{path}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start})"
        ) from None
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(text.splitlines())
    try:
        for row in reader:
            if row and any(c.strip() for c in row):
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise DatasetError(f"{path}:{reader.line_num}: not a CSV row ({exc})") from None
    return rows

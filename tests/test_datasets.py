"""Dataset directories in MLPerf Tiny's layout."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilbench.datasets import load_dataset
from hilbench.errors import DatasetError
from tests.conftest import shared_path


def _make(tmp_path: Path, rows: str, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "y_labels.csv").write_text(rows)
    return tmp_path


def test_reads_labels_and_checks_sizes(tmp_path: Path) -> None:
    d = load_dataset(_make(tmp_path, "a.bin,3,0\nb.bin,3,2\n", {"a.bin": b"\x01" * 4, "b.bin": b"\x02" * 4}))
    assert [(v.sample_id, v.label) for v in d.vectors] == [("a", 0), ("b", 2)]
    assert d.num_classes == 3
    d.check_sizes(4, "model input")
    with pytest.raises(DatasetError, match=r"a\.bin: 4 bytes, but model input takes 5 bytes"):
        d.check_sizes(5, "model input")


@pytest.mark.parametrize(
    "rows,match",
    [
        ("a.bin,3\n", r"y_labels\.csv:1: expected 3 fields"),
        ("a.bin,3,x\n", r"y_labels\.csv:1: num_classes and label must be integers"),
        ("a.bin,3,3\n", r"y_labels\.csv:1: label 3 outside 0\.\.2"),
        ("a.bin,3,0\nmissing.bin,3,1\n", r"y_labels\.csv:2: vector file missing\.bin not found"),
    ],
)
def test_bad_labels_name_the_line(tmp_path: Path, rows: str, match: str) -> None:
    with pytest.raises(DatasetError, match=match):
        load_dataset(_make(tmp_path, rows, {"a.bin": b"\x00"}))


def test_missing_dir(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        load_dataset(tmp_path / "nope")


def test_shared_kws01_as_it_ships() -> None:
    d = load_dataset(shared_path("datasets", "kws01"))
    assert len(d.vectors) == 1000 and d.num_classes == 12
    d.check_sizes(490, "kws input")

"""Dataset faults a user hit: an empty y_labels.csv, duplicate rows, files that are not CSV text.

Each must be one DatasetError line naming the file (and line) at fault, never a run that
counts a vector twice or a bare UnicodeDecodeError / csv.Error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hilbench import demo
from hilbench.datasets import load_dataset
from hilbench.mlperf_tiny.ad_reference import read_reference_auc, read_reference_scores
from hilbench.errors import DatasetError
from tests.clihelp import assert_one_line_error, run_cli


def _dir(tmp_path: Path, labels: bytes | str | None, names: tuple[str, ...] = ("a.bin", "b.bin")) -> Path:
    for n in names:
        (tmp_path / n).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / n).write_bytes(bytes(4))
    if labels is not None:
        p = tmp_path / "y_labels.csv"
        p.write_bytes(labels if isinstance(labels, bytes) else labels.encode())
    return tmp_path


@pytest.mark.parametrize("content", ["", "\n\n", " , ,\n"])
def test_empty_labels_file_is_named_as_empty(tmp_path: Path, content: str) -> None:
    root = _dir(tmp_path, content)
    with pytest.raises(DatasetError) as err:
        load_dataset(root)
    msg = str(err.value)
    assert msg.startswith(f"{root / 'y_labels.csv'}: file is empty")
    assert "2 *.bin files beside it are not listed" in msg
    assert "no *.bin" not in msg


def test_empty_labels_file_without_bins(tmp_path: Path) -> None:
    root = _dir(tmp_path, "", names=())
    with pytest.raises(
        DatasetError, match=r"y_labels\.csv: file is empty \(no file,num_classes,label rows\); fill"
    ):
        load_dataset(root)


def test_no_labels_and_no_bins_still_says_so(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"no y_labels\.csv and no \*\.bin files"):
        load_dataset(_dir(tmp_path, None, names=()))


@pytest.mark.parametrize(
    "rows,line,first,name",
    [
        ("a.bin,3,0\nb.bin,3,1\na.bin,3,0\n", 3, 1, "a.bin"),
        ("a.bin,3,0\n\nb.bin,3,1\n./b.bin,3,2\n", 4, 3, "./b.bin"),  # same file, other spelling
    ],
)
def test_duplicate_rows_name_file_and_both_lines(
    tmp_path: Path, rows: str, line: int, first: int, name: str
) -> None:
    root = _dir(tmp_path, rows)
    with pytest.raises(DatasetError) as err:
        load_dataset(root)
    assert str(err.value) == (
        f"{root / 'y_labels.csv'}:{line}: {name} is listed again (first on line {first}); "
        "each vector file may appear once"
    )


def test_two_files_with_one_sample_id_are_refused(tmp_path: Path) -> None:
    root = _dir(tmp_path, "a.bin,3,0\nsub/a.bin,3,1\n", names=("a.bin", "sub/a.bin"))
    with pytest.raises(
        DatasetError, match=r"y_labels\.csv:2: sub/a\.bin and a\.bin \(line 1\) share the sample id 'a'"
    ):
        load_dataset(root)


def test_binary_labels_file_names_line_and_byte(tmp_path: Path) -> None:
    root = _dir(tmp_path, b"a.bin,3,0\nb.bin,3,\xff\n")
    with pytest.raises(DatasetError, match=r"y_labels\.csv:2: not UTF-8 text \(byte 0xff at offset 18\)"):
        load_dataset(root)


def test_nul_in_labels_file_names_the_line(tmp_path: Path) -> None:
    root = _dir(tmp_path, "a.bin,3,0\nb.bin,3,\x001\n")
    with pytest.raises(DatasetError, match=r"y_labels\.csv:2: num_classes and label must be integers"):
        load_dataset(root)


def test_csv_error_is_one_line_naming_the_line(tmp_path: Path) -> None:
    root = _dir(tmp_path, 'a.bin,3,0\n"' + "x" * 200_000 + '",3,1\n')
    with pytest.raises(DatasetError, match=r"y_labels\.csv:2: not a CSV row \(field larger than field limit"):
        load_dataset(root)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    d = load_dataset(_dir(tmp_path, "\ufeffa.bin,3,0\nb.bin,3,1\n"))
    assert [v.sample_id for v in d.vectors] == ["a", "b"]


def test_reference_score_files_not_text(tmp_path: Path) -> None:
    p = tmp_path / "anomaly_score_ToyCar_id_01.csv"
    p.write_bytes(b"normal_id_01_0.wav,1.5\n\x80\x81,2\n")
    with pytest.raises(DatasetError, match=r"anomaly_score_ToyCar_id_01\.csv:2: not UTF-8 text"):
        read_reference_scores(p)
    q = tmp_path / "result.csv"
    q.write_bytes(b"ToyCar\nid,AUC,pAUC\n\xfe,1,2\n")
    with pytest.raises(DatasetError, match=r"result\.csv:3: not UTF-8 text"):
        read_reference_auc(q)


def test_cli_duplicate_row_is_one_line_and_writes_no_run(tmp_path: Path) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    src = sorted(Path(demo.DEMO_DATASET).glob("*.bin"))[:2]
    for s in src:
        (ds / s.name).write_bytes(s.read_bytes())
    (ds / "y_labels.csv").write_text(f"{src[0].name},10,1\n{src[1].name},10,2\n{src[0].name},10,1\n")
    results = tmp_path / "results"
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(demo.DEMO_MODEL),
        "--dataset",
        str(ds),
        "--results-dir",
        str(results),
    )
    assert_one_line_error(r, str(ds / "y_labels.csv") + ":3:", src[0].name, "line 1")
    assert not list(results.glob("*/samples.parquet"))


def test_labels_path_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    root = _dir(tmp_path, None)
    (root / "y_labels.csv").mkdir()
    with pytest.raises(DatasetError, match=r"y_labels\.csv: not a file"):
        load_dataset(root)


def test_zero_classes_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"y_labels\.csv:1: num_classes 0 must be at least 1"):
        load_dataset(_dir(tmp_path, "a.bin,0,0\n"))


def test_num_classes_that_changes_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"y_labels\.csv:2: num_classes 4 differs from earlier rows \(3\)"):
        load_dataset(_dir(tmp_path, "a.bin,3,0\nb.bin,4,1\n"))

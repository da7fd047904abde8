"""`hilbench run` end to end on the host-native board: table, Parquet rows, load()."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

import hilbench.results
from hilbench import demo
from hilbench.datasets import load_dataset
from hilbench.models.reference import ReferenceInterpreter
from hilbench.results import COLUMNS
from tests.clihelp import run_cli
from tests.conftest import need_tool


def reference_top1(limit: int | None = None) -> float:
    ds = load_dataset(demo.DEMO_DATASET, limit=limit)
    ref = ReferenceInterpreter(Path(demo.DEMO_MODEL).read_bytes())
    hits = [int(np.argmax(ref.run(ds.read(v))[0])) == v.label for v in ds.vectors]
    return float(np.mean(hits))


def run_id_from(stdout: str) -> str:
    m = re.search(r"hilbench run (\S+)", stdout)
    assert m, stdout
    return m.group(1)


def test_run_on_host_board_writes_long_format_rows(tmp_path: Path) -> None:
    need_tool("gcc")
    r = run_cli("run", "--board", "host", "--limit", "40", "--results-dir", str(tmp_path))
    assert r.code == 0, r.stderr
    run_id = run_id_from(r.stdout)
    for needle in ("host", "digits_mlp.tflite", "host_clock", "100.0 %"):
        assert needle in r.stdout
    df = hilbench.results.load(run_id, tmp_path)
    assert list(df.columns) == COLUMNS
    measured = df[df.phase == "measure"]
    assert len(measured) == 40 and (df.phase == "warmup").sum() == 1
    assert measured.bit_exact.all() and (measured.max_abs_diff_vs_reference == 0).all()
    assert measured.timing_source.eq("host_clock").all() and measured.cycles.isna().all()
    assert (measured.latency_us > 0).all()
    assert measured.model_sha256.nunique() == 1 and measured.firmware_sha256.str.len().eq(64).all()
    assert measured.correct.mean() == pytest.approx(reference_top1(40))
    layers = hilbench.results.load_layers(run_id, tmp_path)
    assert layers.op_name.tolist() == ["FULLY_CONNECTED", "FULLY_CONNECTED"]
    assert (layers.ticks > 0).all() and layers.macs.tolist() == [2048, 320]
    meta = json.loads((tmp_path / run_id / "run.json").read_text())
    assert meta["status"] == "complete" and meta["samples"] == 41


def test_partial_results_are_kept_but_not_complete(tmp_path: Path) -> None:
    from hilbench.results.store import write_run

    rows = [{"run_id": "r1", "phase": "measure", "sample_id": "a", "ticks": 5}]
    write_run(tmp_path / "r1", rows, {"run_id": "r1"}, complete=False)
    assert not (tmp_path / "r1" / "samples.parquet").exists()
    with pytest.raises(hilbench.errors.HilbenchError, match="did not finish"):
        hilbench.results.load("r1", tmp_path)
    df = hilbench.results.load("r1", tmp_path, partial=True)
    assert df.ticks.tolist() == [5]
    assert json.loads((tmp_path / "r1" / "run.json").read_text())["status"] == "failed"


def test_boards_lists_availability(tmp_path: Path) -> None:
    from hilbench import firmware

    need_tool("gcc")
    firmware.build_image("host")
    r = run_cli("boards")
    assert r.code == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("│ host "))
    assert "native" in line and " yes " in line
    assert "mps2-an386 (default)" in r.stdout
    # A board whose emulator is not installed is listed as unavailable, with the reason.
    p = tmp_path / "boards.toml"
    p.write_text(
        (Path(__file__).resolve().parent.parent / "boards.toml")
        .read_text()
        .replace('binary = "qemu-system-arm"', 'binary = "qemu-system-nope"')
    )
    r = run_cli("boards", "--boards", str(p))
    line = next(ln for ln in r.stdout.splitlines() if "mps2-an386" in ln)
    assert " no " in line and "qemu-system-nope not installed" in line

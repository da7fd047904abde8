"""The example nightly suite (2 emulated boards x 2 models) end to end: the summary table,
a store that `hilbench history` lists, and a JUnit file."""

from __future__ import annotations

from pathlib import Path

import pytest

import hilbench.results
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool, shared_path

pytestmark = pytest.mark.emulated


def test_example_nightly_suite(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    shared_path("models", "mlperf-tiny", "kws_ref_model.tflite")
    res = tmp_path / "results"
    r = run_cli(
        "run",
        str(ROOT / "examples" / "nightly.toml"),
        "--results-dir",
        str(res),
        "--no-report",
        "--junit",
        str(tmp_path / "junit.xml"),
        timeout=900,
    )
    assert r.code == 0, r.stdout + r.stderr
    for board in ("mps2-an386", "mps2-an500"):
        for model in ("digits_mlp.tflite", "kws_ref_model.tflite"):
            assert any(board in ln and model[:10] in ln for ln in r.stdout.splitlines()), (board, model)
    run_id = next(p.name for p in res.iterdir() if p.is_dir())
    df = hilbench.results.load(run_id, res)
    assert set(df.board) == {"mps2-an386", "mps2-an500"} and df.model.nunique() == 2
    m = df[df.phase == "measure"]
    assert m.bit_exact.dropna().all()
    assert sorted(m.window.dropna().unique().tolist()) == [0, 1, 2]
    h = run_cli("history", "--results-dir", str(res), "--csv")
    assert h.code == 0 and h.stdout.count(run_id) == 4  # 2 boards x 2 models
    xml = (tmp_path / "junit.xml").read_text()
    assert 'tests="4"' in xml and 'errors="0"' in xml

"""A model without predictions (an autoencoder) shows no top-1 and no ties.

Before: an autoencoder run on a labelled dataset in the classifier layout printed
"top-1 0.0 % (10 tied)": an argmax over its 64 reconstructed values was taken for a class.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console

from hilbench import demo
from hilbench.models.builder import ModelBuilder
from hilbench.report.table import summary_table
from hilbench.results.summary import summarize_group
from tests.clihelp import run_cli
from tests.conftest import need_tool


def _rows(outputs: list[bytes], labels: list[int], predictions: list[int | None]) -> pd.DataFrame:
    n = len(outputs)
    return pd.DataFrame(
        {
            "phase": ["measure"] * n,
            "cycles": [100.0 + i for i in range(n)],
            "latency_us": [1.0] * n,
            "clock_hz": [25_000_000] * n,
            "window": [None] * n,
            "label": labels,
            "output": outputs,
            "reference_output": outputs,
            "prediction": predictions,
            "correct": [None if p is None else p == lab for p, lab in zip(predictions, labels)],
            "bit_exact": [True] * n,
        }
    )


def _render(rec: dict) -> str:
    rec = {
        "board": "host",
        "model": "m",
        "n": 3,
        "timing_source": "host_clock",
        "emulated": False,
        "clock_hz": 1,
        **rec,
    }
    buf = io.StringIO()
    Console(file=buf, width=240).print(summary_table(pd.DataFrame([rec])))
    return buf.getvalue()


def test_no_predictions_no_top1_no_ties() -> None:
    outs = [bytes(64)] * 3  # all-equal outputs: an argmax would be "tied" every time
    s = summarize_group(_rows(outs, [1, 2, 3], [None, None, None]))
    assert s["top1"] is None and s.get("top1_tied") is None and s.get("confusion_matrix") is None
    assert s["bit_exact_pct"] == 100.0
    text = _render(s)
    assert "top-1" not in text and "tied" not in text


def test_classifier_still_reports_top1_and_ties() -> None:
    outs = [bytes([5, 1, 0]), bytes([0, 7, 7]), bytes([0, 0, 9])]
    s = summarize_group(_rows(outs, [0, 2, 2], [0, 1, 2]))
    assert s["top1"] == 2 / 3 and s["top1_tied"] == 1
    assert "top-1 66.7 % (1 tied)" in _render(s)


def test_ad_row_shows_auc_else_score_else_nothing() -> None:
    assert "AUC 0.875" in _render({"top1": None, "auc": 0.875, "score_mean": 10.27})
    assert "score 10.27" in _render({"top1": None, "auc": None, "score_mean": 10.27})
    text = _render({"top1": None})
    assert "top-1" not in text and "AUC" not in text and "score" not in text


def _autoencoder() -> bytes:
    b = ModelBuilder(description="tiny autoencoder")
    x = b.add_tensor("x", [1, 64], "int8", scale=0.125, zero_point=-128)
    w = b.add_tensor("w", [64, 64], "int8", scale=0.01, zero_point=0, data=np.eye(64, dtype=np.int8))
    y = b.add_tensor("y", [1, 64], "int8", scale=0.125, zero_point=-128)
    b.add_op("FULLY_CONNECTED", [x, w, -1], [y])
    b.set_io([x], [y])
    return b.build()


def test_cli_autoencoder_on_labelled_dataset_prints_no_top1(tmp_path: Path) -> None:
    need_tool("gcc")
    m = tmp_path / "ae.tflite"
    m.write_bytes(_autoencoder())
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(m),
        "--dataset",
        str(demo.DEMO_DATASET),
        "--results-dir",
        str(tmp_path / "results"),
        "--limit",
        "4",
    )
    assert r.code == 0, r.stdout + r.stderr
    assert "ae" in r.stdout and "accuracy" in r.stdout
    assert "top-1" not in r.stdout and "tied" not in r.stdout

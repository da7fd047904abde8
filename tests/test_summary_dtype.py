"""The summary reads raw outputs in the model's own output type (the job's output_dtype).

A uint8 classifier's score 200 read as int8 is -56: the argmax, top-1 and confusion
matrix would be wrong while every stored row is right."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hilbench.results.schema import COLUMNS
from hilbench.results.summary import summarize


def rows(dtype: str, outputs: list[list[float]], labels: list[int]) -> pd.DataFrame:
    out = [np.asarray(o, dtype=dtype).tobytes() for o in outputs]
    base = {c: None for c in COLUMNS}
    return pd.DataFrame(
        {
            **base,
            "board": "b",
            "model": "m",
            "dataset": "d",
            "timing_source": "host_clock",
            "emulated": False,
            "clock_hz": 1,
            "phase": "measure",
            "window": None,
            "sample_id": [f"s{i}" for i in range(len(out))],
            "label": labels,
            "cycles": None,
            "latency_us": 1.0,
            "output": out,
            "reference_output": out,
            "prediction": labels,
            "correct": True,
            "bit_exact": True,
            "score": None,
        }
    )


def jobs(dtype: str) -> pd.DataFrame:
    return pd.DataFrame([{"board": "b", "model": "m", "dataset": "d", "macs": None, "output_dtype": dtype}])


def test_uint8_outputs_are_read_as_uint8() -> None:
    df = rows("uint8", [[200, 10, 0], [0, 130, 5], [1, 2, 250]], [0, 1, 2])
    s = summarize(df, jobs("uint8")).iloc[0]
    assert s["top1"] == 1.0 and s["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    wrong = summarize(df).iloc[0]  # no job record: int8, as runs before output_dtype existed
    assert wrong["top1"] < 1.0


def test_float32_outputs_have_one_score_per_class() -> None:
    df = rows("float32", [[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]], [1, 0])
    s = summarize(df, jobs("float32")).iloc[0]
    assert s["num_classes"] == 3 and s["top1"] == 1.0

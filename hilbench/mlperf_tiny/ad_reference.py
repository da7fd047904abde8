"""MLPerf Tiny's published anomaly-detection results, and scoring a clip the way they were made.

mlcommons/tiny publishes per-clip anomaly scores (`*_anomaly_score_<machine>_id_NN.csv`) and
per-machine AUC / pAUC (`*_result.csv`) for the ad01 reference model; `score_file` windows,
quantizes, runs and scores one clip as `03_tflite_test.py` does, so hilbench's scores can be
checked against those files. The generic scheme (windows, quantization, window scores) is
`hilbench.datasets.anomaly`: every anomaly-detection run uses it, MLPerf Tiny mode or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hilbench.csv_rows import read_csv_rows
from hilbench.datasets.anomaly import ad_windows, load_ad_file, quantize_windows, window_scores
from hilbench.errors import DatasetError


@dataclass(frozen=True)
class ADFileScore:
    path: Path
    score: float  # mean window MSE
    window_scores: np.ndarray  # (W,)
    inputs: np.ndarray  # (W, 640) int8, what the model was fed
    outputs: np.ndarray  # (W, 640) int8, what it returned


def score_file(
    path: str | Path,
    interpreter: Any,
    *,
    run: Callable[[np.ndarray], np.ndarray] | None = None,
) -> ADFileScore:
    """Window, quantize, run and score one clip.

    `interpreter` supplies the quantization (``.inputs[0]`` / ``.outputs[0]`` with
    ``scale``, ``zero_point``, ``dtype``, as `hilbench.models.reference.ReferenceInterpreter`)
    and, unless `run` is given, ``.run(window) -> [output]``. `run` maps one quantized
    window to its output, e.g. a DUT's inference call.
    """
    inp, outp = interpreter.inputs[0], interpreter.outputs[0]
    if inp.scale is None or outp.scale is None:
        raise DatasetError(f"{path}: the AD scheme needs a model with quantized input and output")
    frames = load_ad_file(path)
    windows = ad_windows(frames)
    width = int(np.prod(inp.shape))
    if windows.shape[1] != width:
        raise DatasetError(f"{path}: windows have {windows.shape[1]} values, the model input takes {width}")
    q = quantize_windows(windows, inp.scale, inp.zero_point, inp.dtype)
    if run is None:

        def run(x: np.ndarray) -> np.ndarray:
            return interpreter.run(x)[0]

    outs = (
        np.stack([np.asarray(run(x)).reshape(-1) for x in q]) if len(q) else np.empty((0, width), inp.dtype)
    )
    ws = window_scores(outs, windows, outp.scale, outp.zero_point)
    return ADFileScore(Path(path), float(ws.mean()), ws, q, outs)


# -- published per-clip scores and AUC (mlcommons/tiny trained_models/.../result) ----------------


def is_anomaly_name(name: str) -> bool:
    """DCASE naming: `anomaly_id_01_00000000.wav` is anomalous, `normal_id_...` normal."""
    base = Path(name).name
    if base.startswith("anomaly_"):
        return True
    if base.startswith("normal_"):
        return False
    raise DatasetError(
        f"{name}: cannot tell normal from anomaly (name starts neither 'normal_' nor 'anomaly_')"
    )


@dataclass(frozen=True)
class ReferenceScores:
    machine_id: str  # "01"
    files: list[str]
    scores: np.ndarray  # float64
    is_anomaly: np.ndarray  # bool


_ID_RE = re.compile(r"id_(\d+)")


def read_reference_scores(path: str | Path) -> ReferenceScores:
    """A `*_anomaly_score_<machine>_id_NN.csv` file: rows `file,score`, no header."""
    path = Path(path)
    files: list[str] = []
    scores: list[float] = []
    for lineno, row in read_csv_rows(path):
        if len(row) != 2:
            raise DatasetError(f"{path}:{lineno}: expected 2 fields file,score, got {len(row)}")
        try:
            scores.append(float(row[1]))
        except ValueError:
            raise DatasetError(f"{path}:{lineno}: score {row[1]!r} is not a number") from None
        files.append(row[0].strip())
    if not files:
        raise DatasetError(f"{path}: no scores")
    m = _ID_RE.search(path.stem)
    return ReferenceScores(
        machine_id=m.group(1) if m else "",
        files=files,
        scores=np.asarray(scores, dtype=np.float64),
        is_anomaly=np.array([is_anomaly_name(f) for f in files], dtype=bool),
    )


def read_reference_auc(path: str | Path) -> dict[str, tuple[float, float]]:
    """A `*_result.csv` file: `id -> (AUC, pAUC)` ("Average" included).

    The file is a sequence of blocks: a machine-type line, an `id,AUC,pAUC` header, one row
    per id. A block repeated (the published ToyCar file has ids 01-03 twice) must agree
    with itself; a conflicting repeat is an error.
    """
    path = Path(path)
    out: dict[str, tuple[float, float]] = {}
    for lineno, row in read_csv_rows(path):
        if len(row) != 3 or row[0].strip().lower() == "id":
            continue
        key = row[0].strip()
        try:
            val = (float(row[1]), float(row[2]))
        except ValueError:
            raise DatasetError(f"{path}:{lineno}: AUC and pAUC must be numbers") from None
        if key in out and out[key] != val:
            raise DatasetError(f"{path}:{lineno}: id {key} repeated with different values")
        out[key] = val
    if not out:
        raise DatasetError(f"{path}: no id,AUC,pAUC rows")
    return out

"""`hilbench run --mlperf-tiny performance|accuracy`: MLPerf Tiny's rules on an MLPerf Tiny DUT.

Rows go into hilbench's results schema (timing source `dut_timer_us`, the printed output
in `output_text`), so history, reports and comparisons work as for any run; besides
them the run directory gets the `results.txt` MLPerf Tiny's submission checker reads.

When the model file is known (the board's `model`, or `--model`), every printed output
is also compared with tflite-micro's on the same input: the printed 3-decimal values are
mapped back to the int8 output (exact while 3 decimals resolve one output step, i.e. an
output scale of at least 0.002; otherwise `output` stays null) and compared byte for byte.
"""

from __future__ import annotations

import hashlib
import math
import platform
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from hilbench import __version__
from hilbench.config import BoardConfig
from hilbench.datasets_ad import window_scores
from hilbench.devices.base import DeviceInfo
from hilbench.errors import HilbenchError, ModelError
from hilbench.locks import physical_board_lock
from hilbench.mlperf_tiny import scoring
from hilbench.mlperf_tiny.inputs import INPUT_BYTES, MlperfDataset, load_mlperf_dataset
from hilbench.results.store import default_results_dir, new_run_id, write_run

Progress = Callable[[int, int], None]
MODES = ("performance", "accuracy")
RESULTS_TXT = "results.txt"


@dataclass
class MlperfRun:
    run_id: str
    run_dir: Path
    mode: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    results_txt: Path | None = None
    samples_file: Path | None = None
    model_id: str | None = None
    windows: list[scoring.Window] = field(default_factory=list)
    accuracy: scoring.Accuracy | None = None
    ad: scoring.AdResult | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class _Reference:
    """tflite-micro on the model the DUT runs, and how to map printed values back."""

    def __init__(self, model: Path, model_id: str) -> None:
        from hilbench.models.inspect import inspect_model
        from hilbench.models.reference import ReferenceInterpreter

        self.info = inspect_model(model)
        self.inp, self.out = self.info.inputs[0], self.info.outputs[0]
        expected = INPUT_BYTES[model_id] // (4 if model_id == "ad01" else 1)
        if self.inp.num_elements != expected:
            raise ModelError(f"{model}: input of {self.inp.num_elements} values, but the DUT runs {model_id} "
                             f"({expected} values): not the model on the board")
        self.interp = ReferenceInterpreter(model.read_bytes(), name=str(model))
        self.scale = self.out.scale[0] if len(self.out.scale) == 1 else None
        self.zp = self.out.zero_point[0] if len(self.out.zero_point) == 1 else None

    def run(self, model_input: bytes) -> np.ndarray:
        return np.asarray(self.interp.run(model_input)[0]).reshape(-1)

    def requantize(self, values: tuple[float, ...]) -> bytes | None:
        """Printed dequantized values -> int8 output bytes, when that is exact."""
        if self.scale is None or self.zp is None or self.scale < 0.002 or self.out.dtype != "int8":
            return None
        q = np.rint(np.asarray(values, dtype=np.float64) / self.scale) + self.zp
        return np.clip(q, -128, 127).astype(np.int8).tobytes()


def run_mlperf(board: BoardConfig, mode: str, dataset: Path, *, model: Path | None = None,
               results_dir: Path | None = None, windows: int = scoring.WINDOWS,
               min_window_s: float = scoring.MIN_WINDOW_S, warmup: int = 10, limit: int | None = None,
               progress: Progress | None = None, on_open: Callable[[DeviceInfo], None] | None = None,
               device: Any = None) -> MlperfRun:
    """Run one MLPerf Tiny mode on board; rows and results.txt land in results/<run-id>/."""
    if mode not in MODES:
        hint = " (energy mode needs an energy monitor: not supported yet)" if mode == "energy" else ""
        raise HilbenchError(f"--mlperf-tiny {mode}: unknown mode; use performance or accuracy{hint}")
    if board.protocol != "mlperf-tiny":
        raise HilbenchError(f"board '{board.name}' speaks the hilbench protocol; --mlperf-tiny needs a board with "
                            "protocol = \"mlperf-tiny\" in boards.toml (docs/mlperf-tiny.md)")
    from hilbench.devices.mlperf_tiny import MlperfTinyDevice

    model = model or (Path(board.model) if board.model else None)
    if model is not None and not model.is_file():
        raise ModelError(f"{model}: no such model file")
    dev = device or MlperfTinyDevice(board, model=model)
    run_id = new_run_id()
    started = datetime.now(timezone.utc)
    out = MlperfRun(run_id, Path(results_dir or default_results_dir()) / run_id, mode)
    complete = False
    try:
        # The port is closed before the board's lock is released (exit order).
        with physical_board_lock(board, owner=f"hilbench run --mlperf-tiny {mode} {run_id}"), closing(dev):
            info = dev.open()
            if on_open:
                on_open(info)
            model_id = dev.model_id
            out.model_id = model_id
            if not model_id:
                raise HilbenchError(f"board '{board.name}': the DUT reports no model id (m-model-[...]) in profile%")
            data = load_mlperf_dataset(dataset, model_id, limit=limit)
            ref = _Reference(model, model_id) if model is not None else None
            base = _base(run_id, started, info, board, model, model_id, data, ref)
            if mode == "performance":
                _performance(dev, data, base, out, windows, min_window_s, warmup, progress)
            else:
                _accuracy(dev, data, base, out, ref, progress)
            out.lines = scoring.results_txt_lines(
                mode=mode, board=board.name, dut_name=info.firmware_name or "?", model_id=model_id,
                emulated=info.timing.emulated, windows=out.windows if mode == "performance" else None,
                min_window_s=min_window_s, acc=out.accuracy, ad=out.ad)
            complete = True
    finally:
        out.meta = {
            "run_id": run_id, "started_at": started.isoformat(), "finished_at": datetime.now(timezone.utc).isoformat(),
            "host": platform.node(), "hilbench_version": __version__, "suite": None,
            "mlperf_tiny": {"mode": mode, "model_id": out.model_id, "min_window_s": min_window_s,
                            "windows": [w.__dict__ for w in out.windows], "results_txt": out.lines},
        }
        if out.rows or complete:
            out.samples_file = write_run(out.run_dir, out.rows, out.meta, complete=complete)
        if complete:
            out.results_txt = scoring.write_results_txt(out.run_dir / RESULTS_TXT, out.lines)
    return out


def _base(run_id: str, started: datetime, info: DeviceInfo, board: BoardConfig, model: Path | None,
          model_id: str, data: MlperfDataset, ref: _Reference | None) -> dict[str, Any]:
    return {
        "run_id": run_id, "started_at": started, "host": platform.node(), "hilbench_version": __version__,
        "suite": None, "job_id": f"{board.name}/{model.stem if model else model_id}/{data.dataset.name}/mlperf-tiny",
        "board": info.board, "board_serial": info.board_serial, "device_kind": info.device_kind, "core": info.core,
        "clock_hz": info.clock_hz, "firmware_name": info.firmware_name, "firmware_sha256": info.firmware_sha256,
        "runtime": info.runtime, "model": model.name if model else model_id,
        "model_sha256": ref.info.sha256 if ref else None, "dataset": data.dataset.name,
        "dataset_sha256": data.dataset.sha256(), "timing_source": info.timing.source,
        "emulated": info.timing.emulated, "energy_uj": None, "energy_source": None, "cycles": None,
    }


def _performance(dev: Any, data: MlperfDataset, base: dict[str, Any], out: MlperfRun, n_windows: int,
                 min_window_s: float, warmup: int, progress: Progress | None) -> None:
    """Windows of N inferences of the first vector, each at least min_window_s of DUT time;
    N sized from one timed inference and grown if a window falls short."""
    vec = data.vectors[0]
    wire = data.wire_bytes(vec)
    probe = dev.run(wire, 1, 0)
    target_us = min_window_s * 1e6
    n = max(1, math.ceil(target_us / max(probe.elapsed_us, 1) * 1.05))
    short = 0
    while len(out.windows) < n_windows:
        r = dev.run(wire, n, warmup)
        if r.elapsed_us < target_us:
            short += 1
            if short > 10:
                raise HilbenchError(f"board '{base['board']}': {n} inferences took {r.elapsed_us} µs of DUT time, "
                                    f"still below the {min_window_s:g} s window after 10 attempts")
            n = max(n + 1, math.ceil(n * target_us / max(r.elapsed_us, 1) * 1.05))
            continue
        w = scoring.Window(n, r.elapsed_us)
        out.rows.append(dict(base, sample_id=vec.sample_id, label=vec.label, phase="measure", window=len(out.windows),
                             iteration=0, ticks=r.elapsed_us, latency_us=r.elapsed_us / n, prediction=None,
                             correct=None, output_sha256=None, output=None, reference_output=None,
                             max_abs_diff_vs_reference=None, bit_exact=None, score=None,
                             output_text=r.results_text))
        out.windows.append(w)
        if progress:
            progress(len(out.windows), n_windows)


def _accuracy(dev: Any, data: MlperfDataset, base: dict[str, Any], out: MlperfRun, ref: _Reference | None,
              progress: Progress | None) -> None:
    """`infer 1 0` once per vector (AD: per window); rows as they arrive."""
    scores: list[tuple[float, ...]] = []
    labels: list[int] = []
    ad_scores: list[tuple[str, int | None, float]] = []
    total = len(data.vectors)
    is_ad = data.model_id == "ad01"
    if not is_ad and all(v.label is None for v in data.vectors):
        raise HilbenchError(f"{data.dataset.root}: no labels (y_labels.csv): accuracy mode needs them")
    for i, vec in enumerate(data.vectors):
        r = dev.run(data.wire_bytes(vec), 1, 0)
        values = r.results
        row: dict[str, Any] = dict(
            base, sample_id=vec.sample_id, label=vec.label, phase="measure", window=None, iteration=0,
            ticks=r.elapsed_us, latency_us=float(r.elapsed_us), output_text=r.results_text, prediction=None,
            correct=None, output=None, output_sha256=None, reference_output=None, max_abs_diff_vs_reference=None,
            bit_exact=None, score=None)
        if is_ad:
            row["score"] = values[0]
            ad_scores.append((vec.path.name, vec.label, values[0]))
            if ref is not None:
                x = ref.run(data.model_input(vec, ref.inp))
                win = data.dataset.float_window(vec)
                expect = float(window_scores(x[None], win[None], ref.scale, ref.zp)[0])
                row["bit_exact"] = f"{expect:.3f}" == r.results_text.strip() or abs(expect - values[0]) <= 1.5e-3
        else:
            pred = int(np.argmax(values))
            row["prediction"] = pred
            if vec.label is not None:
                row["correct"] = pred == vec.label
                scores.append(values)
                labels.append(vec.label)
            if ref is not None:
                expect_q = ref.run(data.model_input(vec, ref.inp)).astype(np.int8)
                got = ref.requantize(values)
                row["reference_output"] = expect_q.tobytes()
                if got is not None and len(got) == expect_q.size:
                    row["output"] = got
                    row["output_sha256"] = hashlib.sha256(got).hexdigest()
                    diff = np.abs(np.frombuffer(got, np.int8).astype(np.int64) - expect_q.astype(np.int64))
                    row["max_abs_diff_vs_reference"] = int(diff.max()) if diff.size else 0
                    row["bit_exact"] = got == expect_q.tobytes()
        out.rows.append(row)
        if progress:
            progress(i + 1, total)
    if is_ad:
        out.ad = scoring.ad_result(ad_scores)
    else:
        out.accuracy = scoring.accuracy(scores, labels)

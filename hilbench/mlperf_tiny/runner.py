"""`hilbench run --mlperf-tiny performance|accuracy`: MLPerf Tiny's rules on an MLPerf Tiny DUT.

Rows go into hilbench's results schema (timing source `dut_timer_us`, the printed output
in `output_text`), so history, reports and comparisons work as for any run; besides
them the run directory gets, under `mlperf/`, the official runner's session files
(log.txt, results.txt, results.json) in the layout the submission checker walks
(hilbench.mlperf_tiny.session).

When the model file is known (the board's `model`, or `--model`), every printed output
is also compared with tflite-micro's on the same input: the printed 3-decimal values are
mapped back to the int8 output (exact while 3 decimals resolve one output step, i.e. an
output scale of at least 0.002; otherwise `output` stays null) and compared byte for byte.
"""

from __future__ import annotations

import hashlib
import math
import platform
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hilbench import __version__
from hilbench.config import BoardConfig
from hilbench.datasets.anomaly import window_scores
from hilbench.devices.base import DeviceInfo
from hilbench.errors import DatasetError, HilbenchError, ModelError, NotImplementedFeature
from hilbench.locks import physical_board_lock
from hilbench.mlperf_tiny import scoring
from hilbench.mlperf_tiny import session as session_mod
from hilbench.mlperf_tiny.inputs import CLASSES, INPUT_BYTES, MlperfDataset, load_mlperf_dataset
from hilbench.results.events import EventLog
from hilbench.results.store import default_results_dir, new_run_id
from hilbench.results.writer import RunWriter
from hilbench.signals import signal_name

Progress = Callable[[int, int], None]
MODES = ("performance", "accuracy")


@dataclass
class MlperfRun:
    run_id: str
    run_dir: Path
    mode: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    samples_file: Path | None = None
    model_id: str | None = None
    windows: list[scoring.Window] = field(default_factory=list)
    accuracy: scoring.Accuracy | None = None
    ad: scoring.AdResult | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    session_dir: Path | None = None  # .../mlperf/<division>/<submitter>/results/<system>/<benchmark>/<mode>
    session_root: Path | None = None  # <run-dir>/mlperf: the checker's --input
    loop_wall_s: float | None = None  # performance: host wall time of the loop of windows
    error: str | None = None  # performance: the runner's ERROR 1 / ERROR 2 line, if any
    sink: Callable[[list[dict[str, Any]]], None] | None = None  # accuracy rows to disk as they arrive

    @property
    def results_txt(self) -> Path | None:
        return self.session_dir / "results.txt" if self.session_dir else None


class _Reference:
    """tflite-micro on the model the DUT runs, and how to map printed values back."""

    def __init__(self, model: Path, model_id: str) -> None:
        from hilbench.models.inspect import inspect_model
        from hilbench.models.reference import ReferenceInterpreter

        self.info = inspect_model(model)
        self.inp, self.out = self.info.inputs[0], self.info.outputs[0]
        expected = INPUT_BYTES[model_id] // (4 if model_id == "ad01" else 1)
        if self.inp.num_elements != expected:
            raise ModelError(
                f"{model}: input of {self.inp.num_elements} values, but the DUT runs {model_id} "
                f"({expected} values): not the model on the board"
            )
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


def run_mlperf(
    board: BoardConfig,
    mode: str,
    dataset: Path,
    *,
    model: Path | None = None,
    results_dir: Path | None = None,
    windows: int = scoring.WINDOWS,
    min_window_s: float | None = None,
    iterations: int | None = None,
    warmup: int | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    on_open: Callable[[DeviceInfo], None] | None = None,
    device: Any = None,
    division: str = "open",
    submitter: str = "hilbench",
    submission: Path | None = None,
    min_loop_s: float = scoring.MIN_LOOP_S,
) -> MlperfRun:
    """Run one MLPerf Tiny mode on board; rows land in results/<run-id>/, the official
    session files in results/<run-id>/mlperf/ (hilbench.mlperf_tiny.session).

    Performance: `windows` windows (the runner's `loop 5`), window i loads file i and runs
    `infer N W` with N, W from the runner's tests_performance.yaml unless `iterations` /
    `warmup` say otherwise; `min_window_s` grows N until each window lasts that many DUT
    seconds (what a submitter does by editing the yaml). `submission`: also merge the
    session tree into that directory."""
    if mode == "energy":
        raise NotImplementedFeature(
            "--mlperf-tiny energy: not implemented yet; it arrives with the energy-monitor issue (an LPM01A or "
            "JS220 driver); performance and accuracy work now"
        )
    if mode not in MODES:
        raise HilbenchError(f"--mlperf-tiny {mode}: unknown mode; use performance or accuracy")
    if division not in ("open", "closed"):
        raise HilbenchError(f"MLPerf Tiny division '{division}': the submission checker takes open or closed")
    if board.protocol != "mlperf-tiny":
        raise HilbenchError(
            f"board '{board.name}' speaks the hilbench protocol; --mlperf-tiny needs a board with "
            'protocol = "mlperf-tiny" in boards.toml (docs/mlperf-tiny.md)'
        )
    from hilbench.mlperf_tiny.device import MlperfTinyDevice

    model = model or (Path(board.model) if board.model else None)
    if model is not None and not model.is_file():
        raise ModelError(f"{model}: no such model file")
    dev = device or MlperfTinyDevice(board, model=model)
    run_id = new_run_id()
    started = datetime.now(UTC)
    out = MlperfRun(run_id, Path(results_dir or default_results_dir()) / run_id, mode)
    from hilbench.runner.record import process_fields

    # Rows go to disk as they arrive (hilbench.results.writer), so a signal or a dead board
    # keeps what was measured: the run is then `partial`, never `complete`. The run
    # directory appears with the first row: a session refused before it measured anything
    # (a dataset of another benchmark, a board that does not answer) leaves none, as
    # `hilbench run` leaves none for bad input.
    events = EventLog(run_id)
    writers: list[RunWriter] = []

    def writer() -> RunWriter:
        if not writers:
            writers.append(
                RunWriter(
                    out.run_dir,
                    {
                        "run_id": run_id,
                        "started_at": started.isoformat(),
                        "hilbench_version": __version__,
                        "suite": None,
                        **process_fields(),
                        "status": "running",
                        "status_reason": None,
                        "started_at_ts": started,
                    },
                    events,
                )
            )
        return writers[0]

    out.sink = lambda rows: writer().add(rows)
    complete = False
    failure: BaseException | None = None
    try:
        # The port is closed before the board's lock is released (exit order).
        with physical_board_lock(board, owner=f"hilbench run --mlperf-tiny {mode} {run_id}"), closing(dev):
            info = dev.open()
            if on_open:
                on_open(info)
            model_id = dev.model_id
            out.model_id = model_id
            if not model_id:
                raise HilbenchError(
                    f"board '{board.name}': the DUT reports no model id (m-model-[...]) in profile%"
                )
            if model_id not in session_mod.BENCHMARK:
                raise HilbenchError(
                    f"board '{board.name}': model id '{model_id}' is no MLPerf Tiny benchmark the "
                    f"submission checker knows ({', '.join(session_mod.BENCHMARK)})"
                )
            data = load_mlperf_dataset(dataset, model_id, limit=limit)
            ref = _Reference(model, model_id) if model is not None else None
            base = _base(run_id, started, info, board, model, model_id, data, ref)
            sess = session_mod.Session(mode, model_id)
            truth = session_mod.truth_rows(data.dataset.root)
            if mode == "performance":
                n, w = scoring.PERFORMANCE_INFER[model_id]
                _performance(
                    dev,
                    data,
                    base,
                    out,
                    sess,
                    truth,
                    windows,
                    iterations or n,
                    w if warmup is None else warmup,
                    min_window_s,
                    min_loop_s,
                    progress,
                )
            else:
                _accuracy(dev, data, base, out, sess, truth, ref, progress)
            out.lines = _results_lines(out, info, board, model_id, min_loop_s)
            system = session_mod.system_name(board.name)
            root = out.run_dir / session_mod.SESSION_DIR
            out.session_dir = sess.write(
                root,
                division=division,
                submitter=submitter,
                system=system,
                system_json=_system_json(board, info),
                results_lines=out.lines,
            )
            out.session_root = root
            if submission is not None:
                session_mod.copy_into(root, Path(submission))
            if mode == "performance":
                writer().add(out.rows)  # whole: N may grow and the windows be measured again
            complete = True
    except BaseException as exc:
        failure = exc
        raise
    finally:
        if complete or out.rows or writers:  # else nothing measured: no run directory
            wr = writer()
            if wr.rows < len(out.rows):  # performance windows of a loop that did not finish
                wr.add(out.rows[wr.rows :])
            wr.meta.update(
                {
                    "finished_at": datetime.now(UTC).isoformat(),
                    "host": platform.node(),
                    "mlperf_tiny": {
                        "mode": mode,
                        "model_id": out.model_id,
                        "min_window_s": min_window_s,
                        "windows": [w.__dict__ for w in out.windows],
                        "results_txt": out.lines,
                        "error": out.error,
                        "session_dir": str(out.session_dir.relative_to(out.run_dir))
                        if out.session_dir
                        else None,
                    },
                }
            )
            sig = signal_name(failure) if isinstance(failure, KeyboardInterrupt) else None
            if sig:
                events.add("interrupted", sig)
            reason = (
                f"interrupted by {sig}"
                if sig
                else f"{type(failure).__name__}: {failure}"
                if failure
                else None
            )
            status = "complete" if complete else ("partial" if wr.rows else "failed")
            out.samples_file = wr.close(status, reason, interrupted=sig)
            out.meta = {k: v for k, v in wr.meta.items() if k != "started_at_ts"}
    return out


def _results_lines(
    out: MlperfRun, info: DeviceInfo, board: BoardConfig, model_id: str, min_loop_s: float
) -> list[str]:
    """results.txt: hilbench's facts (`hilbench:` lines) first, then the runner's lines."""
    now = datetime.now()
    facts = [
        f"MLPerf Tiny {out.mode} mode: board {board.name}, DUT {info.firmware_name or '?'!r}, model {model_id}",
        "timing: the DUT's own timer (m-lap-us)"
        + (
            "; EMULATED board: us are QEMU instruction counts at the board's nominal clock (qemu_icount), "
            "not silicon time"
            if info.timing.source == "qemu_icount"
            else "; EMULATED board: us of QEMU virtual time, not silicon time"
            if info.timing.emulated
            else ""
        ),
    ]
    lines: list[str]
    if out.mode == "performance":
        if min_loop_s != scoring.MIN_LOOP_S:
            facts.append(
                f"loop of windows checked against {min_loop_s:g} s of host wall time, not the runner's "
                f"{scoring.MIN_LOOP_S:g} s: not a compliant result"
            )
        facts.append(f"loop of {len(out.windows)} windows took {out.loop_wall_s:.3f} s of host wall time")
        lines = scoring.performance_lines(out.windows, out.error, now)
    elif out.accuracy is not None:
        a = out.accuracy
        facts.append(
            f"files {a.n}; tied at the top score: {a.tied}; "
            f"counting a tie as correct: {a.top1_ties_correct:.1f} %"
        )
        lines = scoring.accuracy_lines(a.top1, a.auc, now)
    else:
        assert out.ad is not None
        facts.append(f"files {len(out.ad.file_scores)}; segments {sum(out.ad.segments.values())}")
        lines = scoring.accuracy_lines(
            out.ad.top1 if out.ad.top1 is not None else float("nan"), out.ad.auc, now
        )
    return [scoring.prefixed(f, now, scoring.HILBENCH_TAG) for f in facts] + lines


def _system_json(board: BoardConfig, info: DeviceInfo) -> dict[str, Any]:
    kind = {
        "emulated": "emulated under QEMU (virtual time, not silicon)",
        "native": "host build (not an MCU)",
        "mcu": "a physical board",
    }.get(board.kind, board.kind)
    return {
        "Status": "rdi",  # research, development or internal: hilbench cannot vouch for availability
        "Board Name": board.name,
        "Processor(s) Name": board.core,
        "Processor(s) Frequencies": f"{board.clock_hz / 1e6:g} MHz" if board.clock_hz else None,
        "Processor memory type and capacity": None,
        "Accelerator": None,
        "Hardware Notes": f"{kind}; measured by hilbench {__version__}",
        "Inference Framework": info.runtime,
        "Software Libraries": None,
        "Software Notes": f"firmware {info.firmware_name or '?'}"
        + (f" sha256 {info.firmware_sha256}" if info.firmware_sha256 else ""),
    }


def _base(
    run_id: str,
    started: datetime,
    info: DeviceInfo,
    board: BoardConfig,
    model: Path | None,
    model_id: str,
    data: MlperfDataset,
    ref: _Reference | None,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "started_at": started,
        "host": platform.node(),
        "hilbench_version": __version__,
        "suite": None,
        "job_id": f"{board.name}/{model.stem if model else model_id}/{data.dataset.name}/mlperf-tiny",
        "board": info.board,
        "board_serial": info.board_serial,
        "device_kind": info.device_kind,
        "core": info.core,
        "clock_hz": info.clock_hz,
        "firmware_name": info.firmware_name,
        "firmware_sha256": info.firmware_sha256,
        "runtime": info.runtime,
        "model": model.name if model else model_id,
        "model_sha256": ref.info.sha256 if ref else None,
        "dataset": data.dataset.name,
        "dataset_sha256": data.dataset.sha256(),
        "timing_source": info.timing.source,
        "emulated": info.timing.emulated,
        "energy_uj": None,
        "energy_source": None,
        "cycles": None,
    }


def _truth(truth: dict[str, dict[str, Any]], data: MlperfDataset, vec: Any) -> dict[str, Any]:
    """The runner's y_labels.csv row of a file; synthesized (AD: 2,560 bytes, stride 512)
    when the dataset has no y_labels.csv."""
    name = vec.path.name
    if name in truth:
        return dict(truth[name])
    ad01 = data.model_id == "ad01"
    return {
        "file": name,
        "classes": "2" if ad01 else str(CLASSES.get(data.model_id, "")),
        "class": None if vec.label is None else str(vec.label),
        "bytes_to_send": str(INPUT_BYTES["ad01"]) if ad01 else None,
        "stride": "512" if ad01 else None,
    }


def _performance(
    dev: Any,
    data: MlperfDataset,
    base: dict[str, Any],
    out: MlperfRun,
    sess: Any,
    truth: dict[str, dict[str, Any]],
    n_windows: int,
    n: int,
    warmup: int,
    min_window_s: float | None,
    min_loop_s: float,
    progress: Progress | None,
) -> None:
    """The runner's `loop 5: download, infer N W`: window i loads file i (AD: its first
    segment). With min_window_s, N grows until each window lasts that long on the DUT."""
    firsts: list[Any] = []
    seen: set[Path] = set()
    for v in data.vectors:
        if v.path not in seen:
            seen.add(v.path)
            firsts.append(v)
    if len(firsts) < n_windows:
        raise DatasetError(
            f"{data.dataset.root}: {len(firsts)} files, but performance mode loads file i in "
            f"window i (the official runner) and needs {n_windows}"
        )
    if min_window_s:
        probe = dev.run(data.wire_bytes(firsts[0]), 1, 0)
        n = max(n, math.ceil(min_window_s * 1e6 / max(probe.elapsed_us, 1) * 1.05))
    start = time.monotonic()
    i = 0
    short = 0
    while i < n_windows:
        vec = firsts[i]
        r = dev.run(data.wire_bytes(vec), n, warmup)
        if min_window_s and r.elapsed_us < min_window_s * 1e6:
            short += 1
            if short > 10:
                raise HilbenchError(
                    f"board '{base['board']}': {n} inferences took {r.elapsed_us} µs of DUT time, "
                    f"still below the {min_window_s:g} s window after 10 attempts"
                )
            n = max(n + 1, math.ceil(n * min_window_s * 1e6 / max(r.elapsed_us, 1) * 1.05))
            start, i = time.monotonic(), 0  # every window with the same N, as one yaml
            out.windows.clear()
            out.rows.clear()
            sess.entries.clear()
            sess.log.clear()
            sess.windows_printed = 0
            continue
        w = scoring.Window(n, r.elapsed_us)
        sess.step(
            _truth(truth, data, vec),
            1 if data.model_id == "ad01" else None,
            0,
            session_mod.infer_dict(r, "performance"),
        )
        out.rows.append(
            dict(
                base,
                sample_id=vec.sample_id,
                label=vec.label,
                phase="measure",
                window=i,
                iteration=0,
                ticks=r.elapsed_us,
                latency_us=r.elapsed_us / n,
                prediction=None,
                correct=None,
                output_sha256=None,
                output=None,
                reference_output=None,
                max_abs_diff_vs_reference=None,
                bit_exact=None,
                score=None,
                output_text=r.results_text,
            )
        )
        out.windows.append(w)
        i += 1
        if progress:
            progress(i, n_windows)
    out.loop_wall_s = time.monotonic() - start
    out.error = scoring.performance_error(n_windows, out.loop_wall_s, min_loop_s)
    if n_windows != scoring.WINDOWS:
        sess.error("error 1")
    if out.loop_wall_s < min_loop_s:
        sess.error("error 2")


def _accuracy(
    dev: Any,
    data: MlperfDataset,
    base: dict[str, Any],
    out: MlperfRun,
    sess: Any,
    truth: dict[str, dict[str, Any]],
    ref: _Reference | None,
    progress: Progress | None,
) -> None:
    """`infer 1 0` once per vector (AD: per window); rows as they arrive."""
    scores: list[tuple[float, ...]] = []
    labels: list[int] = []
    ad_scores: list[tuple[str, int | None, float]] = []
    total = len(data.vectors)
    is_ad = data.model_id == "ad01"
    segments: dict[Path, int] = {}
    for v in data.vectors:
        segments[v.path] = segments.get(v.path, 0) + 1
    if not is_ad and all(v.label is None for v in data.vectors):
        raise HilbenchError(f"{data.dataset.root}: no labels (y_labels.csv): accuracy mode needs them")
    for i, vec in enumerate(data.vectors):
        r = dev.run(data.wire_bytes(vec), 1, 0)
        values = r.results
        sess.step(
            _truth(truth, data, vec),
            segments.get(vec.path) if is_ad else None,
            vec.window or 0,
            session_mod.infer_dict(r, "accuracy"),
        )
        row: dict[str, Any] = dict(
            base,
            sample_id=vec.sample_id,
            label=vec.label,
            phase="measure",
            window=None,
            iteration=0,
            ticks=r.elapsed_us,
            latency_us=float(r.elapsed_us),
            output_text=r.results_text,
            prediction=None,
            correct=None,
            output=None,
            output_sha256=None,
            reference_output=None,
            max_abs_diff_vs_reference=None,
            bit_exact=None,
            score=None,
        )
        if is_ad:
            row["score"] = values[0]
            ad_scores.append((vec.path.name, vec.label, values[0]))
            if ref is not None:
                x = ref.run(data.model_input(vec, ref.inp))
                win = data.dataset.float_window(vec)
                assert ref.scale is not None and ref.zp is not None  # an AD model's output is quantized
                expect = float(window_scores(x[None], win[None], ref.scale, ref.zp)[0])
                row["bit_exact"] = (
                    f"{expect:.3f}" == r.results_text.strip() or abs(expect - values[0]) <= 1.5e-3
                )
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
        if out.sink is not None:
            out.sink([row])
        if progress:
            progress(i + 1, total)
    if is_ad:
        out.ad = scoring.ad_result(ad_scores)
    else:
        out.accuracy = scoring.accuracy(scores, labels)

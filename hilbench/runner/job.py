"""One job: a board x model x dataset, prepared on the host, executed on an open device.

Preparation checks everything the host can check (the model file, the dataset against the
model input, the reference interpreter) before any emulator starts, so bad input fails in
a second with one line. Execution hands rows to a sink as they are measured (the run's
writer, hilbench.results.writer), so an interrupted job loses nothing it measured, and
skips plan positions an interrupted run already measured (`hilbench run --resume`).

An anomaly-detection dataset (`*_hist_librosa.bin` feature files, docs/datasets.md) runs
one inference per window: the host quantizes the window with the model's input scale and
zero point, and each row carries the window's anomaly `score` (MSE between the dequantized
DUT output and the float input window, `hilbench.datasets.anomaly.window_scores`); per-file
scores and AUC are computed by the summary from these rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from hilbench.config import BoardConfig, MeasureConfig
from hilbench.datasets import Dataset, load_dataset
from hilbench.datasets.anomaly import window_scores
from hilbench.devices import DeviceInfo
from hilbench.errors import HilbenchError, ModelError
from hilbench.models.inspect import ModelInfo, inspect_model

Progress = Callable[[int], None]

_NP = {"int8": "i1", "uint8": "u1", "int16": "<i2", "int32": "<i4", "float32": "<f4"}


@dataclass(frozen=True)
class Job:
    board: BoardConfig
    model: Path
    dataset: Path
    label: str | None = None
    limit: int | None = None
    warmup: int = 1
    repeat: int = 1
    measure: MeasureConfig = field(default_factory=MeasureConfig)
    profile: bool = True

    @property
    def job_id(self) -> str:
        return f"{self.board.name}/{self.label or self.model.stem}/{self.dataset.name}"


@dataclass
class PreparedJob:
    job: Job
    info: ModelInfo
    model_bytes: bytes
    dataset: Dataset
    dataset_sha256: str
    reference: Any
    out_dtype: np.dtype

    @property
    def planned(self) -> int:
        """Inferences this job will report (for progress bars)."""
        n = self.job.warmup + len(self.dataset.vectors) * self.job.repeat
        return n + self.job.measure.windows * self.job.measure.inferences


@dataclass
class JobOutcome:
    job: Job
    status: str = "pending"  # ok | error
    error: str | None = None
    error_kind: str | None = None  # input | infrastructure
    device: DeviceInfo | None = None
    arena_used: int | None = None
    n_ops: int | None = None
    layers: list[dict[str, Any]] = field(default_factory=list)


def prepare(job: Job) -> PreparedJob:
    """Host-side checks; raises a one-line HilbenchError naming the culprit."""
    if job.board.protocol == "mlperf-tiny":
        raise HilbenchError(
            f"board '{job.board.name}' speaks the MLPerf Tiny protocol: run it with "
            "`hilbench run --mlperf-tiny performance|accuracy` (docs/mlperf-tiny.md)"
        )
    info = inspect_model(job.model)
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise ModelError(
            f"{job.model}: {len(info.inputs)} inputs and {len(info.outputs)} outputs; "
            "hilbench runs single-input, single-output models for now"
        )
    dataset = load_dataset(job.dataset, limit=job.limit)
    in_t, out_t = info.inputs[0], info.outputs[0]
    dataset = dataset.for_model_input(in_t, f"{job.model.name} input {list(in_t.shape)} {in_t.dtype}")
    if dataset.is_ad and (
        out_t.dtype not in ("int8", "uint8")
        or len(out_t.scale) != 1
        or len(out_t.zero_point) != 1
        or out_t.num_elements != in_t.num_elements
    ):
        raise ModelError(
            f"{job.model}: output {list(out_t.shape)} {out_t.dtype} cannot score AD windows "
            f"(needs a quantized int8/uint8 output of {in_t.num_elements} values, one scale and zero point)"
        )
    from hilbench.models.reference import ReferenceInterpreter

    model_bytes = job.model.read_bytes()
    reference = ReferenceInterpreter(model_bytes, name=str(job.model))
    return PreparedJob(
        job, info, model_bytes, dataset, dataset.sha256(), reference, np.dtype(_NP.get(out_t.dtype, "u1"))
    )


def _ad_score(pj: PreparedJob, vec: Any, got: np.ndarray) -> float | None:
    """The anomaly score of one AD window: MSE(dequantized output, float input window)."""
    if vec.window is None:
        return None
    out_t = pj.info.outputs[0]
    win = pj.dataset.float_window(vec)
    if got.size != win.size:
        return None
    return float(window_scores(got[None], win[None], out_t.scale[0], out_t.zero_point[0])[0])


def _predict(values: np.ndarray, num_classes: int | None) -> int | None:
    if num_classes is None or values.size != num_classes:
        return None
    return int(np.argmax(values))


Key = tuple  # (phase, sample_id, iteration, window): one plan position of a job


def row_key(row: dict[str, Any]) -> Key:
    """The plan position a row measured; `hilbench run --resume` skips positions that have one."""
    w = row.get("window")
    return (
        row.get("phase"),
        row.get("sample_id"),
        int(row.get("iteration") or 0),
        None if w is None or w != w else int(w),
    )


class RowSink(Protocol):
    def add(self, rows: list[dict[str, Any]]) -> None: ...


class ListSink:
    """Rows kept in a list (tests, and a plain list passed to `execute`)."""

    def __init__(self, rows: list[dict[str, Any]] | None = None) -> None:
        self.rows = rows if rows is not None else []

    def add(self, rows: list[dict[str, Any]]) -> None:
        self.rows.extend(rows)


def execute(
    device: Any,
    dev: DeviceInfo,
    pj: PreparedJob,
    base: dict[str, Any],
    rows: list[dict[str, Any]] | RowSink,
    outcome: JobOutcome,
    progress: Progress | None = None,
    done: set[Key] | None = None,
    profiled: bool = False,
) -> None:
    """Load the model on an open device and measure; rows go to `rows` as they arrive.

    `done` holds the plan positions an interrupted run already measured (resume): they
    are not measured again. Warm-up inferences already recorded are run again unrecorded
    (a fresh device needs them before it is measured); a performance window is measured
    and handed over whole, so a cut window has no rows and is measured again; the
    profile is skipped if `profiled`."""
    sink: RowSink = ListSink(rows) if isinstance(rows, list) else rows
    done = done or set()
    job = pj.job
    desc = device.load_model(pj.model_bytes, source=str(job.model))
    outcome.arena_used, outcome.n_ops = desc.arena_used, desc.n_ops
    base = dict(
        base,
        job_id=job.job_id,
        board=dev.board,
        board_serial=dev.board_serial,
        device_kind=dev.device_kind,
        core=dev.core,
        clock_hz=dev.clock_hz,
        firmware_name=dev.firmware_name,
        firmware_sha256=dev.firmware_sha256,
        runtime=dev.runtime,
        model=job.model.name,
        model_sha256=pj.info.sha256,
        dataset=pj.dataset.name,
        dataset_sha256=pj.dataset_sha256,
        timing_source=dev.timing.source,
        emulated=dev.timing.emulated,
        energy_uj=None,
        energy_source=None,
    )
    ds = pj.dataset
    plan = [("warmup", i, ds.vectors[0]) for i in range(job.warmup)]
    plan += [("measure", it, v) for v in ds.vectors for it in range(job.repeat)]
    todo = [(ph, it, v) for ph, it, v in plan if (ph, v.sample_id, it, None) not in done]
    windows_left = any(
        ("measure", ds.vectors[0].sample_id, 0, w) not in done for w in range(job.measure.windows)
    )
    if done and (todo or windows_left) and not any(ph == "warmup" for ph, _, _ in todo):
        for _ in range(job.warmup):  # warm the fresh device; these rows exist already
            device.run(ds.read(ds.vectors[0]))
    refs: dict[str, np.ndarray] = {}
    for phase, iteration, vec in todo:
        data = ds.read(vec)
        sample = device.run(data)
        if vec.sample_id not in refs:
            refs[vec.sample_id] = np.asarray(pj.reference.run(data)[0]).reshape(-1).astype(pj.out_dtype)
        ref = refs[vec.sample_id]
        got = np.frombuffer(sample.output, dtype=pj.out_dtype)
        same_size = got.size == ref.size
        diff = (
            int(np.max(np.abs(got.astype(np.float64) - ref.astype(np.float64))))
            if same_size and got.size
            else None
        )
        pred = _predict(got, ds.num_classes)
        sink.add(
            [
                dict(
                    base,
                    sample_id=vec.sample_id,
                    label=vec.label,
                    phase=phase,
                    window=None,
                    iteration=iteration,
                    ticks=sample.ticks,
                    cycles=dev.timing.cycles(sample.ticks),
                    latency_us=dev.timing.micros(sample.ticks),
                    prediction=pred,
                    correct=(pred == vec.label) if (pred is not None and vec.label is not None) else None,
                    output_sha256=hashlib.sha256(sample.output).hexdigest(),
                    output=sample.output,
                    reference_output=ref.tobytes(),
                    max_abs_diff_vs_reference=diff,
                    bit_exact=bool(same_size and np.array_equal(got, ref)),
                    score=_ad_score(pj, vec, got),
                )
            ]
        )
        if progress:
            progress(1)
    _windows(device, dev, pj, base, sink, progress, done)
    if job.profile and not profiled:
        outcome.layers = _profile_rows(device, ds.read(ds.vectors[0]), pj.info, base, dev)


def remaining(pj: PreparedJob, done: set[Key]) -> int:
    """Inferences still to report for a job (for progress bars) given the positions done."""
    if not done:
        return pj.planned
    job = pj.job
    n = sum((("warmup", pj.dataset.vectors[0].sample_id, i, None) not in done) for i in range(job.warmup))
    n += sum(
        (("measure", v.sample_id, it, None) not in done)
        for v in pj.dataset.vectors
        for it in range(job.repeat)
    )
    sid = pj.dataset.vectors[0].sample_id
    n += (
        sum((("measure", sid, 0, w) not in done) for w in range(job.measure.windows)) * job.measure.inferences
    )
    return n


def _windows(
    device: Any,
    dev: DeviceInfo,
    pj: PreparedJob,
    base: dict[str, Any],
    sink: RowSink,
    progress: Progress | None,
    done: set[Key],
) -> None:
    """MLPerf Tiny style performance windows on vector 0: each at least N inferences and
    at least T seconds of the DUT's own time (never the host's)."""
    m = pj.job.measure
    if not m.windows:
        return
    vec = pj.dataset.vectors[0]
    data = pj.dataset.read(vec)
    for w in range(m.windows):
        if ("measure", vec.sample_id, 0, w) in done:
            continue
        ticks: list[int] = []
        while len(ticks) < m.inferences or dev.timing.micros(sum(ticks)) < m.min_seconds * 1e6:
            batch = device.run_many(
                data, max(1, m.inferences - len(ticks)) if len(ticks) < m.inferences else m.inferences
            )
            ticks += batch
            if progress and len(ticks) <= m.inferences:
                progress(len(batch))
        sink.add(
            [
                dict(
                    base,
                    sample_id=vec.sample_id,
                    label=vec.label,
                    phase="measure",
                    window=w,
                    iteration=i,
                    ticks=t,
                    cycles=dev.timing.cycles(t),
                    latency_us=dev.timing.micros(t),
                    prediction=None,
                    correct=None,
                    output_sha256=None,
                    output=None,
                    reference_output=None,
                    max_abs_diff_vs_reference=None,
                    bit_exact=None,
                    score=None,
                )
                for i, t in enumerate(ticks)
            ]
        )


def _profile_rows(
    device: Any, vector: bytes, info: ModelInfo, base: dict[str, Any], dev: DeviceInfo
) -> list[dict[str, Any]]:
    """Per-operator ticks of one inference (PROFILE), outside any timed INVOKE."""
    profile = getattr(device, "profile", None)
    ticks = profile(vector) if profile else None
    if not ticks:
        return []
    keep = ("run_id", "job_id", "board", "model", "model_sha256", "timing_source", "emulated", "clock_hz")
    return [
        dict(
            {k: base[k] for k in keep},
            op_index=op.index,
            op_name=op.name,
            macs=op.macs,
            ticks=t,
            cycles=dev.timing.cycles(t),
            latency_us=dev.timing.micros(t),
        )
        for op, t in zip(info.ops, ticks)
    ]

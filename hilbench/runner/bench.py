"""One benchmark job: board x model x dataset, end to end.

Order matters for the user: everything that can be checked on the host (boards.toml, the
model file, the dataset against the model's input) is checked before an emulator starts,
so bad input fails in a second with one line. Rows are collected as they arrive; if the
job stops early they are still written (as a partial file), never lost and never
presented as a complete run.
"""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from hilbench import __version__
from hilbench.config import BoardConfig, load_boards
from hilbench.datasets import Dataset, load_dataset
from hilbench.devices import DeviceInfo, make_device
from hilbench.errors import HilbenchError, ModelError
from hilbench.models.inspect import ModelInfo, inspect_model
from hilbench.results import new_run_id, write_run
from hilbench.results.store import default_results_dir

Progress = Callable[[int, int], None]


@dataclass
class BenchRequest:
    """What to run. None means the default (the board's default, the demo workload)."""

    board: str | None = None
    model: Path | None = None
    dataset: Path | None = None
    boards_file: Path = Path("boards.toml")
    results_dir: Path | None = None
    limit: int | None = None
    warmup: int = 1
    repeat: int = 1
    suite: str | None = None
    profile: bool = True


@dataclass
class BenchResult:
    run_id: str
    run_dir: Path
    samples_file: Path
    rows: list[dict[str, Any]]
    device: DeviceInfo | None
    model: ModelInfo
    dataset: Dataset
    arena_used: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    layers: list[dict[str, Any]] = field(default_factory=list)


def _default_workload(req: BenchRequest) -> tuple[Path, Path]:
    from hilbench import demo

    model = req.model or Path(demo.DEMO_MODEL)
    if req.dataset is not None:
        dataset = req.dataset
    elif req.model is None:
        dataset = Path(demo.DEMO_DATASET)
    else:
        raise HilbenchError("--model given without --dataset: say which vectors to run")
    return model, dataset


def _predict(values: np.ndarray, num_classes: int | None) -> int | None:
    if num_classes is None or values.size != num_classes:
        return None
    return int(np.argmax(values))


def run_benchmark(req: BenchRequest, progress: Progress | None = None, on_open: Callable[[DeviceInfo], None] | None = None) -> BenchResult:
    """Run one job and write results/<run-id>/; raises HilbenchError on bad input."""
    boards = load_boards(req.boards_file)
    board: BoardConfig = boards.get(req.board)
    model_path, dataset_path = _default_workload(req)
    info = inspect_model(model_path)
    if len(info.inputs) != 1 or len(info.outputs) != 1:
        raise ModelError(
            f"{model_path}: {len(info.inputs)} inputs and {len(info.outputs)} outputs; "
            "hilbench runs single-input, single-output models for now"
        )
    model_bytes = Path(model_path).read_bytes()
    dataset = load_dataset(dataset_path, limit=req.limit)
    in_t, out_t = info.inputs[0], info.outputs[0]
    dataset.check_sizes(in_t.nbytes or 0, f"{Path(model_path).name} input {in_t.shape} {in_t.dtype}")

    from hilbench.models.reference import ReferenceInterpreter

    reference = ReferenceInterpreter(model_bytes)
    out_dtype = np.dtype({"int8": "i1", "uint8": "u1", "int16": "<i2", "int32": "<i4", "float32": "<f4"}.get(out_t.dtype, "u1"))

    run_id = new_run_id()
    started = datetime.now(timezone.utc)
    run_dir = Path(req.results_dir or default_results_dir()) / run_id
    rows: list[dict[str, Any]] = []
    meta: dict[str, Any] = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "host": platform.node(),
        "hilbench_version": __version__,
        "board": board.name,
        "model": str(model_path),
        "model_sha256": info.sha256,
        "dataset": str(dataset_path),
    }
    device = make_device(board)
    dev_info: DeviceInfo | None = None
    arena_used: int | None = None
    layers: list[dict[str, Any]] = []
    complete = False
    try:
        dev_info = device.open()
        if on_open:
            on_open(dev_info)
        desc = device.load_model(model_bytes, source=str(model_path))
        arena_used = desc.arena_used
        meta.update(firmware_sha256=dev_info.firmware_sha256, firmware_version=dev_info.firmware_version,
                    arena_used=arena_used, timing_source=dev_info.timing.source)
        dataset_sha = dataset.sha256()
        meta["dataset_sha256"] = dataset_sha
        base = {
            "run_id": run_id, "started_at": started, "host": platform.node(), "hilbench_version": __version__,
            "suite": req.suite, "job_id": f"{board.name}/{Path(model_path).stem}/{dataset.name}",
            "board": dev_info.board, "board_serial": dev_info.board_serial, "device_kind": dev_info.device_kind,
            "core": dev_info.core, "clock_hz": dev_info.clock_hz, "firmware_name": dev_info.firmware_name,
            "firmware_sha256": dev_info.firmware_sha256, "runtime": dev_info.runtime,
            "model": Path(model_path).name, "model_sha256": info.sha256,
            "dataset": dataset.name, "dataset_sha256": dataset_sha,
            "timing_source": dev_info.timing.source, "emulated": dev_info.timing.emulated,
            "energy_uj": None, "energy_source": None,
        }
        plan = [("warmup", 0, dataset.vectors[0])] * req.warmup if req.warmup else []
        plan += [("measure", it, v) for v in dataset.vectors for it in range(req.repeat)]
        ref_cache: dict[str, np.ndarray] = {}
        for i, (phase, iteration, vec) in enumerate(plan):
            data = dataset.read(vec)
            sample = device.run(data)
            if vec.sample_id not in ref_cache:
                ref_cache[vec.sample_id] = np.asarray(reference.run(data)[0]).reshape(-1)
            ref = ref_cache[vec.sample_id]
            got = np.frombuffer(sample.output, dtype=out_dtype)
            diff = int(np.max(np.abs(got.astype(np.int64) - ref.astype(np.int64)))) if got.size == ref.size else None
            pred = _predict(got, dataset.num_classes)
            rows.append(dict(
                base, sample_id=vec.sample_id, label=vec.label, phase=phase, iteration=iteration,
                ticks=sample.ticks, cycles=dev_info.timing.cycles(sample.ticks),
                latency_us=dev_info.timing.micros(sample.ticks), prediction=pred,
                correct=(pred == vec.label) if (pred is not None and vec.label is not None) else None,
                output_sha256=hashlib.sha256(sample.output).hexdigest(),
                max_abs_diff_vs_reference=diff,
                bit_exact=bool(got.size == ref.size and np.array_equal(got, ref.astype(got.dtype))),
            ))
            if progress:
                progress(i + 1, len(plan))
        if req.profile:
            layers = _profile_rows(device, dataset.read(dataset.vectors[0]), info, base, dev_info)
        complete = True
    finally:
        device.close()
        if rows or complete:
            samples_file = write_run(run_dir, rows, meta, complete=complete, layers=layers)
    return BenchResult(run_id, run_dir, samples_file, rows, dev_info, info, dataset, arena_used, meta, layers)


def _profile_rows(device: Any, vector: bytes, info: ModelInfo, base: dict[str, Any], dev: DeviceInfo) -> list[dict[str, Any]]:
    """Per-operator ticks of one inference (PROFILE), outside any timed INVOKE."""
    profile = getattr(device, "profile", None)
    ticks = profile(vector) if profile else None
    if not ticks:
        return []
    keep = ("run_id", "board", "model", "model_sha256", "timing_source", "emulated", "clock_hz")
    out = []
    for op, t in zip(info.ops, ticks):
        out.append(dict(
            {k: base[k] for k in keep}, op_index=op.index, op_name=op.name, macs=op.macs, ticks=t,
            cycles=dev.timing.cycles(t), latency_us=dev.timing.micros(t),
        ))
    return out

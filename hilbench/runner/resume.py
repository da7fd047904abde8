"""`hilbench run --resume <run-id>`: finish an interrupted run without repeating or losing
a sample.

The run's plan is in its run.json (hilbench.runner.record): every job's board
configuration, model and dataset paths and their sha256. Resume re-reads it and refuses
in one line if a model or dataset changed since (a run must not mix two models), or if
the board now runs another firmware than the one its rows were measured with. It then
finds which plan positions (job, phase, sample, iteration, window) already have rows and
runs only the rest into the same run directory:

- a job that finished earlier is not run again; a job that never started runs whole;
- warm-up inferences already recorded run again unrecorded (the board is fresh);
- a performance window is stored whole or not at all, so a cut window is measured again;
- the profile is taken again only if it was not stored;
- every row keeps the run's id and start time, so the run reads as one.

The run is marked complete when every job has finished; the events table gets a
`resumed` row (and an `interrupted` row when the earlier process was killed without
being able to say so itself).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from hilbench.config import BoardConfig, MeasureConfig
from hilbench.devices import DeviceInfo
from hilbench.errors import HilbenchError
from hilbench.results.events import EventLog
from hilbench.results.store import (
    RUN_META,
    default_results_dir,
    effective_status,
    load_events,
    load_layers,
    read_meta,
    read_samples,
)
from hilbench.results.writer import RunWriter
from hilbench.runner.bench import Progress, RunResult, close_abandoned, execute_run
from hilbench.runner.job import Job, Key, PreparedJob, prepare, row_key
from hilbench.runner.progress import JobProgress
from hilbench.runner.record import PLAN_VERSION, RunRecord, process_fields

KEY_COLUMNS = ["job_id", "phase", "sample_id", "iteration", "window", "firmware_sha256"]


class RunAlreadyComplete(HilbenchError):
    """`--resume` of a run that is complete: nothing to do (the CLI exits 0)."""

    exit_code = 0


def job_from_plan(entry: dict[str, Any], where: Path) -> Job:
    try:
        board = BoardConfig.model_validate(entry["board_config"])
        measure = MeasureConfig.model_validate(entry.get("measure") or {})
        return Job(
            board,
            Path(entry["model_path"]),
            Path(entry["dataset_path"]),
            label=entry.get("label"),
            limit=entry.get("limit"),
            warmup=int(entry.get("warmup", 1)),
            repeat=int(entry.get("repeat", 1)),
            measure=measure,
            profile=bool(entry.get("profile", True)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise HilbenchError(
            f"{where}: plan entry {entry.get('job_id', '?')} unreadable ({first}): cannot resume"
        ) from None


def _check_same(p: PreparedJob, entry: dict[str, Any], run_id: str) -> None:
    for what, path, old, new in (
        ("model", p.job.model, entry.get("model_sha256"), p.info.sha256),
        ("dataset", p.job.dataset, entry.get("dataset_sha256"), p.dataset_sha256),
    ):
        if old != new:
            raise HilbenchError(
                f"{path}: {what} changed since run {run_id} started (sha256 {str(old)[:12]} -> {str(new)[:12]}): "
                "resuming would mix two; start a new run"
            )


def _load_events(run_id: str, root: Path) -> EventLog:
    log = EventLog(run_id)
    for r in load_events(run_id, root).to_dict("records"):
        fields = {
            k: (None if v is None or v != v else v)
            for k, v in r.items()
            if k in ("job_id", "board", "sample_index", "count")
        }
        for k in ("sample_index", "count"):
            value = fields.get(k)
            if value is not None:
                fields[k] = int(value)
        try:
            log.add(str(r["kind"]), r.get("detail"), at=r["at"].to_pydatetime(), **fields)
        except ValueError:
            continue  # a kind this version does not know
    return log


def open_for_resume(
    run_id: str, results_dir: str | Path | None = None, holder: list[RunRecord] | None = None
) -> tuple[list[PreparedJob], RunRecord, str | None]:
    """Check the run can be resumed and build its record; one-line errors otherwise."""
    root = Path(results_dir or default_results_dir())
    d = root / run_id
    if not d.is_dir():
        raise HilbenchError(f"{d}: no such run to resume")
    meta = read_meta(d)
    status, reason = effective_status(meta)
    if status == "complete":
        raise RunAlreadyComplete(f"run {run_id} is already complete: nothing to resume")
    if status == "running":
        raise HilbenchError(f"run {run_id} is still running ({reason}): resume it once it has stopped")
    plan = meta.get("plan")
    if not isinstance(plan, dict) or plan.get("version") != PLAN_VERSION or not plan.get("jobs"):
        raise HilbenchError(
            f"{d / RUN_META}: no plan recorded (an older hilbench, or MLPerf Tiny's runner wrote it): "
            "cannot resume; start a new run"
        )
    prepared = []
    for entry in plan["jobs"]:
        p = prepare(job_from_plan(entry, d / RUN_META))
        if p.job.job_id != entry.get("job_id"):
            raise HilbenchError(
                f"{d / RUN_META}: plan job {entry.get('job_id')} reads back as {p.job.job_id}: cannot resume"
            )
        _check_same(p, entry, run_id)
        prepared.append(p)

    keys = read_samples(d, columns=KEY_COLUMNS).to_pylist()
    done: dict[str, set[Key]] = {}
    firmware: dict[str, str] = {}
    for r in keys:
        done.setdefault(r["job_id"], set()).add(row_key(r))
        if r.get("firmware_sha256"):
            firmware.setdefault(r["job_id"], r["firmware_sha256"])
    finished = {
        j["job_id"]: j for j in meta.get("jobs") or [] if isinstance(j, dict) and j.get("status") == "ok"
    }
    layers = load_layers(run_id, root)
    layer_rows = [
        {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in r.items()}
        for r in layers.to_dict("records")
    ]
    profiled = {str(j) for j in layers["job_id"].dropna()} if "job_id" in layers else set()

    events = _load_events(run_id, root)
    if str(meta.get("status")) == "running":  # killed: it could not say so itself
        events.add("interrupted", f"{reason} (SIGKILL, power loss or crash)")
    kept = len(keys)
    events.add(
        "resumed", f"pid {os.getpid()}: {kept} rows kept, {len(finished)} of {len(prepared)} jobs finished"
    )
    meta.update(
        process_fields(),
        status="running",
        status_reason=None,
        interrupted=None,
        resumed=int(meta.get("resumed") or 0) + 1,
    )
    started = datetime.fromisoformat(str(meta["started_at"]))
    meta["started_at_ts"] = started
    writer = RunWriter(d, meta, events, layers=layer_rows)
    record = RunRecord(
        run_id, d, started, writer, events, done, finished, profiled, resumed=True, firmware=firmware
    )
    if holder is not None:
        holder.append(record)
    writer.flush()
    return prepared, record, plan.get("suite")


def resume_run(
    run_id: str,
    results_dir: str | Path | None = None,
    progress: Progress | None = None,
    on_open: Callable[[DeviceInfo], None] | None = None,
    jobs_progress: JobProgress | None = None,
) -> RunResult:
    holder: list[RunRecord] = []
    try:
        prepared, record, suite = open_for_resume(run_id, results_dir, holder)
        return execute_run(prepared, record, suite, progress, on_open, jobs_progress)
    except BaseException as exc:
        if holder:
            close_abandoned(holder[0], exc)
        raise

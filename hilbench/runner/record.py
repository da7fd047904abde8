"""The record of one run while it runs: run.json with its plan, the writer, the events.

A run directory is created before the first device opens: run.json says `running`, with
the pid and host that run it and the plan (every job's board configuration, model and
dataset paths and their sha256, warm-up, repeat, windows, profile), so that a run that
is killed can be told from one that runs (hilbench.results.store.effective_status) and
finished later by `hilbench run --resume` (hilbench.runner.resume). Rows go to the
run's `RunWriter` as they are measured.

`final_status` is the rule for what a run is when it ends: `complete` only if every job
of the plan finished; otherwise `partial` (rows were measured) or `failed` (none).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from hilbench.results.events import EventLog
from hilbench.results.store import process_start
from hilbench.results.writer import RunWriter
from hilbench.runner.job import JobOutcome, Key, PreparedJob

PLAN_VERSION = 1


def job_plan(p: PreparedJob) -> dict[str, Any]:
    j = p.job
    return {
        "job_id": j.job_id,
        "board": j.board.name,
        "board_config": j.board.model_dump(mode="json"),
        "model_path": str(j.model.resolve()),
        "model_sha256": p.info.sha256,
        "dataset_path": str(j.dataset.resolve()),
        "dataset_sha256": p.dataset_sha256,
        "label": j.label,
        "limit": j.limit,
        "warmup": j.warmup,
        "repeat": j.repeat,
        "measure": j.measure.model_dump(mode="json"),
        "profile": j.profile,
        "planned": p.planned,
    }


def process_fields() -> dict[str, Any]:
    """Who runs the run: read back to tell a live run from a killed one."""
    pid = os.getpid()
    return {"pid": pid, "pid_start": process_start(pid), "host": platform.node()}


@dataclass
class RunRecord:
    """Everything of one run that outlives a single job: ids, writer, events, what is done."""

    run_id: str
    run_dir: Path
    started: datetime
    writer: RunWriter
    events: EventLog
    done: dict[str, set[Key]] = field(default_factory=dict)  # job id -> positions with rows
    finished: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> job meta, done earlier
    profiled: set[str] = field(default_factory=set)  # job ids whose profile is stored
    firmware: dict[str, str] = field(default_factory=dict)  # job id -> firmware its rows were measured with
    resumed: bool = False


def final_status(
    outcomes: list[JobOutcome], finished: int, rows: int, signal: str | None
) -> tuple[str, str | None]:
    """(status, reason) when a run ends; see the module docstring."""
    failed = [o for o in outcomes if o.status == "error"]
    pending = [o for o in outcomes if o.status not in ("ok", "error")]
    if signal is None and not failed and not pending:
        return "complete", None
    if signal is not None:
        reason = f"interrupted by {signal}"
    elif failed:
        first = failed[0]
        reason = f"{len(failed)} of {len(outcomes) + finished} jobs failed; {first.job.job_id}: {first.error}"
    else:
        reason = f"{len(pending)} jobs did not run"
    return ("partial" if rows else "failed"), reason

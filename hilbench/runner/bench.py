"""Running jobs: one `hilbench run`, or a whole suite, into one results directory.

Jobs are grouped by board; each board is opened once and runs its jobs in order; boards
run in parallel (at most two emulators at once: two cores). Everything the host can check
is checked before the first emulator starts. A board that cannot be opened or a link that
breaks is an infrastructure error: its jobs are marked, the other boards go on, and the
run's exit code is 2 - never mistaken for a regression.

Rows are written as they arrive (hilbench.results.writer) and the run's status says
what it is: `complete` only if every job finished (hilbench.runner.record). A signal
(hilbench.signals) ends the run `partial`, naming it; `hilbench run --resume`
finishes it (hilbench.runner.resume).
"""

from __future__ import annotations

import functools
import platform
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from hilbench import __version__
from hilbench.config import BoardsFile, Suite, load_boards
from hilbench.devices import DeviceInfo, make_device
from hilbench.devices.recovery import with_recovery
from hilbench.errors import DatasetError, HilbenchError, ModelError
from hilbench.locks import physical_board_lock
from hilbench.results import new_run_id
from hilbench.results.events import EventLog
from hilbench.results.store import default_results_dir, read_samples
from hilbench.results.writer import RunWriter
from hilbench.runner.cleanup import remove_stale_qemu_dirs
from hilbench.runner.job import Job, JobOutcome, PreparedJob, execute, prepare, remaining
from hilbench.runner.progress import JobProgress, job_label
from hilbench.runner.record import PLAN_VERSION, RunRecord, final_status, job_plan, process_fields
from hilbench.signals import signal_name

Progress = Callable[[int, int], None]
MAX_PARALLEL_BOARDS = 2


@dataclass
class BenchRequest:
    """A single `hilbench run` from command-line flags. None = the default."""

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
class RunResult:
    run_id: str
    run_dir: Path
    samples_file: Path | None
    rows: list[dict[str, Any]]
    outcomes: list[JobOutcome]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.meta.get("status", "complete"))

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def errors(self) -> list[JobOutcome]:
        return [o for o in self.outcomes if o.status == "error"]

    @property
    def layers(self) -> list[dict[str, Any]]:
        return [layer for o in self.outcomes for layer in o.layers]

    @property
    def arena_used(self) -> int | None:
        return self.outcomes[0].arena_used if self.outcomes else None


def jobs_for_request(req: BenchRequest) -> list[Job]:
    boards = load_boards(req.boards_file)
    board = boards.get(req.board)
    if req.model is None:
        from hilbench import demo

        model, dataset = Path(demo.DEMO_MODEL), Path(req.dataset or demo.DEMO_DATASET)
    else:
        if req.dataset is None:
            raise HilbenchError("--model given without --dataset: say which vectors to run")
        model, dataset = req.model, req.dataset
    return [
        Job(board, model, dataset, limit=req.limit, warmup=req.warmup, repeat=req.repeat, profile=req.profile)
    ]


def jobs_for_suite(suite: Suite, boards: BoardsFile) -> list[Job]:
    return [
        Job(
            boards.get(b),
            m.model,
            m.dataset,
            label=m.label,
            limit=m.limit,
            warmup=suite.warmup,
            repeat=suite.repeat,
            measure=suite.measure,
            profile=suite.profile,
        )
        for b in suite.boards
        for m in suite.models
    ]


def git_commit(cwd: Path | None = None) -> str | None:
    """The user's working-directory commit (with +dirty), if there is a repository."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


class _Cancelled(Exception):
    pass


def _also(first: Callable[[int], None], then: Callable[[int], None]) -> Callable[[int], None]:
    """One progress tick to the run's total and to the job's own progress."""

    def tick(n: int) -> None:
        first(n)
        then(n)

    return tick


def run_jobs(
    jobs: list[Job],
    results_dir: Path | None = None,
    suite: str | None = None,
    progress: Progress | None = None,
    on_open: Callable[[DeviceInfo], None] | None = None,
    jobs_progress: JobProgress | None = None,
) -> RunResult:
    """Prepare every job (raising on bad input), run them, write results/<run-id>/."""
    prepared = [prepare(j) for j in jobs]
    holder: list[RunRecord] = []
    try:
        new_record(prepared, results_dir, suite, holder)
        return execute_run(prepared, holder[0], suite, progress, on_open, jobs_progress)
    except BaseException as exc:
        if holder:
            close_abandoned(holder[0], exc)
        raise


def close_abandoned(record: RunRecord, exc: BaseException) -> None:
    """Close a run that an exception (a signal) left before `execute_run` could."""
    if record.writer.closed:
        return
    sig = signal_name(exc) if isinstance(exc, KeyboardInterrupt) else None
    if sig:
        record.events.add("interrupted", sig)
    reason = f"interrupted by {sig}" if sig else f"hilbench stopped: {type(exc).__name__}: {exc}"
    record.writer.close(
        "partial" if record.writer.rows else "failed",
        reason,
        finished_at=datetime.now(UTC).isoformat(),
        interrupted=sig,
    )
    if sig:
        vars(exc)["hilbench_run"] = (
            record.run_id,
            record.writer.rows,
        )  # read by the CLI (any exception type)


def new_record(
    prepared: list[PreparedJob],
    results_dir: Path | None,
    suite: str | None,
    holder: list[RunRecord] | None = None,
) -> RunRecord:
    """Create the run directory: run.json says `running`, with the plan (resume reads it)."""
    remove_stale_qemu_dirs()
    run_id = new_run_id()
    started = datetime.now(UTC)
    run_dir = Path(results_dir or default_results_dir()) / run_id
    meta: dict[str, Any] = {
        "run_id": run_id,
        "started_at": started.isoformat(),
        "hilbench_version": __version__,
        "suite": suite,
        "git_commit": git_commit(),
        **process_fields(),
        "status": "running",
        "status_reason": None,
        "plan": {"version": PLAN_VERSION, "suite": suite, "jobs": [job_plan(p) for p in prepared]},
        "jobs": [],
        "started_at_ts": started,
    }
    events = EventLog(run_id)
    writer = RunWriter(run_dir, meta, events)
    record = RunRecord(run_id, run_dir, started, writer, events)
    if holder is not None:
        holder.append(record)
    writer.flush()
    return record


class _Sink:
    """Rows to the run's writer as they arrive, and to this session's list."""

    def __init__(self, writer: Any, rows: list[dict[str, Any]]) -> None:
        self.writer, self.rows = writer, rows
        self.lock = threading.Lock()

    def add(self, rows: list[dict[str, Any]]) -> None:
        with self.lock:
            self.rows.extend(rows)
        self.writer.add(rows)


def _attach_events(device: Any, events: Any, job_id: str | None) -> None:
    """Devices record restarts/resets into the run's events (hilbench.results.events)."""
    for name, value in (("events", events), ("event_job", job_id)):
        try:
            setattr(device, name, value)
        except AttributeError:
            pass


def execute_run(
    prepared: list[PreparedJob],
    record: RunRecord,
    suite: str | None = None,
    progress: Progress | None = None,
    on_open: Callable[[DeviceInfo], None] | None = None,
    jobs_progress: JobProgress | None = None,
) -> RunResult:
    """Run the jobs of a record (new or resumed) and close it with a truthful status."""
    run_id, writer, events = record.run_id, record.writer, record.events
    base = {
        "run_id": run_id,
        "started_at": record.started,
        "host": platform.node(),
        "hilbench_version": __version__,
        "suite": suite,
    }
    todo = [p for p in prepared if p.job.job_id not in record.finished]
    total = sum(remaining(p, record.done.get(p.job.job_id, set())) for p in todo)
    done = [0]
    lock = threading.Lock()
    stop = threading.Event()

    def tick(n: int) -> None:
        if stop.is_set():
            raise _Cancelled()
        with lock:
            done[0] += n
            if progress:
                progress(done[0], total)

    groups: dict[str, list[PreparedJob]] = {}
    for p in todo:
        groups.setdefault(p.job.board.name, []).append(p)
    outcomes = {id(p): JobOutcome(p.job) for p in todo}
    session_rows: list[dict[str, Any]] = []
    sink = _Sink(writer, session_rows)

    def jobs_meta() -> list[dict[str, Any]]:
        return [record.finished.get(p.job.job_id) or _job_meta(p, outcomes[id(p)]) for p in prepared]

    writer.jobs_meta = jobs_meta

    def run_board(group: list[PreparedJob]) -> None:
        board = group[0].job.board
        with physical_board_lock(board, owner=f"hilbench run {run_id}"):
            run_board_locked(group)

    def fail(p: PreparedJob, exc: HilbenchError) -> None:
        out = outcomes[id(p)]
        _fail(out, exc)
        events.add("job_failed", f"{out.error_kind}: {exc}", job_id=p.job.job_id, board=p.job.board.name)

    def run_board_locked(group: list[PreparedJob]) -> None:
        device = with_recovery(make_device(group[0].job.board))  # restarts a failed DUT (devices/recovery.py)
        _attach_events(device, events, group[0].job.job_id)
        try:
            try:
                dev = device.open()
            except HilbenchError as exc:
                for p in group:
                    fail(p, exc)
                return
            if on_open:
                on_open(dev)
            for p in group:
                out = outcomes[id(p)]
                out.device = dev
                _attach_events(device, events, p.job.job_id)
                before = record.firmware.get(p.job.job_id)
                if before and dev.firmware_sha256 and before != dev.firmware_sha256:
                    fail(
                        p,
                        HilbenchError(
                            f"{p.job.job_id}: board {dev.board} now runs firmware {dev.firmware_sha256[:12]}, its rows "
                            f"were measured with {before[:12]}: resuming would mix two firmwares; start a new run"
                        ),
                    )
                    continue
                key = p.job.job_id
                job_tick: Callable[[int], None] = tick
                if jobs_progress:
                    jobs_progress.start(
                        key,
                        job_label(p.job.board.name, p.job.label or p.job.model.stem),
                        remaining(p, record.done.get(key, set())),
                        note=p.job.dataset.name,
                    )
                    job_tick = _also(tick, functools.partial(jobs_progress.advance, key))
                try:
                    execute(
                        device,
                        dev,
                        p,
                        base,
                        sink,
                        out,
                        job_tick,
                        done=record.done.get(p.job.job_id),
                        profiled=p.job.job_id in record.profiled,
                    )
                    if out.layers:
                        writer.add_layers(out.layers)
                    out.status = "ok"
                    if jobs_progress:
                        jobs_progress.finish(key)
                except HilbenchError as exc:
                    if jobs_progress:
                        jobs_progress.finish(key, error=str(exc))
                    fail(p, exc)
                    if out.error_kind == "infrastructure":
                        for rest in group[group.index(p) + 1 :]:
                            fail(rest, exc)
                        return
        finally:
            device.close()

    stopped_by: str | None = None
    crash: str | None = None
    try:
        if len(groups) == 1:
            run_board(next(iter(groups.values())))
        elif groups:
            with ThreadPoolExecutor(max_workers=MAX_PARALLEL_BOARDS) as pool:
                futures = [pool.submit(run_board, g) for g in groups.values()]
                try:
                    for f in futures:
                        f.result()
                except BaseException:
                    stop.set()
                    raise
    except (KeyboardInterrupt, _Cancelled) as exc:
        stopped_by = signal_name(exc)
        events.add("interrupted", stopped_by)
        out_exc = KeyboardInterrupt() if isinstance(exc, _Cancelled) else exc
        vars(out_exc)["hilbench_run"] = (run_id, writer.rows)  # read by the CLI (any exception type)
        if out_exc is not exc:
            raise out_exc from None
        raise
    except BaseException as exc:
        crash = f"hilbench stopped: {type(exc).__name__}: {exc}"
        raise
    finally:
        outs = [outcomes[id(p)] for p in todo]
        status, reason = final_status(outs, len(record.finished), writer.rows, stopped_by)
        if crash and status == "complete":
            status = "partial" if writer.rows else "failed"
        samples_file = writer.close(
            status,
            crash or reason,
            finished_at=datetime.now(UTC).isoformat(),
            interrupted=stopped_by,
        )
        meta = {k: v for k, v in writer.meta.items() if k != "started_at_ts"}
    rows = session_rows
    if record.resumed:
        rows = read_samples(record.run_dir).to_pylist()
    all_outs = [outcomes.get(id(p)) or _finished_outcome(p, record.finished[p.job.job_id]) for p in prepared]
    return RunResult(run_id, record.run_dir, samples_file, rows, all_outs, meta)


def _finished_outcome(p: PreparedJob, meta: dict[str, Any]) -> JobOutcome:
    """The outcome of a job an earlier session of a resumed run finished."""
    return JobOutcome(p.job, status="ok", arena_used=meta.get("arena_used"), n_ops=meta.get("n_ops"))


def _fail(out: JobOutcome, exc: HilbenchError) -> None:
    out.status = "error"
    out.error = str(exc)
    out.error_kind = "input" if isinstance(exc, (ModelError, DatasetError)) else "infrastructure"


def _job_meta(p: PreparedJob, o: JobOutcome) -> dict[str, Any]:
    d = o.device
    return {
        "job_id": p.job.job_id,
        "board": p.job.board.name,
        "device_kind": d.device_kind if d else p.job.board.kind,
        "model": p.job.model.name,
        "model_path": str(p.job.model),
        "model_sha256": p.info.sha256,
        "dataset": p.dataset.name,
        "dataset_path": str(p.job.dataset),
        "dataset_sha256": p.dataset_sha256,
        "firmware_sha256": d.firmware_sha256 if d else None,
        "timing_source": d.timing.source if d else None,
        "emulated": d.timing.emulated if d else None,
        "arena_used": o.arena_used,
        "n_ops": o.n_ops,
        "macs": p.info.total_macs,
        "output_dtype": np.dtype(p.out_dtype).name,
        "status": o.status,
        "error": o.error,
        "error_kind": o.error_kind,
    }


def run_benchmark(
    req: BenchRequest, progress: Progress | None = None, on_open: Callable[[DeviceInfo], None] | None = None
) -> RunResult:
    """One job from command-line flags; its error (if any) is raised as one line."""
    result = run_jobs(
        jobs_for_request(req), req.results_dir, suite=req.suite, progress=progress, on_open=on_open
    )
    if result.errors:
        out = result.errors[0]
        raise (ModelError if out.error_kind == "input" else HilbenchError)(out.error or "job failed")
    return result

"""Running jobs: one `hilbench run`, or a whole suite, into one results directory.

Jobs are grouped by board; each board is opened once and runs its jobs in order; boards
run in parallel (at most two emulators at once: two cores). Everything the host can check
is checked before the first emulator starts. A board that cannot be opened or a link that
breaks is an infrastructure error: its jobs are marked, the other boards go on, and the
run's exit code is 2 - never mistaken for a regression.
"""

from __future__ import annotations

import platform
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hilbench import __version__
from hilbench.config import BoardsFile, Suite, load_boards
from hilbench.devices import DeviceInfo, make_device
from hilbench.devices.recovery import with_recovery
from hilbench.locks import physical_board_lock
from hilbench.errors import DatasetError, HilbenchError, ModelError
from hilbench.results import new_run_id
from hilbench.results.store import default_results_dir, write_run
from hilbench.runner.job import Job, JobOutcome, PreparedJob, execute, prepare

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
    return [Job(board, model, dataset, limit=req.limit, warmup=req.warmup, repeat=req.repeat, profile=req.profile)]


def jobs_for_suite(suite: Suite, boards: BoardsFile) -> list[Job]:
    return [
        Job(boards.get(b), m.model, m.dataset, label=m.label, limit=m.limit, warmup=suite.warmup,
            repeat=suite.repeat, measure=suite.measure, profile=suite.profile)
        for b in suite.boards for m in suite.models
    ]


def git_commit(cwd: Path | None = None) -> str | None:
    """The user's working-directory commit (with +dirty), if there is a repository."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=5)
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


class _Cancelled(Exception):
    pass


def run_jobs(
    jobs: list[Job],
    results_dir: Path | None = None,
    suite: str | None = None,
    progress: Progress | None = None,
    on_open: Callable[[DeviceInfo], None] | None = None,
) -> RunResult:
    """Prepare every job (raising on bad input), run them, write results/<run-id>/."""
    prepared = [prepare(j) for j in jobs]
    run_id = new_run_id()
    started = datetime.now(timezone.utc)
    run_dir = Path(results_dir or default_results_dir()) / run_id
    commit = git_commit()
    base = {"run_id": run_id, "started_at": started, "host": platform.node(), "hilbench_version": __version__,
            "suite": suite}
    total = sum(p.planned for p in prepared)
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
    for p in prepared:
        groups.setdefault(p.job.board.name, []).append(p)
    outcomes = {id(p): JobOutcome(p.job) for p in prepared}
    rows_by_job: dict[int, list[dict[str, Any]]] = {id(p): [] for p in prepared}

    def run_board(group: list[PreparedJob]) -> None:
        board = group[0].job.board
        with physical_board_lock(board, owner=f"hilbench run {run_id}"):
            run_board_locked(group)

    def run_board_locked(group: list[PreparedJob]) -> None:
        device = with_recovery(make_device(group[0].job.board))  # restarts a failed DUT (devices/recovery.py)
        try:
            try:
                dev = device.open()
            except HilbenchError as exc:
                for p in group:
                    _fail(outcomes[id(p)], exc)
                return
            if on_open:
                on_open(dev)
            for p in group:
                out = outcomes[id(p)]
                out.device = dev
                try:
                    execute(device, dev, p, base, rows_by_job[id(p)], out, tick)
                    out.status = "ok"
                except HilbenchError as exc:
                    _fail(out, exc)
                    if out.error_kind == "infrastructure":
                        for rest in group[group.index(p) + 1 :]:
                            _fail(outcomes[id(rest)], exc)
                        return
        finally:
            device.close()

    complete = False
    try:
        if len(groups) == 1:
            run_board(next(iter(groups.values())))
        else:
            with ThreadPoolExecutor(max_workers=MAX_PARALLEL_BOARDS) as pool:
                futures = [pool.submit(run_board, g) for g in groups.values()]
                try:
                    for f in futures:
                        f.result()
                except BaseException:
                    stop.set()
                    raise
        complete = True
    except _Cancelled:
        raise KeyboardInterrupt from None
    finally:
        rows = [r for p in prepared for r in rows_by_job[id(p)]]
        outs = [outcomes[id(p)] for p in prepared]
        meta = {
            "run_id": run_id, "started_at": started.isoformat(),
            "finished_at": datetime.now(timezone.utc).isoformat(), "host": platform.node(),
            "hilbench_version": __version__, "suite": suite, "git_commit": commit,
            "jobs": [_job_meta(p, outcomes[id(p)]) for p in prepared],
        }
        samples_file = None
        if rows or (complete and any(o.status == "ok" for o in outs)):
            samples_file = write_run(run_dir, rows, meta, complete=complete,
                                     layers=[layer for o in outs for layer in o.layers],
                                     jobs=[dict(j, run_id=run_id, started_at=started, suite=suite, git_commit=commit)
                                           for j in meta["jobs"]])
    return RunResult(run_id, run_dir, samples_file, rows, outs, meta)


def _fail(out: JobOutcome, exc: HilbenchError) -> None:
    out.status = "error"
    out.error = str(exc)
    out.error_kind = "input" if isinstance(exc, (ModelError, DatasetError)) else "infrastructure"


def _job_meta(p: PreparedJob, o: JobOutcome) -> dict[str, Any]:
    d = o.device
    return {
        "job_id": p.job.job_id, "board": p.job.board.name, "device_kind": d.device_kind if d else p.job.board.kind,
        "model": p.job.model.name, "model_path": str(p.job.model), "model_sha256": p.info.sha256,
        "dataset": p.dataset.name, "dataset_path": str(p.job.dataset), "dataset_sha256": p.dataset_sha256,
        "firmware_sha256": d.firmware_sha256 if d else None, "timing_source": d.timing.source if d else None,
        "emulated": d.timing.emulated if d else None, "arena_used": o.arena_used, "n_ops": o.n_ops,
        "macs": p.info.total_macs, "status": o.status, "error": o.error, "error_kind": o.error_kind,
    }


def run_benchmark(req: BenchRequest, progress: Progress | None = None,
                  on_open: Callable[[DeviceInfo], None] | None = None) -> RunResult:
    """One job from command-line flags; its error (if any) is raised as one line."""
    result = run_jobs(jobs_for_request(req), req.results_dir, suite=req.suite, progress=progress, on_open=on_open)
    if result.errors:
        out = result.errors[0]
        raise (ModelError if out.error_kind == "input" else HilbenchError)(out.error or "job failed")
    return result

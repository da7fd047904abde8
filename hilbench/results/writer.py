"""Writing a run as it happens, so a killed run keeps what it measured.

Rows are buffered and written every N rows or T seconds (whichever first; env
HILBENCH_FLUSH_ROWS, HILBENCH_FLUSH_SECONDS) as a new numbered batch file
`samples/batch-NNNNNN.parquet`, written to a temporary name, synced and renamed: after a
SIGKILL every batch on disk is whole and readable, and at most the last N rows / T seconds
are lost (and measured again by `hilbench run --resume`). Each flush also rewrites the
small files beside it (events.parquet, layers.parquet, jobs.parquet, run.json) the same way.

A group of rows passed to one `add()` is never split across batches: a performance window
is on disk whole or not at all, so resume can tell a finished window from a cut one.

When the run completes, `close("complete")` merges the batches into `samples.parquet`
(rows ordered by plan job, then as measured), writes run.json, and removes the batches;
readers prefer batches while any exist (hilbench.results.store.sample_files), so a crash
between those steps loses and duplicates nothing.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hilbench.envvars import flush_rows as env_flush_rows
from hilbench.envvars import flush_seconds as env_flush_seconds
from hilbench.results.events import EVENTS, EventLog
from hilbench.results.store import (
    BATCHES,
    JOBS,
    LAYERS,
    RUN_META,
    SAMPLES,
    atomic_write,
    batch_files,
    check_parquet,
    jobs_to_table,
    layers_to_table,
    read_samples,
    rows_to_table,
    write_json,
)
from hilbench.signals import held

DEFAULT_FLUSH_ROWS = 100
DEFAULT_FLUSH_SECONDS = 2.0


class RunWriter:
    """The one writer of a run directory (thread-safe: boards run in parallel)."""

    def __init__(
        self,
        run_dir: Path,
        meta: dict[str, Any],
        events: EventLog,
        jobs_meta: Callable[[], list[dict[str, Any]]] | None = None,
        layers: list[dict[str, Any]] | None = None,
        flush_rows: int | None = None,
        flush_seconds: float | None = None,
    ) -> None:
        self.dir = run_dir
        self.meta = meta
        self.events = events
        self.jobs_meta = jobs_meta
        self.layers: list[dict[str, Any]] = list(layers or [])
        self.flush_rows = int(flush_rows or env_flush_rows(DEFAULT_FLUSH_ROWS))
        self.flush_seconds = float(
            flush_seconds if flush_seconds is not None else env_flush_seconds(DEFAULT_FLUSH_SECONDS)
        )
        (run_dir / BATCHES).mkdir(parents=True, exist_ok=True)
        existing = batch_files(run_dir)
        self._seq = (int(existing[-1].stem.split("-")[1]) + 1) if existing else 0
        self.rows_written = sum(check_parquet(p) for p in existing)
        self._pending: list[dict[str, Any]] = []
        self._last = time.monotonic()
        self._lock = threading.RLock()
        self.closed = False

    # -- producers ----------------------------------------------------------------------------

    def add(self, rows: list[dict[str, Any]]) -> None:
        """Rows measured together (one inference, one window): written in one batch."""
        with self._lock:
            self._pending.extend(rows)
            if len(self._pending) >= self.flush_rows or time.monotonic() - self._last >= self.flush_seconds:
                self.flush()

    def add_layers(self, layers: list[dict[str, Any]]) -> None:
        with self._lock:
            self.layers.extend(layers)

    @property
    def rows(self) -> int:
        with self._lock:
            return self.rows_written + len(self._pending)

    # -- writing ---------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the pending rows as one batch file, then the side files and run.json.

        SIGINT/SIGTERM/SIGHUP wait until the flush is done (hilbench.signals raises
        in the main thread): a batch renamed into place but not yet counted would be
        written twice by the final flush."""
        with self._lock, held():
            if self._pending:
                table = rows_to_table(self._pending)
                path = self.dir / BATCHES / f"batch-{self._seq:06d}.parquet"
                atomic_write(path, lambda p: pq.write_table(table, p), sync=True)
                self._seq += 1
                self.rows_written += len(self._pending)
                self._pending = []
            self._write_side_files()
            self._last = time.monotonic()

    def _write_side_files(self) -> None:
        if len(self.events):
            events = self.events.table()
            atomic_write(self.dir / EVENTS, lambda p: pq.write_table(events, p))
        if self.layers:
            layers = layers_to_table(self.layers)
            atomic_write(self.dir / LAYERS, lambda p: pq.write_table(layers, p))
        if self.jobs_meta is not None:
            jobs = self.jobs_meta()
            self.meta["jobs"] = jobs
            if jobs:
                jt = jobs_to_table(
                    [
                        dict(
                            j,
                            run_id=self.meta.get("run_id"),
                            started_at=self.meta.get("started_at_ts"),
                            suite=self.meta.get("suite"),
                            git_commit=self.meta.get("git_commit"),
                        )
                        for j in jobs
                    ]
                )
                atomic_write(self.dir / JOBS, lambda p: pq.write_table(jt, p))
        self.meta["samples"] = self.rows_written
        write_json(self.dir / RUN_META, {k: v for k, v in self.meta.items() if k != "started_at_ts"})

    def set_status(self, status: str, reason: str | None = None, **extra: Any) -> None:
        with self._lock:
            self.meta["status"] = status
            self.meta["status_reason"] = reason
            self.meta.update(extra)

    def close(self, status: str, reason: str | None = None, **extra: Any) -> Path | None:
        """Flush everything and record the final status; a complete run is merged into
        samples.parquet. Returns the file that holds the rows (None if there are none)."""
        with self._lock, held():
            self.closed = True
            self.set_status(status, reason, **extra)
            if status != "complete":
                self.meta["samples_file"] = BATCHES if self.rows else None
                self.flush()
                return (self.dir / BATCHES) if self.rows_written else None
            self.meta["status"] = "running"  # until the merged file is in place
            self.flush()
            merged = self._merged_table()
            atomic_write(self.dir / SAMPLES, lambda p: pq.write_table(merged, p), sync=True)
            self.meta["status"] = "complete"
            self.meta["samples_file"] = SAMPLES
            self._write_side_files()
            shutil.rmtree(self.dir / BATCHES, ignore_errors=True)
            return self.dir / SAMPLES

    def _merged_table(self) -> pa.Table:
        """All batches, rows ordered by the plan's job order, then as written."""
        table = read_samples(self.dir)
        order = [j.get("job_id") for j in (self.meta.get("plan") or {}).get("jobs", [])]
        if not order or table.num_rows == 0:
            return table
        rank = {job: i for i, job in enumerate(order)}
        job_rank = pa.array([rank.get(j, len(order)) for j in table.column("job_id").to_pylist()], pa.int64())
        pos = pa.array(range(table.num_rows), pa.int64())
        keyed = pa.table({"r": job_rank, "p": pos})
        idx = pc.sort_indices(keyed, sort_keys=[("r", "ascending"), ("p", "ascending")])
        return table.take(idx)

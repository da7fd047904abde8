"""The results store: a directory per run under results/, Parquet rows plus run.json.

Every file is written to a temporary name and renamed, so a reader never sees half a file.
The runner writes rows as they arrive, in numbered batch files (`samples/batch-*.parquet`,
hilbench.results.writer); when the run completes they are merged into one
`samples.parquet`. run.json says what the run is (`status`): `running` while it runs,
then `complete`, `partial` (some rows, not all: a job failed, a board died, a signal) or
`failed` (nothing measured). A run.json still saying `running` whose process is gone
reads as `partial` (`effective_status`), so a killed run never looks complete or alive.

A damaged run directory (a truncated Parquet file, an invalid run.json) is one
`DamagedRun` error naming the file; `scan_runs` reports it in one warning line and skips
it, so one bad directory never breaks the store.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hilbench.errors import HilbenchError
from hilbench.results.events import EVENT_SCHEMA, EVENTS
from hilbench.results.schema import JOB_SCHEMA, LAYER_SCHEMA, SCHEMA

SAMPLES = "samples.parquet"
PARTIAL = "samples.partial.parquet"  # written by write_run for a run that stopped early
BATCHES = "samples"  # directory of batch files while a run is running or not complete
RUN_META = "run.json"
LAYERS = "layers.parquet"
JOBS = "jobs.parquet"

STATUSES = ("running", "complete", "partial", "failed")


class DamagedRun(HilbenchError):
    """A run directory whose run.json or Parquet files cannot be read."""


def default_results_dir() -> Path:
    return Path(os.environ.get("HILBENCH_RESULTS", "results"))


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time, unique across hosts: 20261128T120102Z-3f2a9c."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def atomic_write(path: Path, write: Callable[[Path], Any], sync: bool = False) -> None:
    """Write via a temporary name in the same directory, then rename over `path`."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        if sync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


_atomic_write = atomic_write  # older name


def write_json(path: Path, obj: dict[str, Any]) -> None:
    atomic_write(path, lambda p: p.write_text(json.dumps(obj, indent=2, default=str) + "\n"))


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {name: [r.get(name) for r in rows] for name in SCHEMA.names}
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def layers_to_table(layers: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{k: r.get(k) for k in LAYER_SCHEMA.names} for r in layers], schema=LAYER_SCHEMA
    )


def jobs_to_table(jobs: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([{k: j.get(k) for k in JOB_SCHEMA.names} for j in jobs], schema=JOB_SCHEMA)


def write_run(
    run_dir: Path,
    rows: list[dict[str, Any]],
    meta: dict[str, Any],
    complete: bool,
    layers: list[dict[str, Any]] | None = None,
    jobs: list[dict[str, Any]] | None = None,
) -> Path:
    """Write rows and metadata of one run at once; returns the samples file written.

    For producers that hold all rows in memory (scripts, tests); the runners (hilbench and MLPerf Tiny)
    stream batches instead (hilbench.results.writer)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if jobs:
        jtable = jobs_to_table(jobs)
        atomic_write(run_dir / JOBS, lambda p: pq.write_table(jtable, p))
    if layers:
        ltable = layers_to_table(layers)
        atomic_write(run_dir / LAYERS, lambda p: pq.write_table(ltable, p))
    table = rows_to_table(rows)
    target = run_dir / (SAMPLES if complete else PARTIAL)
    atomic_write(target, lambda p: pq.write_table(table, p))
    meta = dict(
        meta, status="complete" if complete else "failed", samples=len(rows), samples_file=target.name
    )
    write_json(run_dir / RUN_META, meta)
    return target


def run_dir(run_id: str, results_dir: str | Path | None = None) -> Path:
    return Path(results_dir or default_results_dir()) / run_id


# -- reading ---------------------------------------------------------------------------------


def batch_files(d: Path) -> list[Path]:
    return sorted((d / BATCHES).glob("batch-*.parquet"))


def sample_files(d: Path) -> list[Path]:
    """The files holding a run's rows: its batches while there are any (a running or
    unfinished run; a completed run whose merge was cut short), else samples.parquet,
    else an early stop's samples.partial.parquet."""
    batches = batch_files(d)
    if batches:
        return batches
    for name in (SAMPLES, PARTIAL):
        if (d / name).is_file():
            return [d / name]
    return []


def check_parquet(path: Path) -> int:
    """Rows in a Parquet file, or DamagedRun naming it (truncated, not Parquet)."""
    try:
        return pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException) as exc:
        raise DamagedRun(f"{path}: damaged Parquet file ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def read_table(path: Path, columns: list[str] | None = None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise DamagedRun(f"{path}: damaged Parquet file ({_first_line(exc)})") from None


def read_samples(d: Path, columns: list[str] | None = None) -> pa.Table:
    """Every row of a run directory, in the order written, as one Arrow table."""
    tables = [read_table(p, columns) for p in sample_files(d)]
    if not tables:
        schema = SCHEMA if columns is None else pa.schema([SCHEMA.field(c) for c in columns])
        return schema.empty_table()
    return pa.concat_tables(tables, promote_options="default") if len(tables) > 1 else tables[0]


def read_meta(d: Path) -> dict[str, Any]:
    path = d / RUN_META
    try:
        meta = json.loads(path.read_text())
    except FileNotFoundError:
        raise DamagedRun(f"{path}: not found") from None
    except json.JSONDecodeError as exc:
        raise DamagedRun(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DamagedRun(f"{path}: unreadable ({_first_line(exc)})") from None
    if not isinstance(meta, dict):
        raise DamagedRun(f"{path}: not a JSON object")
    return meta


def load(run_id: str, results_dir: str | Path | None = None, partial: bool = False) -> pd.DataFrame:
    """The samples of one run as a pandas DataFrame (one row per inference).

    Only a complete run unless `partial` (then whatever an unfinished run measured)."""
    d = run_dir(run_id, results_dir)
    files = sample_files(d)
    if not files:
        raise HilbenchError(f"{d}: no {SAMPLES} (no rows measured, or not a run directory)")
    if not partial:
        status, reason = effective_status(read_meta(d)) if (d / RUN_META).is_file() else ("complete", "")
        if status != "complete" or files[0].name == PARTIAL:
            raise HilbenchError(
                f"{d}: the run did not finish ({status}{': ' + reason if reason else ''}): "
                "pass partial=True for what it measured"
            )
    return read_samples(d).to_pandas()


def load_meta(run_id: str, results_dir: str | Path | None = None) -> dict[str, Any]:
    return read_meta(run_dir(run_id, results_dir))


def load_layers(run_id: str, results_dir: str | Path | None = None) -> pd.DataFrame:
    """Per-operator profile of one run (one row per operator), empty if none was taken."""
    path = run_dir(run_id, results_dir) / LAYERS
    if not path.is_file():
        return pd.DataFrame(columns=LAYER_SCHEMA.names)
    return read_table(path).to_pandas()


def load_events(run_id: str, results_dir: str | Path | None = None) -> pd.DataFrame:
    """The run's events (hilbench.results.events), empty if there were none."""
    path = run_dir(run_id, results_dir) / EVENTS
    if not path.is_file():
        return pd.DataFrame(columns=EVENT_SCHEMA.names)
    return read_table(path).to_pandas()


# -- status ----------------------------------------------------------------------------------


def process_start(pid: int) -> int | None:
    """The start time of a process in clock ticks since boot (Linux), to tell a live run
    from another process that got its pid later; None where /proc has no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return int(stat.rsplit(")", 1)[1].split()[19])
    except (IndexError, ValueError):
        return None


def process_alive(pid: int | None, start: int | None) -> bool:
    if not pid:
        return False
    if Path("/proc").is_dir():
        now = process_start(int(pid))
        return now is not None and (start is None or now == start)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_status(meta: dict[str, Any]) -> tuple[str, str]:
    """(status, why) of a run from its run.json: a `running` run whose process is gone
    (same host, pid not alive) is `partial`; an old run.json without a status that has
    rows is `complete` (runs were written whole then)."""
    status = str(meta.get("status") or "complete")
    reason = str(meta.get("status_reason") or "")
    if status == "running":
        host = meta.get("host")
        if host == platform.node() and not process_alive(meta.get("pid"), meta.get("pid_start")):
            return "partial", f"interrupted: hilbench (pid {meta.get('pid')}) ended without closing the run"
        return "running", f"running on {host}, pid {meta.get('pid')}"
    if status not in STATUSES:
        return "failed", f"unknown status {status!r}"
    return status, reason


def describe_status(status: str, reason: str) -> str:
    return f"{status} ({reason})" if reason else status


@dataclass
class RunEntry:
    """One readable run directory of the store."""

    run_id: str
    path: Path
    meta: dict[str, Any]
    status: str
    reason: str
    files: list[Path] = field(default_factory=list)
    rows: int = 0

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    def describe(self) -> str:
        return describe_status(self.status, self.reason)


def check_run(d: Path) -> RunEntry:
    """A run directory's entry, or DamagedRun naming the file at fault."""
    meta = read_meta(d)
    files = sample_files(d)
    rows = sum(check_parquet(p) for p in files)
    for name in (LAYERS, JOBS, EVENTS):
        if (d / name).is_file():
            check_parquet(d / name)
    status, reason = effective_status(meta)
    if status == "complete" and not files:
        raise DamagedRun(f"{d / RUN_META}: says complete but {d / SAMPLES} is missing")
    return RunEntry(d.name, d, meta, status, reason, files, rows)


def _looks_like_run(d: Path) -> bool:
    return any((d / n).exists() for n in (RUN_META, SAMPLES, PARTIAL, BATCHES))


def scan_runs(
    results_dir: str | Path | None = None, warn: Callable[[str], None] | None = None
) -> list[RunEntry]:
    """Every readable run in the store, oldest first; each damaged one is reported by
    `warn` in one line and left out."""
    from hilbench.results.notices import warn as default_warn

    say = warn or default_warn
    root = Path(results_dir or default_results_dir())
    if not root.is_dir():
        return []
    out = []
    for d in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if not _looks_like_run(d):
            continue
        try:
            out.append(check_run(d))
        except DamagedRun as exc:
            say(f"{exc}: run {d.name} skipped")
    return out

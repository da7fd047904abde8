"""The results store: a directory per run under results/, Parquet rows plus run.json.

Files are written to a temporary name and renamed, so a reader never sees half a file. A
run that stops early (an error, Ctrl-C) keeps what it measured in
`samples.partial.parquet` and says `"status": "failed"` in run.json; only a finished run
has `samples.parquet`, so nothing incomplete looks complete.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hilbench.errors import HilbenchError
from hilbench.results.schema import JOB_SCHEMA, LAYER_SCHEMA, SCHEMA

SAMPLES = "samples.parquet"
PARTIAL = "samples.partial.parquet"
RUN_META = "run.json"
LAYERS = "layers.parquet"
JOBS = "jobs.parquet"


def default_results_dir() -> Path:
    return Path(os.environ.get("HILBENCH_RESULTS", "results"))


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time, unique across hosts: 20261128T120102Z-3f2a9c."""
    now = now or datetime.now(timezone.utc)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _atomic_write(path: Path, write: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def rows_to_table(rows: list[dict[str, Any]]) -> pa.Table:
    columns = {name: [r.get(name) for r in rows] for name in SCHEMA.names}
    return pa.Table.from_pydict(columns, schema=SCHEMA)


def write_run(
    run_dir: Path, rows: list[dict[str, Any]], meta: dict[str, Any], complete: bool,
    layers: list[dict[str, Any]] | None = None,
    jobs: list[dict[str, Any]] | None = None,
) -> Path:
    """Write rows and metadata of one run; returns the samples file written."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if jobs:
        jtable = pa.Table.from_pylist([{k: j.get(k) for k in JOB_SCHEMA.names} for j in jobs], schema=JOB_SCHEMA)
        _atomic_write(run_dir / JOBS, lambda p: pq.write_table(jtable, p))
    if layers:
        ltable = pa.Table.from_pylist(layers, schema=LAYER_SCHEMA)
        _atomic_write(run_dir / LAYERS, lambda p: pq.write_table(ltable, p))
    table = rows_to_table(rows)
    target = run_dir / (SAMPLES if complete else PARTIAL)
    _atomic_write(target, lambda p: pq.write_table(table, p))
    meta = dict(meta, status="complete" if complete else "failed", samples=len(rows), samples_file=target.name)
    _atomic_write(run_dir / RUN_META, lambda p: p.write_text(json.dumps(meta, indent=2, default=str) + "\n"))
    return target


def run_dir(run_id: str, results_dir: str | Path | None = None) -> Path:
    return Path(results_dir or default_results_dir()) / run_id


def load(run_id: str, results_dir: str | Path | None = None, partial: bool = False) -> pd.DataFrame:
    """The samples of one run as a pandas DataFrame (one row per inference)."""
    d = run_dir(run_id, results_dir)
    path = d / SAMPLES
    if not path.is_file() and partial and (d / PARTIAL).is_file():
        path = d / PARTIAL
    if not path.is_file():
        hint = " (the run did not finish: pass partial=True for what it measured)" if (d / PARTIAL).is_file() else ""
        raise HilbenchError(f"{d}: no {SAMPLES}{hint}")
    return pq.read_table(path).to_pandas()


def load_meta(run_id: str, results_dir: str | Path | None = None) -> dict[str, Any]:
    path = run_dir(run_id, results_dir) / RUN_META
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise HilbenchError(f"{path}: not found") from None


def load_layers(run_id: str, results_dir: str | Path | None = None) -> pd.DataFrame:
    """Per-operator profile of one run (one row per operator), empty if none was taken."""
    path = run_dir(run_id, results_dir) / LAYERS
    if not path.is_file():
        return pd.DataFrame(columns=LAYER_SCHEMA.names)
    return pq.read_table(path).to_pandas()

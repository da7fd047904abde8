"""Public Python API for results (the results store is a directory: no server).

>>> import hilbench.results as hr
>>> df = hr.load("20261128T120102Z-3f2a9c")          # samples: one row per inference
>>> hr.summarize(df)                                   # latency stats, top-k, fidelity, ...
>>> hr.load_layers("20261128T120102Z-3f2a9c")         # per-operator profile
>>> hr.history(where="latency_ms < 50 and top1 > 0.9") # every run, via DuckDB, as pandas
>>> hr.compare_runs("last-good-run-id", "20261128T120102Z-3f2a9c")  # regression verdicts

docs/results.md describes the files and every column.
"""

from __future__ import annotations

from typing import Any

from hilbench.results.schema import COLUMNS, JOB_SCHEMA, LAYER_SCHEMA, SCHEMA
from hilbench.results.store import (
    default_results_dir,
    load,
    load_layers,
    load_meta,
    new_run_id,
    write_run,
)


def summarize(df: Any, jobs: Any = None) -> Any:
    """Summary per board x model x dataset (see hilbench.results.summary)."""
    from hilbench.results.summary import summarize as _summarize

    return _summarize(df, jobs)


# Imported eagerly, not wrapped: the submodule `hilbench.results.history` has the same
# name, and importing it later would rebind `hilbench.results.history` to the module.
from hilbench.results.history import history  # noqa: E402


def compare_runs(baseline: str, candidate: str, results_dir: Any = None, **options: Any) -> Any:
    """Regression verdicts per board x model x metric (see hilbench.results.comparison)."""
    from hilbench.results.comparison import compare_runs as _compare

    return _compare(baseline, candidate, results_dir, **options)


__all__ = [
    "COLUMNS",
    "JOB_SCHEMA",
    "LAYER_SCHEMA",
    "SCHEMA",
    "compare_runs",
    "default_results_dir",
    "history",
    "load",
    "load_layers",
    "load_meta",
    "new_run_id",
    "summarize",
    "write_run",
]

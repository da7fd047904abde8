"""Queries across runs: the results store is a directory of Parquet files and DuckDB reads
them in place, so there is no server and nothing to migrate.

`history()` gives one row per run x board x model x dataset, newest first, with the
figures a regression job or a device-choice question needs, and the run's `status`
(complete, partial, failed, running): a partial run is listed, marked, never passed off
as a full one. The files are named to DuckDB one by one after `scan_runs` has checked
them, so a damaged run directory is one warning line and left out, not a failed query.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hilbench.errors import HilbenchError
from hilbench.results.store import JOBS, RunEntry, default_results_dir, scan_runs

# Columns a --where filter may use (all from the aggregate below; computed from the samples at
# query time, so a new column here needs no migration of stored runs).
HISTORY_COLUMNS = [
    "run_id",
    "status",
    "started_at",
    "suite",
    "board",
    "model",
    "dataset",
    "timing_source",
    "emulated",
    "n",
    "cycles_median",
    "cycles_p90",
    "latency_us_median",
    "latency_ms",
    "latency_us_mean",
    "latency_us_p95",
    "throughput_per_s",
    "top1",
    "bit_exact_pct",
    "arena_used",
    "macs",
    "mac_per_cycle",
    "git_commit",
    "firmware_sha256",
    "model_sha256",
]


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _query(runs: list[RunEntry]) -> str:
    samples = _sql_list([str(f) for e in runs for f in e.files])
    jobs_files = [str(e.path / JOBS) for e in runs if (e.path / JOBS).is_file()]
    have_jobs = bool(jobs_files)
    job_join = (
        f"""
        LEFT JOIN (SELECT run_id, board, model, dataset, any_value(arena_used) AS arena_used,
                          any_value(macs) AS macs, any_value(git_commit) AS git_commit
                   FROM read_parquet({_sql_list(jobs_files)}, union_by_name = true)
                   GROUP BY run_id, board, model, dataset) j
        USING (run_id, board, model, dataset)"""
        if have_jobs
        else ""
    )
    job_cols = (
        "j.arena_used, j.macs, j.git_commit"
        if have_jobs
        else "NULL::BIGINT AS arena_used, NULL::BIGINT AS macs, NULL::VARCHAR AS git_commit"
    )
    return f"""
        WITH s AS (
            SELECT * FROM read_parquet({samples}, union_by_name = true) WHERE phase = 'measure'
        ), agg AS (
            SELECT run_id, min(started_at) AS started_at, any_value(suite) AS suite, board, model, dataset,
                   any_value(timing_source) AS timing_source, bool_and(emulated) AS emulated,
                   count(*) AS n,
                   median(cycles) AS cycles_median, quantile_cont(cycles, 0.9) AS cycles_p90,
                   median(latency_us) AS latency_us_median,
                   median(latency_us) / 1000.0 AS latency_ms,
                   avg(latency_us) AS latency_us_mean, quantile_cont(latency_us, 0.95) AS latency_us_p95,
                   CASE WHEN avg(latency_us) > 0 THEN 1e6 / avg(latency_us) END AS throughput_per_s,
                   avg(CASE WHEN correct THEN 1.0 WHEN NOT correct THEN 0.0 END) AS top1,
                   100.0 * avg(CASE WHEN bit_exact THEN 1.0 WHEN NOT bit_exact THEN 0.0 END) AS bit_exact_pct,
                   any_value(firmware_sha256) AS firmware_sha256, any_value(model_sha256) AS model_sha256
            FROM s GROUP BY run_id, board, model, dataset
        )
        SELECT agg.*, st.status, {job_cols},
               CASE WHEN cycles_median > 0 THEN {"j.macs" if have_jobs else "NULL"} / cycles_median END AS mac_per_cycle
        FROM agg LEFT JOIN run_status st USING (run_id) {job_join}
    """


def history(
    results_dir: str | Path | None = None,
    board: str | None = None,
    model: str | None = None,
    where: str | None = None,
    last: int | None = None,
) -> pd.DataFrame:
    """One row per run x board x model x dataset, newest first, as a pandas DataFrame.

    `where` is a SQL boolean expression over HISTORY_COLUMNS, e.g.
    ``"latency_ms < 50 and top1 > 0.9"``.
    """
    import duckdb

    results = Path(results_dir or default_results_dir())
    runs = [e for e in scan_runs(results) if e.files]
    if not runs:
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    run_status = pd.DataFrame({"run_id": [e.run_id for e in runs], "status": [e.status for e in runs]})
    sql = f"SELECT {', '.join(HISTORY_COLUMNS)} FROM ({_query(runs)}) h WHERE TRUE"
    params: list[object] = []
    if board:
        sql += " AND board = ?"
        params.append(board)
    if model:
        sql += " AND (model = ? OR model = ? || '.tflite')"
        params += [model, model]
    if where:
        sql += f" AND ({where})"
    sql += " ORDER BY started_at DESC, board, model"
    if last:
        sql += f" LIMIT {int(last)}"
    try:
        con = duckdb.connect()
        con.register("run_status", run_status)
        return con.execute(sql, params).df()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise HilbenchError(
            f"history query failed: {first} (columns: {', '.join(HISTORY_COLUMNS)})"
        ) from None

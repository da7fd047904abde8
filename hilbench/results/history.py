"""Queries across runs: the results store is a directory of Parquet files and DuckDB reads
them in place, so there is no server and nothing to migrate.

`history()` gives one row per run x board x model x dataset, newest first, with the
figures a regression job or a device-choice question needs.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hilbench.errors import HilbenchError
from hilbench.results.store import JOBS, SAMPLES, default_results_dir

# Columns a --where filter may use (all from the aggregate below).
HISTORY_COLUMNS = [
    "run_id", "started_at", "suite", "board", "model", "dataset", "timing_source", "emulated", "n",
    "cycles_median", "cycles_p90", "latency_us_median", "latency_ms", "top1", "bit_exact_pct",
    "arena_used", "macs", "mac_per_cycle", "git_commit", "firmware_sha256", "model_sha256",
]


def _query(results: Path) -> str:
    samples = str(results / "*" / SAMPLES)
    jobs = str(results / "*" / JOBS)
    have_jobs = any(results.glob(f"*/{JOBS}"))
    job_join = f"""
        LEFT JOIN (SELECT run_id, board, model, dataset, any_value(arena_used) AS arena_used,
                          any_value(macs) AS macs, any_value(git_commit) AS git_commit
                   FROM read_parquet('{jobs}', union_by_name = true)
                   GROUP BY run_id, board, model, dataset) j
        USING (run_id, board, model, dataset)""" if have_jobs else ""
    job_cols = "j.arena_used, j.macs, j.git_commit" if have_jobs else \
        "NULL::BIGINT AS arena_used, NULL::BIGINT AS macs, NULL::VARCHAR AS git_commit"
    return f"""
        WITH s AS (
            SELECT * FROM read_parquet('{samples}', union_by_name = true) WHERE phase = 'measure'
        ), agg AS (
            SELECT run_id, min(started_at) AS started_at, any_value(suite) AS suite, board, model, dataset,
                   any_value(timing_source) AS timing_source, bool_and(emulated) AS emulated,
                   count(*) AS n,
                   median(cycles) AS cycles_median, quantile_cont(cycles, 0.9) AS cycles_p90,
                   median(latency_us) AS latency_us_median,
                   median(latency_us) / 1000.0 AS latency_ms,
                   avg(CASE WHEN correct THEN 1.0 WHEN NOT correct THEN 0.0 END) AS top1,
                   100.0 * avg(CASE WHEN bit_exact THEN 1.0 WHEN NOT bit_exact THEN 0.0 END) AS bit_exact_pct,
                   any_value(firmware_sha256) AS firmware_sha256, any_value(model_sha256) AS model_sha256
            FROM s GROUP BY run_id, board, model, dataset
        )
        SELECT agg.*, {job_cols},
               CASE WHEN cycles_median > 0 THEN {"j.macs" if have_jobs else "NULL"} / cycles_median END AS mac_per_cycle
        FROM agg {job_join}
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
    if not any(results.glob(f"*/{SAMPLES}")):
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    sql = f"SELECT {', '.join(HISTORY_COLUMNS)} FROM ({_query(results)}) h WHERE TRUE"
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
        return duckdb.connect().execute(sql, params).df()
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        raise HilbenchError(f"history query failed: {first} (columns: {', '.join(HISTORY_COLUMNS)})") from None

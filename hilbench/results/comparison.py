"""Regression verdicts between two stored runs, per board x model x dataset x metric.

Which test applies is decided by where the numbers come from, never by a flag the user
has to remember: deterministic emulated instruction counts (`qemu_icount`) are compared
exactly against a threshold; real-board timings go through a rank test and a bootstrap CI
with a minimum effect; accuracy of a bit-exact emulated run is an exact count (any change
is flagged); arena bytes are exact. The tests themselves are `hilbench.results.verdict`;
this module picks them for the rows of two runs in the store. How verdicts are shown is
the report's (`hilbench.report.table.verdict_table`, `hilbench.report.junit.junit_cases`),
what they do to the exit code the CLI's (`hilbench.cli_compare`).

`trend_step` is the same rule, without the statistical test, for one step of a history
trend (medians only): the report rings such a step in red.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hilbench.errors import HilbenchError
from hilbench.results.store import JOBS, load, run_dir
from hilbench.results.verdict import (
    Verdict,
    compare_counts,
    compare_deterministic,
    compare_samples,
    compare_scalar,
)

DETERMINISTIC_SOURCES = {"qemu_icount"}
DEFAULT_EMULATED_THRESHOLD = (
    0.005  # 0.5 %: an emulated count is exact; smaller changes are noise of the build
)
DEFAULT_MIN_EFFECT = 0.02  # the smallest relative change of a noisy timing that counts
LAST_GOOD = "last-good"
KEY = ["board", "model", "dataset"]


def _match(df: pd.DataFrame, key: tuple) -> pd.Series:
    """Rows of df whose board, model and dataset equal key."""
    mask = pd.Series(True, index=df.index)
    for col, val in zip(KEY, key, strict=False):
        mask &= df[col] == val
    return mask


def _jobs(run_id: str, results_dir: str | Path | None) -> pd.DataFrame:
    p = run_dir(run_id, results_dir) / JOBS
    return pd.read_parquet(p) if p.is_file() else pd.DataFrame(columns=[*KEY, "arena_used"])


def compare_runs(
    base_id: str,
    cand_id: str,
    results_dir: str | Path | None = None,
    *,
    emulated_threshold: float = DEFAULT_EMULATED_THRESHOLD,
    min_effect: float = DEFAULT_MIN_EFFECT,
) -> list[Verdict]:
    """Verdicts for every board x model x dataset present in both runs (complete runs
    only: `load` refuses a partial one)."""
    base, cand = load(base_id, results_dir), load(cand_id, results_dir)
    bj, cj = _jobs(base_id, results_dir), _jobs(cand_id, results_dir)
    verdicts: list[Verdict] = []
    keys = sorted(
        set(map(tuple, base[KEY].drop_duplicates().to_numpy()))
        & set(map(tuple, cand[KEY].drop_duplicates().to_numpy()))
    )
    if not keys:
        raise HilbenchError(f"runs {base_id} and {cand_id} share no board x model x dataset to compare")
    for key in keys:
        b = base[_match(base, key) & (base.phase == "measure")]
        c = cand[_match(cand, key) & (cand.phase == "measure")]
        board, model = key[0], f"{key[1]}:{key[2]}"
        verdicts.append(_latency(b, c, board, model, emulated_threshold, min_effect))
        acc = _accuracy(b, c, board, model)
        if acc is not None:
            verdicts.append(acc)
        fid = _bit_exact(b, c, board, model)
        if fid is not None:
            verdicts.append(fid)
        arena = _arena(bj, cj, key, board, model)
        if arena is not None:
            verdicts.append(arena)
    return verdicts


def _latency(
    b: pd.DataFrame, c: pd.DataFrame, board: str, model: str, thr: float, min_effect: float
) -> Verdict:
    src_b, src_c = set(b.timing_source.dropna()), set(c.timing_source.dropna())
    if src_b != src_c:
        return Verdict(
            board=board,
            model=model,
            metric="latency",
            verdict="inconclusive",
            method="none",
            detail=f"timing sources differ: {sorted(src_b)} vs {sorted(src_c)}",
        )
    if src_b <= DETERMINISTIC_SOURCES and b.cycles.notna().all() and c.cycles.notna().all():
        return compare_deterministic(
            b.cycles.to_numpy(float),
            c.cycles.to_numpy(float),
            threshold=thr,
            metric="cycles",
            unit=f"{next(iter(src_b))} instructions",
            board=board,
            model=model,
        )
    return compare_samples(
        b.latency_us.dropna().to_numpy(float),
        c.latency_us.dropna().to_numpy(float),
        min_effect=min_effect,
        metric="latency",
        unit="us",
        board=board,
        model=model,
    )


def _acc_rows(df: pd.DataFrame) -> pd.DataFrame:
    rows = df[df.correct.notna()]
    return rows[rows.window.isna()] if "window" in rows else rows


def _accuracy(b: pd.DataFrame, c: pd.DataFrame, board: str, model: str) -> Verdict | None:
    ab, ac = _acc_rows(b), _acc_rows(c)
    if ab.empty or ac.empty:
        return None
    exact = bool(b.emulated.all() and c.emulated.all())
    return compare_counts(
        int(ab.correct.sum()),
        len(ab),
        int(ac.correct.sum()),
        len(ac),
        exact=exact,
        board=board,
        model=model,
        metric="top1",
    )


def _bit_exact(b: pd.DataFrame, c: pd.DataFrame, board: str, model: str) -> Verdict | None:
    fb, fc = b[b.bit_exact.notna()], c[c.bit_exact.notna()]
    if fb.empty or fc.empty:
        return None
    return compare_counts(
        int(fb.bit_exact.sum()),
        len(fb),
        int(fc.bit_exact.sum()),
        len(fc),
        exact=True,
        board=board,
        model=model,
        metric="bit_exact",
    )


def _arena(bj: pd.DataFrame, cj: pd.DataFrame, key: tuple, board: str, model: str) -> Verdict | None:
    def one(j: pd.DataFrame) -> float | None:
        if j.empty or "arena_used" not in j:
            return None
        m = j[_match(j, key)]
        v = m.arena_used.dropna()
        return float(v.iloc[0]) if len(v) else None

    ab, ac = one(bj), one(cj)
    if ab is None or ac is None:
        return None
    return compare_scalar(ab, ac, board=board, model=model, metric="arena", unit="bytes")


def trend_step(
    metric: str, prev: float | None, cur: float | None, deterministic: bool, same_n: bool
) -> str | None:
    """ "regressed" when the change from the previous run of a trend is beyond the verdict
    rule (medians only, no test), else None. metric: latency | top1 | bit_exact | arena."""
    if prev is None or cur is None:
        return None
    if metric == "latency":
        rel = (cur - prev) / prev if prev else 0.0
        return (
            "regressed"
            if rel > (DEFAULT_EMULATED_THRESHOLD if deterministic else DEFAULT_MIN_EFFECT)
            else None
        )
    if metric == "top1":
        if not same_n:
            return None
        if deterministic:
            return "regressed" if cur < prev else None
        return "regressed" if prev and (prev - cur) / prev > DEFAULT_MIN_EFFECT else None
    if metric == "bit_exact":
        return "regressed" if cur < prev else None
    if metric == "arena":
        return "regressed" if cur > prev else None
    return None

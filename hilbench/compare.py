"""Regression verdicts between two runs, per board x model x dataset x metric.

Which test applies is decided by where the numbers come from, never by a flag the user
has to remember: deterministic emulated instruction counts (`qemu_icount`) are compared
exactly against a threshold; real-board timings go through a rank test and a bootstrap CI
with a minimum effect; accuracy of a bit-exact emulated run is an exact count (any change
is flagged); arena bytes are exact.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
from rich.console import Console
from rich.table import Table

from hilbench.errors import HilbenchError
from hilbench.report.junit import Case, write_junit
from hilbench.results.store import JOBS, load, run_dir
from hilbench.results.verdict import (
    Verdict,
    compare_counts,
    compare_deterministic,
    compare_samples,
    compare_scalar,
    exit_code,
)

DETERMINISTIC_SOURCES = {"qemu_icount"}
DEFAULT_EMULATED_THRESHOLD = 0.005  # 0.5 %: an emulated count is exact; smaller changes are noise of the build
LAST_GOOD = "last-good"
KEY = ["board", "model", "dataset"]


def _match(df: pd.DataFrame, key: tuple) -> pd.Series:
    """Rows of df whose board, model and dataset equal key."""
    mask = pd.Series(True, index=df.index)
    for col, val in zip(KEY, key):
        mask &= df[col] == val
    return mask


def _jobs(run_id: str, results_dir: str | Path | None) -> pd.DataFrame:
    p = run_dir(run_id, results_dir) / JOBS
    return pd.read_parquet(p) if p.is_file() else pd.DataFrame(columns=KEY + ["arena_used"])


def compare_runs(
    base_id: str, cand_id: str, results_dir: str | Path | None = None, *,
    emulated_threshold: float = DEFAULT_EMULATED_THRESHOLD, min_effect: float = 0.02,
) -> list[Verdict]:
    """Verdicts for every board x model x dataset present in both runs (complete runs
    only: `load` refuses a partial one)."""
    base, cand = load(base_id, results_dir), load(cand_id, results_dir)
    bj, cj = _jobs(base_id, results_dir), _jobs(cand_id, results_dir)
    verdicts: list[Verdict] = []
    keys = sorted(set(map(tuple, base[KEY].drop_duplicates().to_numpy())) &
                  set(map(tuple, cand[KEY].drop_duplicates().to_numpy())))
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


def _latency(b: pd.DataFrame, c: pd.DataFrame, board: str, model: str, thr: float, min_effect: float) -> Verdict:
    src_b, src_c = set(b.timing_source.dropna()), set(c.timing_source.dropna())
    labels = dict(board=board, model=model)
    if src_b != src_c:
        return Verdict(**labels, metric="latency", verdict="inconclusive", method="none",
                       detail=f"timing sources differ: {sorted(src_b)} vs {sorted(src_c)}")
    if src_b <= DETERMINISTIC_SOURCES and b.cycles.notna().all() and c.cycles.notna().all():
        return compare_deterministic(b.cycles.to_numpy(float), c.cycles.to_numpy(float), threshold=thr,
                                     metric="cycles", unit=f"{next(iter(src_b))} instructions", **labels)
    return compare_samples(b.latency_us.dropna().to_numpy(float), c.latency_us.dropna().to_numpy(float),
                           min_effect=min_effect, metric="latency", unit="us", **labels)


def _acc_rows(df: pd.DataFrame) -> pd.DataFrame:
    rows = df[df.correct.notna()]
    return rows[rows.window.isna()] if "window" in rows else rows


def _accuracy(b: pd.DataFrame, c: pd.DataFrame, board: str, model: str) -> Verdict | None:
    ab, ac = _acc_rows(b), _acc_rows(c)
    if ab.empty or ac.empty:
        return None
    exact = bool(b.emulated.all() and c.emulated.all())
    return compare_counts(int(ab.correct.sum()), len(ab), int(ac.correct.sum()), len(ac), exact=exact,
                          board=board, model=model, metric="top1")


def _bit_exact(b: pd.DataFrame, c: pd.DataFrame, board: str, model: str) -> Verdict | None:
    fb, fc = b[b.bit_exact.notna()], c[c.bit_exact.notna()]
    if fb.empty or fc.empty:
        return None
    return compare_counts(int(fb.bit_exact.sum()), len(fb), int(fc.bit_exact.sum()), len(fc), exact=True,
                          board=board, model=model, metric="bit_exact")


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


def verdict_table(verdicts: list[Verdict], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    for col, j in [("board", "left"), ("model", "left"), ("metric", "left"), ("baseline", "right"),
                   ("candidate", "right"), ("effect", "right"), ("p", "right"), ("method", "left"), ("verdict", "left")]:
        t.add_column(col, justify=j)  # type: ignore[arg-type]
    style = {"regressed": "bold red", "improved": "green", "unchanged": "", "inconclusive": "yellow"}
    for v in verdicts:
        t.add_row(
            v.board or "", v.model or "", v.metric, _fmt(v.baseline), _fmt(v.candidate),
            "-" if v.effect is None else f"{v.effect:+.2%}", "-" if v.p_value is None else f"{v.p_value:.2g}",
            v.method, f"[{style.get(v.verdict, '')}]{v.verdict}[/]" if style.get(v.verdict) else v.verdict,
        )
    return t


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.4f}" if abs(x) < 10 else f"{x:,.0f}"


def junit_cases(verdicts: list[Verdict], extra: dict[str, Any] | None = None) -> list[Case]:
    cases = []
    for v in verdicts:
        props = {k: v2 for k, v2 in v.to_dict().items() if k not in ("board", "model", "metric", "detail")}
        props.update(extra or {})
        failure = None
        if v.regressed:
            failure = f"regressed: {v.metric} {v.effect:+.2%} ({v.method})" if v.effect is not None else "regressed"
        cases.append(Case(classname=f"{v.board}.{v.model}", name=v.metric, properties=props, failure=failure,
                          detail=v.detail))
    return cases


def finish_run(result: Any, *, baseline: str | None, junit: Path | None, results_dir: Path | None,
               console: Console, infra_error: bool) -> int:
    """After `hilbench run`: compare with a baseline, write JUnit, return the exit code."""
    from hilbench.results.tags import resolve, set_tag

    verdicts: list[Verdict] = []
    base_id = None
    if baseline is not None and result.meta.get("status") == "complete":  # a partial run is never a candidate
        base_id = resolve(baseline, results_dir, exclude=result.run_id)
        verdicts = compare_runs(base_id, result.run_id, results_dir)
        console.print(verdict_table(verdicts, f"{result.run_id} vs baseline {base_id} ({baseline})"))
    cases = junit_cases(verdicts, {"run_id": result.run_id, "baseline_run_id": base_id})
    for o in result.outcomes:
        props = {"job_id": o.job.job_id, "firmware_sha256": o.device.firmware_sha256 if o.device else None,
                 "arena_used": o.arena_used}
        if o.status == "error":
            cases.append(Case(classname=o.job.job_id.replace("/", "."), name="run", properties=props,
                              error=o.error or "error"))
        elif not verdicts:
            cases.append(Case(classname=o.job.job_id.replace("/", "."), name="run", properties=props))
    if junit is not None:
        write_junit(junit, f"hilbench.{result.run_id}", cases, {"run_id": result.run_id, "baseline": base_id})
        console.print(f"junit: {junit}")
    if infra_error:
        return 2
    code = exit_code(verdicts)
    if base_id is not None and code == 0:
        set_tag(LAST_GOOD, result.run_id, results_dir)
    return code

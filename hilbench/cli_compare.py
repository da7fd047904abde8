"""The command-line end of regression verdicts: `hilbench compare` and `hilbench run
--baseline/--junit` print the verdict table, write JUnit XML and turn the verdicts into
the exit code (0 none regressed, 1 a regression, 2 an infrastructure error: a broken board
is never a verdict). The verdicts are `hilbench.results.comparison`'s; the table and the
JUnit cases are the report's. `hilbench/cli.py` calls the two functions here, so the
commands stay a few lines there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console

from hilbench.report.junit import Case, junit_cases, write_junit
from hilbench.report.table import verdict_table
from hilbench.results.comparison import LAST_GOOD, compare_runs
from hilbench.results.tags import resolve, set_tag
from hilbench.results.verdict import Verdict, exit_code


def compare_command(
    baseline: str,
    candidate: str,
    results_dir: Path | None,
    junit: Path | None,
    emulated_threshold: float,
    min_effect: float,
    console: Console,
) -> int:
    """`hilbench compare`: the verdicts of candidate against baseline; returns the exit code."""
    a = resolve(baseline, results_dir, role="baseline")
    b = resolve(candidate, results_dir, role="candidate")
    verdicts = compare_runs(a, b, results_dir, emulated_threshold=emulated_threshold, min_effect=min_effect)
    console.print(verdict_table(verdicts, f"{b} vs baseline {a}"))
    if junit is not None:
        write_junit(
            junit,
            f"hilbench.compare.{b}",
            junit_cases(verdicts, {"run_id": b, "baseline_run_id": a}),
            {"run_id": b, "baseline": a},
        )
        console.print(f"junit: {junit}")
    return exit_code(verdicts)


def finish_run(
    result: Any,
    *,
    baseline: str | None,
    junit: Path | None,
    results_dir: Path | None,
    console: Console,
    infra_error: bool,
) -> int:
    """After `hilbench run`: compare with a baseline, write JUnit, return the exit code."""
    verdicts: list[Verdict] = []
    base_id = None
    if baseline is not None and result.meta.get("status") == "complete":  # a partial run is never a candidate
        base_id = resolve(baseline, results_dir, exclude=result.run_id)
        verdicts = compare_runs(base_id, result.run_id, results_dir)
        console.print(verdict_table(verdicts, f"{result.run_id} vs baseline {base_id} ({baseline})"))
    cases = junit_cases(verdicts, {"run_id": result.run_id, "baseline_run_id": base_id})
    for o in result.outcomes:
        props = {
            "job_id": o.job.job_id,
            "firmware_sha256": o.device.firmware_sha256 if o.device else None,
            "arena_used": o.arena_used,
        }
        if o.status == "error":
            cases.append(
                Case(
                    classname=o.job.job_id.replace("/", "."),
                    name="run",
                    properties=props,
                    error=o.error or "error",
                )
            )
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

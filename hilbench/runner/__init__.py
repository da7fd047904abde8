"""Turning requests and suites (board x model x dataset jobs) into measured, checked rows."""

from hilbench.runner.bench import (
    BenchRequest,
    RunResult,
    jobs_for_request,
    jobs_for_suite,
    run_benchmark,
    run_jobs,
)
from hilbench.runner.job import Job, JobOutcome

__all__ = [
    "BenchRequest",
    "Job",
    "JobOutcome",
    "RunResult",
    "jobs_for_request",
    "jobs_for_suite",
    "run_benchmark",
    "run_jobs",
]

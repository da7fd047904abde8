"""Turning a request (board x model x dataset) into measured, checked result rows."""

from hilbench.runner.bench import BenchRequest, BenchResult, run_benchmark

__all__ = ["BenchRequest", "BenchResult", "run_benchmark"]

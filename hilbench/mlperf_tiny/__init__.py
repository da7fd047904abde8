"""MLPerf Tiny interoperability (docs/mlperf-tiny.md): how dataset files become the inputs
MLPerf Tiny firmware expects (`inputs`), the scoring rules and the `results.txt` the
submission checker reads (`scoring`), and the performance / accuracy modes (`runner`).
The wire protocol itself is `hilbench.link.mlperf_tiny`."""

from hilbench.mlperf_tiny.runner import MlperfRun, run_mlperf

__all__ = ["MlperfRun", "run_mlperf"]

"""Public API for results: `load(run_id)` returns one run's samples as pandas.

>>> import hilbench.results
>>> df = hilbench.results.load("20261128T120102Z-3f2a9c")
>>> df.groupby("board").cycles.median()
"""

from hilbench.results.schema import COLUMNS, SCHEMA
from hilbench.results.store import default_results_dir, load, load_layers, load_meta, new_run_id, write_run

__all__ = ["COLUMNS", "SCHEMA", "default_results_dir", "load", "load_layers", "load_meta", "new_run_id", "write_run"]

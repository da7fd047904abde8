"""Test-vector sets (docs/datasets.md): a dataset directory in MLPerf Tiny's layout
(`directory`) and the anomaly-detection scheme that turns ToyCar clips into windows and
windows into scores (`anomaly`)."""

from hilbench.datasets.directory import (
    AD_SUFFIX,
    AD_WINDOW_SEP,
    LABELS_FILE,
    ADInput,
    Dataset,
    Vector,
    ad_file_of,
    load_dataset,
)

__all__ = [
    "AD_SUFFIX",
    "AD_WINDOW_SEP",
    "LABELS_FILE",
    "ADInput",
    "Dataset",
    "Vector",
    "ad_file_of",
    "load_dataset",
]

"""The results schema: long format, one row per inference sample (docs/architecture.md §4).

Summaries are computed from these rows, never stored instead of them. The Arrow schema
is fixed here so every run's Parquet file has the same columns and types, whatever the
device: absent values are nulls, not missing columns.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA = pa.schema(
    [
        # identity
        ("run_id", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("host", pa.string()),
        ("hilbench_version", pa.string()),
        ("suite", pa.string()),
        ("job_id", pa.string()),
        # device
        ("board", pa.string()),
        ("board_serial", pa.string()),
        ("device_kind", pa.string()),
        ("core", pa.string()),
        ("clock_hz", pa.int64()),
        ("firmware_name", pa.string()),
        ("firmware_sha256", pa.string()),
        ("runtime", pa.string()),
        # workload
        ("model", pa.string()),
        ("model_sha256", pa.string()),
        ("dataset", pa.string()),
        ("dataset_sha256", pa.string()),
        ("sample_id", pa.string()),
        ("label", pa.int64()),
        # measurement
        ("phase", pa.string()),
        ("window", pa.int64()),
        ("iteration", pa.int64()),
        ("ticks", pa.int64()),
        ("cycles", pa.int64()),
        ("latency_us", pa.float64()),
        ("timing_source", pa.string()),
        ("emulated", pa.bool_()),
        ("energy_uj", pa.float64()),
        ("energy_source", pa.string()),
        ("prediction", pa.int64()),
        ("correct", pa.bool_()),
        ("output_sha256", pa.string()),
        ("output", pa.binary()),
        ("reference_output", pa.binary()),
        ("max_abs_diff_vs_reference", pa.int64()),
        ("bit_exact", pa.bool_()),
        # anomaly detection: the window's anomaly score, MSE between the dequantized output
        # and the float input window (hilbench.datasets.anomaly); null for other models
        ("score", pa.float64()),
        # the output as the DUT printed it, where it prints text: MLPerf Tiny's
        # m-results-[...] (dequantized, 3 decimals); null for binary outputs
        ("output_text", pa.string()),
    ]
)

COLUMNS = [f.name for f in SCHEMA]

# Per-operator profile of one inference (PROFILE message): where the time goes.
LAYER_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("board", pa.string()),
        ("model", pa.string()),
        ("model_sha256", pa.string()),
        ("op_index", pa.int64()),
        ("op_name", pa.string()),
        ("macs", pa.int64()),
        ("ticks", pa.int64()),
        ("cycles", pa.int64()),
        ("latency_us", pa.float64()),
        ("timing_source", pa.string()),
        ("emulated", pa.bool_()),
        ("clock_hz", pa.int64()),
        ("job_id", pa.string()),  # the job profiled (a board x model may run on two datasets)
    ]
)

# One row per job (board x model x dataset) of a run: what was loaded and how it went.
JOB_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("suite", pa.string()),
        ("job_id", pa.string()),
        ("board", pa.string()),
        ("device_kind", pa.string()),
        ("model", pa.string()),
        ("model_sha256", pa.string()),
        ("dataset", pa.string()),
        ("dataset_sha256", pa.string()),
        ("firmware_sha256", pa.string()),
        ("timing_source", pa.string()),
        ("emulated", pa.bool_()),
        ("arena_used", pa.int64()),
        ("n_ops", pa.int64()),
        ("macs", pa.int64()),
        (
            "output_dtype",
            pa.string(),
        ),  # numpy dtype of output 0 ("int8", "uint8", "float32"): how to read `output`
        ("status", pa.string()),
        ("error", pa.string()),
        ("git_commit", pa.string()),
    ]
)

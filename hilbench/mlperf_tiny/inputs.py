"""What MLPerf Tiny firmware is sent for each benchmark, from a dataset in MLPerf layout.

The protocol carries the *dataset's* bytes, not the model's input tensor: KWS int8 MFCC
features as they are (490 bytes), VWW and IC uint8 RGB images (the firmware subtracts
128), AD float32 windows of 640 values (the firmware quantizes). A hilbench dataset of
AD feature files (`*_hist_librosa.bin`) expands to its windows (5 frames, stride 1), each
sent as 2,560 bytes of float32.

`model_input` gives the model-input bytes of the same vector, for the reference
interpreter, applying exactly the conversion the firmware applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from hilbench.datasets import Dataset, Vector, load_dataset
from hilbench.datasets import anomaly as ad
from hilbench.errors import DatasetError

# Input bytes per benchmark id, as the protocol sends them.
INPUT_BYTES = {"kws01": 49 * 10, "vww01": 96 * 96 * 3, "ic01": 32 * 32 * 3, "ad01": ad.AD_WINDOW_SIZE * 4}
CLASSES = {"kws01": 12, "vww01": 2, "ic01": 10}


@dataclass(frozen=True)
class MlperfDataset:
    """A dataset as MLPerf Tiny firmware takes it."""

    model_id: str
    dataset: Dataset  # AD: expanded into windows

    @property
    def vectors(self) -> list[Vector]:
        return self.dataset.vectors

    def wire_bytes(self, vector: Vector) -> bytes:
        """The bytes `db load` sends for this vector."""
        if self.model_id == "ad01":
            return np.asarray(self.dataset.float_window(vector), dtype="<f4").tobytes()
        return self.dataset.read(vector)

    def model_input(self, vector: Vector, tensor: Any) -> bytes:
        """The model-input bytes the firmware makes of this vector (for the reference)."""
        if self.model_id == "ad01":
            q = ad.quantize_windows(
                self.dataset.float_window(vector)[None],
                tensor.scale[0],
                tensor.zero_point[0],
                np.dtype(tensor.dtype),
            )
            return q.tobytes()
        raw = self.dataset.read(vector)
        if self.model_id in ("vww01", "ic01") and tensor.dtype == "int8":
            return (np.frombuffer(raw, dtype=np.uint8).astype(np.int16) - 128).astype(np.int8).tobytes()
        return raw


def load_mlperf_dataset(root: str | Path, model_id: str, limit: int | None = None) -> MlperfDataset:
    """Read a dataset directory for benchmark `model_id`; one-line errors name the file at fault."""
    if model_id not in INPUT_BYTES:
        raise DatasetError(
            f"{root}: the DUT reports model id '{model_id}', which has no MLPerf Tiny input format "
            f"(known: {', '.join(INPUT_BYTES)})"
        )
    ds = load_dataset(root, limit=None if model_id == "ad01" else limit)
    what = f"MLPerf Tiny {model_id} input"
    if model_id == "ad01":
        if not ds.is_ad:
            raise DatasetError(
                f"{root}: the DUT runs ad01, which takes AD feature files (*_hist_librosa.bin)"
            )
        # Windows only: their float values are what is sent; the quantization given here is
        # never used (the firmware quantizes).
        ds = ds.for_ad_input(1.0, 0, "int8", ad.AD_WINDOW_SIZE, what)
        if limit is not None:
            ds = replace(ds, vectors=ds.vectors[:limit])
    else:
        if ds.is_ad:
            raise DatasetError(f"{root}: AD feature files, but the DUT runs {model_id}")
        ds.check_sizes(INPUT_BYTES[model_id], what)
    return MlperfDataset(model_id, ds)

"""Test-vector sets in MLPerf Tiny's layout, accepted as they ship (docs/datasets.md).

Two kinds, told apart by file names only (no guessing from sizes):

- **classifier** (``kind="classifier"``): a directory of raw input files (the bytes of one
  input tensor each) and, optionally, `y_labels.csv` with rows `file,num_classes,label`
  and no header, as in MLPerf Tiny / EEMBC's energyrunner. Without the CSV every `*.bin`
  is a vector with no label (accuracy is then not reported).
- **anomaly detection** (``kind="ad"``): every data file ends with `_hist_librosa.bin`
  (MLPerf Tiny ad01 / ToyCar feature files: float32 frames x 128 mel bins). The label is
  1 (anomaly) / 0 (normal), from `y_labels.csv` rows `file,2,label` when present, else
  from the name (`anomaly_...` / `normal_...`; neither = unlabelled). Each file expands
  to its windows of 5 frames, stride 1 (`hilbench.datasets.anomaly`) once the model input is
  known (`Dataset.for_ad_input`); each window is one vector, quantized on the host with
  the model's input scale and zero point.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from hilbench.csv_rows import read_csv_rows
from hilbench.datasets import anomaly as ad
from hilbench.errors import DatasetError

LABELS_FILE = "y_labels.csv"
AD_SUFFIX = "_hist_librosa.bin"
AD_WINDOW_SEP = "#w"  # AD sample ids: f"{file_stem}#w{k}"


@dataclass(frozen=True)
class Vector:
    sample_id: str
    path: Path
    label: int | None
    window: int | None = None  # AD: index of this window within its file (None: the whole file)


@dataclass(frozen=True)
class ADInput:
    """How AD windows become model input: the model input tensor's quantization."""

    scale: float
    zero_point: int
    dtype: str  # "int8" | "uint8"
    width: int  # values per window the model takes (640)


@dataclass(frozen=True)
class Dataset:
    name: str
    root: Path
    vectors: list[Vector]
    num_classes: int | None
    kind: str = "classifier"  # "classifier" | "ad"
    files: tuple[Vector, ...] = ()  # AD: one Vector per feature file (window None)
    ad_input: ADInput | None = None  # AD: set by for_ad_input(); vectors are then windows

    @property
    def is_ad(self) -> bool:
        return self.kind == "ad"

    def read(self, vector: Vector) -> bytes:
        """The bytes sent to the DUT: the file (classifier) or one quantized AD window."""
        if vector.window is not None:
            if self.ad_input is None:
                raise DatasetError(f"{vector.path}: AD windows need the model input (Dataset.for_ad_input)")
            q = ad.quantize_windows(
                self.float_window(vector)[None],
                self.ad_input.scale,
                self.ad_input.zero_point,
                np.dtype(self.ad_input.dtype),
            )
            return q.tobytes()
        try:
            return vector.path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"{vector.path}: cannot read: {exc.strerror}") from None

    def float_window(self, vector: Vector) -> np.ndarray:
        """AD: the float32 input window (640,) of a window vector, before quantization."""
        if vector.window is None:
            raise ValueError(f"{vector.sample_id} is not an AD window")
        return _ad_windows(str(vector.path))[vector.window]

    def sha256(self) -> str:
        """Hash of the labels and every vector (AD: every file), in order: identifies the data, not the path."""
        h = hashlib.sha256()
        if self.is_ad:
            h.update(f"ad:{ad.AD_FRAMES_PER_WINDOW}x{ad.AD_MEL_BINS}/{ad.AD_STRIDE}\n".encode())
        for v in self.files if self.is_ad else self.vectors:
            h.update(f"{v.sample_id},{v.label}\n".encode())
            h.update(hashlib.sha256(self.read(v)).digest())
        return h.hexdigest()

    def for_model_input(self, tensor: Any, what: str) -> Dataset:
        """The dataset ready for a model input tensor (`hilbench.models.inspect.TensorInfo`):
        a classifier dataset checked against its size, an AD dataset expanded into windows."""
        if self.is_ad:
            single = len(tensor.scale) == 1 and len(tensor.zero_point) == 1
            return self.for_ad_input(
                tensor.scale[0] if single else None,
                tensor.zero_point[0] if single else None,
                tensor.dtype,
                tensor.num_elements,
                what,
            )
        self.check_sizes(tensor.nbytes or 0, what)
        return self

    def check_sizes(self, expected: int, what: str) -> None:
        """Every vector must be exactly the model input's size; name the first that is not."""
        if self.is_ad:
            raise DatasetError(
                f"{self.root}: AD feature files (*{AD_SUFFIX}) are windowed, not sent whole: "
                f"see Dataset.for_model_input"
            )
        for v in self.vectors:
            try:
                size = v.path.stat().st_size
            except OSError as exc:
                raise DatasetError(f"{v.path}: cannot read: {exc.strerror}") from None
            if size != expected:
                hint = ""
                frame = ad.AD_MEL_BINS * 4
                if expected == ad.AD_WINDOW_SIZE and size % frame == 0:
                    hint = (
                        f" (AD feature files, float32 frames x {ad.AD_MEL_BINS}, must be named *{AD_SUFFIX})"
                    )
                raise DatasetError(f"{v.path}: {size} bytes, but {what} takes {expected} bytes{hint}")

    def for_ad_input(
        self, scale: float | None, zero_point: int | None, dtype: str, width: int, what: str
    ) -> Dataset:
        """AD: expand every file into its windows for a model input; one-line errors otherwise.

        The input must be int8/uint8 with one scale and zero point, and take exactly one
        window (5 frames x 128 bins = 640 values). A file must be whole float32 frames of
        128 bins and have at least 5 frames. Window k of `x_hist_librosa.bin` becomes the
        vector `x_hist_librosa#wk`.
        """
        if not self.is_ad:
            raise ValueError("for_ad_input() is for AD datasets")
        if dtype not in ("int8", "uint8") or scale is None or zero_point is None:
            raise DatasetError(
                f"{self.root}: AD feature files are quantized on the host, but {what} is not a quantized "
                "int8/uint8 tensor with one scale and zero point"
            )
        if width != ad.AD_WINDOW_SIZE:
            raise DatasetError(
                f"{self.files[0].path}: AD windows have {ad.AD_WINDOW_SIZE} values "
                f"({ad.AD_FRAMES_PER_WINDOW} frames x {ad.AD_MEL_BINS} mel bins), but {what} takes {width}"
            )
        vectors: list[Vector] = []
        for f in self.files:
            n = _ad_windows(str(f.path)).shape[0]  # reads and checks the file (whole frames, finite)
            if n < 1:
                raise DatasetError(
                    f"{f.path}: {f.path.stat().st_size // (ad.AD_MEL_BINS * 4)} frames, "
                    f"fewer than one window of {ad.AD_FRAMES_PER_WINDOW}"
                )
            vectors += [Vector(f"{f.sample_id}{AD_WINDOW_SEP}{k}", f.path, f.label, k) for k in range(n)]
        return replace(self, vectors=vectors, ad_input=ADInput(float(scale), int(zero_point), dtype, width))


@functools.lru_cache(maxsize=4)
def _ad_windows_cached(path: str, mtime_ns: int, size: int) -> np.ndarray:
    w = ad.ad_windows(ad.load_ad_file(path))
    w.setflags(write=False)
    return w


def _ad_windows(path: str) -> np.ndarray:
    """(W, 640) float32 windows of one AD file, cached (the runner reads them in order)."""
    try:
        st = Path(path).stat()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc.strerror}") from None
    return _ad_windows_cached(path, st.st_mtime_ns, st.st_size)


def ad_file_of(sample_id: str) -> str:
    """The file stem of an AD window's sample id (`x_hist_librosa#w3` -> `x_hist_librosa`)."""
    return sample_id.rsplit(AD_WINDOW_SEP, 1)[0]


def _ad_name_label(name: str) -> int | None:
    base = Path(name).name
    return 1 if base.startswith("anomaly_") else 0 if base.startswith("normal_") else None


def load_dataset(root: str | Path, limit: int | None = None) -> Dataset:
    """Read a dataset directory; one-line DatasetError naming the file, row or field at fault."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset directory not found")
    labels = root / LABELS_FILE
    vectors: list[Vector] = []
    num_classes: int | None = None
    if labels.exists() and not labels.is_file():
        raise DatasetError(f"{labels}: not a file (a directory?); {LABELS_FILE} must be a CSV file")
    if labels.is_file():
        rows = read_csv_rows(labels)
        if not rows:
            bins = len(list(root.glob("*.bin")))
            raise DatasetError(
                f"{labels}: file is empty (no file,num_classes,label rows)"
                + (f"; {bins} *.bin files beside it are not listed" if bins else "")
                + "; fill it, or delete it to run every *.bin unlabelled"
            )
        first_line: dict[str, int] = {}
        for lineno, row in rows:
            if len(row) != 3:
                raise DatasetError(
                    f"{labels}:{lineno}: expected 3 fields file,num_classes,label, got {len(row)}"
                )
            name, ncls, lab = (c.strip() for c in row)
            if not name:
                raise DatasetError(f"{labels}:{lineno}: empty file name")
            try:
                n, label = int(ncls), int(lab)
            except ValueError:
                raise DatasetError(f"{labels}:{lineno}: num_classes and label must be integers") from None
            if n < 1:
                raise DatasetError(f"{labels}:{lineno}: num_classes {n} must be at least 1")
            if not 0 <= label < n:
                raise DatasetError(f"{labels}:{lineno}: label {label} outside 0..{n - 1}")
            if num_classes is not None and n != num_classes:
                raise DatasetError(
                    f"{labels}:{lineno}: num_classes {n} differs from earlier rows ({num_classes})"
                )
            num_classes = n
            key = os.path.normpath(name)
            if key in first_line:
                raise DatasetError(
                    f"{labels}:{lineno}: {name} is listed again (first on line {first_line[key]}); "
                    "each vector file may appear once"
                )
            first_line[key] = lineno
            path = root / name
            if not path.is_file():
                raise DatasetError(f"{labels}:{lineno}: vector file {name} not found in {root}")
            vectors.append(Vector(Path(name).stem, path, label))
        _check_unique_ids(labels, vectors, first_line)
    else:
        vectors = [Vector(p.stem, p, None) for p in sorted(root.glob("*.bin"))]
    if not vectors:
        raise DatasetError(f"{root}: no vectors (no {LABELS_FILE} and no *.bin files)")
    ad_files = [v for v in vectors if v.path.name.endswith(AD_SUFFIX)]
    if ad_files and len(ad_files) != len(vectors):
        other = next(v for v in vectors if not v.path.name.endswith(AD_SUFFIX))
        raise DatasetError(
            f"{other.path}: {len(ad_files)} of {len(vectors)} files are AD feature files (*{AD_SUFFIX}); "
            "a dataset is either all AD feature files or none"
        )
    if limit is not None:
        vectors = vectors[:limit]
    if ad_files:
        return _ad_dataset(root, labels, vectors, num_classes)
    return Dataset(root.name, root, vectors, num_classes)


def _check_unique_ids(labels: Path, vectors: list[Vector], lines: dict[str, int]) -> None:
    """Two listed files with one stem (a.bin, sub/a.bin) would share a sample id in the results."""
    seen: dict[str, Vector] = {}
    for v in vectors:
        other = seen.get(v.sample_id)
        if other is not None:
            a, b = (os.path.normpath(str(x.path.relative_to(labels.parent))) for x in (other, v))
            raise DatasetError(
                f"{labels}:{lines.get(b, 0)}: {b} and {a} (line {lines.get(a, 0)}) share the sample id "
                f"{v.sample_id!r}; rename one"
            )
        seen[v.sample_id] = v


def _ad_dataset(root: Path, labels: Path, files: list[Vector], num_classes: int | None) -> Dataset:
    """AD files: labels 1 = anomaly, 0 = normal, from the CSV (which must agree with the names)
    or from the names; vectors stay empty until the model input is known (for_ad_input)."""
    out: list[Vector] = []
    if num_classes is not None and num_classes != 2:
        raise DatasetError(
            f"{labels}: AD labels are file,2,label (1 = anomaly, 0 = normal); num_classes is {num_classes}"
        )
    for v in files:
        from_name = _ad_name_label(v.path.name)
        label = v.label if num_classes is not None else from_name
        if from_name is not None and label is not None and label != from_name:
            raise DatasetError(
                f"{labels}: {v.path.name} is labelled {label} ({'anomaly' if label else 'normal'}) "
                f"but its name says {'anomaly' if from_name else 'normal'}"
            )
        out.append(Vector(v.sample_id, v.path, label))
    return Dataset(root.name, root, [], None, kind="ad", files=tuple(out))

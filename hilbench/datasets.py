"""Test-vector sets in MLPerf Tiny's layout, accepted as they ship.

A dataset is a directory of raw input files (the bytes of one input tensor each) and,
optionally, `y_labels.csv` with rows `file,num_classes,label` and no header, as in
MLPerf Tiny / EEMBC's energyrunner. Without the CSV every `*.bin` is a vector with no
label (accuracy is then not reported).
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from hilbench.errors import DatasetError

LABELS_FILE = "y_labels.csv"


@dataclass(frozen=True)
class Vector:
    sample_id: str
    path: Path
    label: int | None


@dataclass(frozen=True)
class Dataset:
    name: str
    root: Path
    vectors: list[Vector]
    num_classes: int | None

    def read(self, vector: Vector) -> bytes:
        try:
            return vector.path.read_bytes()
        except OSError as exc:
            raise DatasetError(f"{vector.path}: cannot read: {exc.strerror}") from None

    def sha256(self) -> str:
        """Hash of the labels and every vector, in order: identifies the data, not the path."""
        h = hashlib.sha256()
        for v in self.vectors:
            h.update(f"{v.sample_id},{v.label}\n".encode())
            h.update(hashlib.sha256(self.read(v)).digest())
        return h.hexdigest()

    def check_sizes(self, expected: int, what: str) -> None:
        """Every vector must be exactly the model input's size; name the first that is not."""
        for v in self.vectors:
            try:
                size = v.path.stat().st_size
            except OSError as exc:
                raise DatasetError(f"{v.path}: cannot read: {exc.strerror}") from None
            if size != expected:
                raise DatasetError(
                    f"{v.path}: {size} bytes, but {what} takes {expected} bytes"
                )


def load_dataset(root: str | Path, limit: int | None = None) -> Dataset:
    """Read a dataset directory; one-line DatasetError naming the file, row or field at fault."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: dataset directory not found")
    labels = root / LABELS_FILE
    vectors: list[Vector] = []
    num_classes: int | None = None
    if labels.is_file():
        with labels.open(newline="", encoding="utf-8") as fh:
            for lineno, row in enumerate(csv.reader(fh), start=1):
                if not row or all(not c.strip() for c in row):
                    continue
                if len(row) != 3:
                    raise DatasetError(f"{labels}:{lineno}: expected 3 fields file,num_classes,label, got {len(row)}")
                name, ncls, lab = (c.strip() for c in row)
                try:
                    n, label = int(ncls), int(lab)
                except ValueError:
                    raise DatasetError(f"{labels}:{lineno}: num_classes and label must be integers") from None
                if not 0 <= label < n:
                    raise DatasetError(f"{labels}:{lineno}: label {label} outside 0..{n - 1}")
                if num_classes is not None and n != num_classes:
                    raise DatasetError(f"{labels}:{lineno}: num_classes {n} differs from earlier rows ({num_classes})")
                num_classes = n
                path = root / name
                if not path.is_file():
                    raise DatasetError(f"{labels}:{lineno}: vector file {name} not found in {root}")
                vectors.append(Vector(Path(name).stem, path, label))
    else:
        vectors = [Vector(p.stem, p, None) for p in sorted(root.glob("*.bin"))]
    if not vectors:
        raise DatasetError(f"{root}: no vectors (no {LABELS_FILE} and no *.bin files)")
    if limit is not None:
        vectors = vectors[:limit]
    return Dataset(root.name, root, vectors, num_classes)

"""The shipped demo workload: reproducible byte for byte, and accurate on the reference.

Why: the demo is what every job runs with no hardware and no download; if regenerating it
on another machine gave other bytes, model_sha256 in results would drift between hosts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hilbench.demo import DEMO_DATASET, DEMO_INPUT_BYTES, DEMO_MODEL, DEMO_NUM_CLASSES

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_demo_model.py"


def _run_script(*args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},
        timeout=240,
    )


def _labels() -> list[tuple[str, int, int]]:
    rows = []
    for line in (DEMO_DATASET / "y_labels.csv").read_text(encoding="ascii").splitlines():
        name, classes, label = line.split(",")
        rows.append((name, int(classes), int(label)))
    return rows


def test_dataset_layout_matches_mlperf_tiny() -> None:
    raw = (DEMO_DATASET / "y_labels.csv").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    rows = _labels()
    assert len(rows) == 360
    assert not rows[0][0].startswith("file")  # no header, like MLPerf Tiny's files
    assert {classes for _, classes, _ in rows} == {DEMO_NUM_CLASSES}
    assert {label for _, _, label in rows} == set(range(DEMO_NUM_CLASSES))
    bins = sorted(p.name for p in DEMO_DATASET.glob("*.bin"))
    assert bins == sorted(name for name, _, _ in rows)
    assert all((DEMO_DATASET / n).stat().st_size == DEMO_INPUT_BYTES for n in bins)


def test_demo_regenerates_byte_identically() -> None:
    pytest.importorskip("sklearn", reason="scikit-learn is needed to regenerate the demo data")
    proc = _run_script("--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_check_reports_a_modified_file(tmp_path: Path) -> None:
    pytest.importorskip("sklearn", reason="scikit-learn is needed to regenerate the demo data")
    shutil.copy(DEMO_MODEL, tmp_path / DEMO_MODEL.name)
    shutil.copytree(DEMO_DATASET, tmp_path / DEMO_DATASET.name)
    vec = tmp_path / DEMO_DATASET.name / "digit_0007.bin"
    vec.write_bytes(b"\x00" * DEMO_INPUT_BYTES)
    proc = _run_script("--check", "--out", str(tmp_path))
    assert proc.returncode == 1
    assert "digits/digit_0007.bin: content differs" in proc.stderr


def test_demo_accuracy_on_the_reference_interpreter() -> None:
    pytest.importorskip("tflite_micro", reason="tflite-micro is not installed")
    from hilbench.models.reference import ReferenceInterpreter

    ref = ReferenceInterpreter(DEMO_MODEL)
    assert ref.inputs[0].shape == (1, 64) and ref.inputs[0].dtype == np.int8
    assert ref.outputs[0].shape == (1, DEMO_NUM_CLASSES)
    rows = _labels()
    correct = sum(
        int(np.argmax(ref.run((DEMO_DATASET / name).read_bytes())[0])) == label for name, _, label in rows
    )
    assert correct / len(rows) >= 0.85

"""The style gate (scripts/style.sh): the tree passes every step (ruff format, ruff check,
mypy, clang-format), and a planted violation fails the step that owns it, naming the file.

The tools are the venv's, pinned in pyproject.toml's dev extras.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

STYLE = ROOT / "scripts" / "style.sh"
VENV = Path(sys.executable).parent.parent  # the venv running the tests (not resolved: a symlink)


def _style(
    *steps: str, firmware: Path | None = None, python: Path | None = None
) -> subprocess.CompletedProcess[str]:
    for tool in ("clang-format", "ruff", "mypy"):
        if not (VENV / "bin" / tool).is_file():
            pytest.skip(f"{tool} not installed in {VENV} (pip install -e '.[dev]')")
    env = dict(os.environ, HILBENCH_VENV=str(VENV))
    if firmware is not None:
        env["HILBENCH_STYLE_FIRMWARE"] = str(firmware)
    if python is not None:
        env["HILBENCH_STYLE_PYTHON"] = str(python)
    return subprocess.run(["bash", str(STYLE), *steps], capture_output=True, text=True, env=env, timeout=300)


def test_the_tree_passes_the_whole_gate() -> None:
    proc = _style()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [line.split(":")[1].strip() for line in proc.stdout.splitlines() if line.startswith("style:")] == [
        "ruff format",
        "ruff check",
        "mypy",
        "clang-format",
    ], proc.stdout


@pytest.mark.parametrize(
    ("step", "source", "needle"),
    [
        ("ruff-format", "def f(x):\n  return x\n", "would be reformatted"),
        ("ruff-check", "import os\n\n\ndef f() -> int:\n    return 1\n", "F401"),
        ("mypy", "def f() -> int:\n    return 'one'\n", "Incompatible return value type"),
    ],
)
def test_a_python_violation_fails_its_step_naming_the_file(
    tmp_path: Path, step: str, source: str, needle: str
) -> None:
    bad = tmp_path / "planted.py"
    bad.write_text(source)
    proc = _style(step, python=bad)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[0].endswith("FAILED"), proc.stdout
    assert "planted.py" in proc.stdout and needle in proc.stdout, proc.stdout


def test_firmware_is_clang_formatted() -> None:
    proc = _style("clang-format")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("style: clang-format: ok"), proc.stdout


def test_a_formatting_violation_fails_the_gate_naming_the_file(tmp_path: Path) -> None:
    src = ROOT / "firmware" / "dut" / "hil_crc32.c"
    tree = tmp_path / "fw"
    (tree / "dut").mkdir(parents=True)
    shutil.copy(src, tree / "dut" / "hil_crc32.c")
    shutil.copy(ROOT / "firmware" / "dut" / "hil_cobs.c", tree / "dut" / "hil_cobs.c")
    # the unchanged copy passes ...
    ok = _style("clang-format", firmware=tree)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # ... and one statement squeezed onto a function's line does not
    text = src.read_text()
    bad = text.replace("{\n", "{ ", 1)
    assert bad != text
    (tree / "dut" / "hil_crc32.c").write_text(bad)
    proc = _style("clang-format", firmware=tree)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("style: clang-format: FAILED"), proc.stdout
    assert "hil_crc32.c" in first and "hil_cobs.c" not in first, first


def test_an_unknown_step_is_an_error() -> None:
    proc = _style("clang-fromat")
    assert proc.returncode == 1
    assert "unknown step 'clang-fromat'" in proc.stdout

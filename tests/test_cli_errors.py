"""Bad input: one clear line naming the culprit, exit 2, no traceback, no results that look complete.

These run on the host-native board (the firmware built for this host), so the model checks
that only the DUT can make (an op the runtime lacks) are exercised without an emulator;
tests/test_emulated.py repeats the essential ones on QEMU.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from hilbench import demo
from hilbench.models.builder import ModelBuilder
from tests.clihelp import ROOT, assert_one_line_error, run_cli
from tests.conftest import need_tool


def _no_complete_results(results: Path) -> None:
    assert not list(results.glob("*/samples.parquet"))


@pytest.fixture()
def results(tmp_path: Path) -> Path:
    return tmp_path / "results"


def tanh_model() -> bytes:
    b = ModelBuilder(description="fc then tanh")
    x = b.add_tensor("x", [1, 64], "int8", scale=0.125, zero_point=-128)
    w = b.add_tensor("w", [10, 64], "int8", scale=0.01, zero_point=0, data=np.ones((10, 64), np.int8))
    y = b.add_tensor("y", [1, 10], "int8", scale=0.5, zero_point=0)
    z = b.add_tensor("z", [1, 10], "int8", scale=1 / 128, zero_point=0)
    b.add_op("FULLY_CONNECTED", [x, w, -1], [y])
    b.add_op("TANH", [y], [z])
    b.set_io([x], [z])
    return b.build()


def test_not_a_tflite_file(tmp_path: Path, results: Path) -> None:
    bad = tmp_path / "notes.tflite"
    bad.write_text("this is not a model\n" * 10)
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(bad),
        "--dataset",
        str(demo.DEMO_DATASET),
        "--results-dir",
        str(results),
    )
    assert_one_line_error(r, str(bad))
    _no_complete_results(results)


def test_truncated_model(tmp_path: Path, results: Path) -> None:
    bad = tmp_path / "cut.tflite"
    bad.write_bytes(Path(demo.DEMO_MODEL).read_bytes()[:1500])
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(bad),
        "--dataset",
        str(demo.DEMO_DATASET),
        "--results-dir",
        str(results),
    )
    assert_one_line_error(r, str(bad))
    _no_complete_results(results)


def test_op_the_runtime_lacks_names_op_and_index(tmp_path: Path, results: Path) -> None:
    need_tool("gcc")
    m = tmp_path / "tanh.tflite"
    m.write_bytes(tanh_model())
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(m),
        "--dataset",
        str(demo.DEMO_DATASET),
        "--results-dir",
        str(results),
        "--limit",
        "3",
    )
    line = assert_one_line_error(r, str(m), "TANH", "op 1")
    assert "UNSUPPORTED_OP" in line
    _no_complete_results(results)


def test_dataset_size_mismatch_names_the_vector(tmp_path: Path, results: Path) -> None:
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "a.bin").write_bytes(bytes(64))
    (ds / "b.bin").write_bytes(bytes(49))
    (ds / "y_labels.csv").write_text("a.bin,10,1\nb.bin,10,2\n")
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(demo.DEMO_MODEL),
        "--dataset",
        str(ds),
        "--results-dir",
        str(results),
    )
    assert_one_line_error(r, str(ds / "b.bin"), "49 bytes", "64 bytes")
    _no_complete_results(results)


def test_boards_toml_syntax_error(tmp_path: Path) -> None:
    p = tmp_path / "boards.toml"
    p.write_text("[boards.x]\nkind = \n")
    r = run_cli("boards", "--boards", str(p))
    assert_one_line_error(r, str(p), "TOML syntax error")


def test_boards_toml_unknown_key(tmp_path: Path, results: Path) -> None:
    p = tmp_path / "boards.toml"
    p.write_text(
        (ROOT / "boards.toml").read_text().replace('core = "cortex-m4f"', 'core = "cortex-m4f"\ncores = 2')
    )
    r = run_cli("run", "--boards", str(p), "--results-dir", str(results))
    assert_one_line_error(r, str(p), "[boards.mps2-an386] key 'cores'", "unknown key")


def test_qemu_missing(tmp_path: Path, results: Path) -> None:
    p = tmp_path / "boards.toml"
    p.write_text(
        (ROOT / "boards.toml")
        .read_text()
        .replace('binary = "qemu-system-arm"', 'binary = "qemu-system-armx"')
    )
    r = run_cli("run", "--boards", str(p), "--results-dir", str(results), "--limit", "2")
    assert_one_line_error(r, "qemu-system-armx not found", "apt-get install")
    _no_complete_results(results)


def test_cross_compiler_missing(tmp_path: Path, results: Path) -> None:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("make", "qemu-system-arm", "sh"):
        if shutil.which(tool):
            os.symlink(shutil.which(tool), bindir / tool)  # type: ignore[arg-type]
    r = run_cli("run", "--results-dir", str(results), "--limit", "2", env={"PATH": str(bindir)})
    assert_one_line_error(r, "arm-none-eabi-gcc not found", "apt-get install gcc-arm-none-eabi")
    _no_complete_results(results)


def test_unknown_board(results: Path) -> None:
    r = run_cli("run", "--board", "nano33", "--results-dir", str(results))
    assert_one_line_error(r, "no board named 'nano33'")


def test_model_without_dataset(results: Path) -> None:
    r = run_cli("run", "--model", str(demo.DEMO_MODEL), "--results-dir", str(results))
    assert_one_line_error(r, "--dataset")

"""`hilbench verify --random N`: finite, seeded inputs in each input's meaningful range.

Before: random bytes for every dtype, so a float32 input got NaNs and values like 1e38 and
every tensor "differed". Now integer inputs span their dtype, float inputs the range of the
QUANTIZE op that reads them (else [-1, 1]).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hilbench import demo
from hilbench.models.builder import ModelBuilder
from hilbench.models.inspect import inspect_model
from hilbench.models.random_inputs import FLOAT_DEFAULT_RANGE, input_range, random_vectors
from tests.clihelp import run_cli
from tests.conftest import need_tool

Q_SCALE, Q_ZP = 0.1, -28  # int8 -> real range [-10.0, 15.5]


def float_in_quantized_model() -> bytes:
    """float32[1,16] -> QUANTIZE int8 -> FC int8 -> DEQUANTIZE float32[1,4]: runs on hilbench-rt."""
    b = ModelBuilder(description="float in, int8 inside")
    x = b.add_tensor("x", [1, 16], "float32")
    xq = b.add_tensor("xq", [1, 16], "int8", scale=Q_SCALE, zero_point=Q_ZP)
    rng = np.random.default_rng(1)
    w = b.add_tensor(
        "w", [4, 16], "int8", scale=0.02, zero_point=0, data=rng.integers(-127, 128, (4, 16)).astype(np.int8)
    )
    bias = b.add_tensor("b", [4], "int32", scale=Q_SCALE * 0.02, data=np.array([5, -3, 0, 7], np.int32))
    yq = b.add_tensor("yq", [1, 4], "int8", scale=0.25, zero_point=2)
    y = b.add_tensor("y", [1, 4], "float32")
    b.add_op("QUANTIZE", [x], [xq])
    b.add_op("FULLY_CONNECTED", [xq, w, bias], [yq])
    b.add_op("DEQUANTIZE", [yq], [y])
    b.set_io([x], [y])
    return b.build()


def plain_float_model() -> bytes:
    b = ModelBuilder(description="float fc")
    x = b.add_tensor("x", [1, 8], "float32")
    w = b.add_tensor("w", [2, 8], "float32", data=np.ones((2, 8), np.float32))
    y = b.add_tensor("y", [1, 2], "float32")
    b.add_op("FULLY_CONNECTED", [x, w, -1], [y])
    b.set_io([x], [y])
    return b.build()


def _floats(vectors: list[tuple[str, bytes]]) -> np.ndarray:
    return np.stack([np.frombuffer(v, "<f4") for _, v in vectors])


def test_float_input_uses_the_quantize_ops_range() -> None:
    info = inspect_model(float_in_quantized_model())
    vecs, r = random_vectors(info, 50, seed=3)
    x = _floats(vecs)
    lo, hi = (-128 - Q_ZP) * Q_SCALE, (127 - Q_ZP) * Q_SCALE
    assert np.isfinite(x).all()
    assert x.min() >= np.float32(lo) and x.max() <= np.float32(hi)
    assert x.min() < lo + 1 and x.max() > hi - 1  # spans the range, not a corner of it
    assert (r.low, r.high) == pytest.approx((lo, hi))
    assert "QUANTIZE op 0" in r.describe() and "scale 0.1, zero point -28" in r.describe()


def test_float_input_without_quantize_op_uses_the_documented_default() -> None:
    info = inspect_model(plain_float_model())
    vecs, r = random_vectors(info, 20, seed=0)
    x = _floats(vecs)
    assert np.isfinite(x).all() and x.min() >= -1 and x.max() <= 1 and x.std() > 0.3
    assert (r.low, r.high) == FLOAT_DEFAULT_RANGE and "default [-1, 1]" in r.describe()


def test_same_seed_same_vectors_other_seed_other_vectors() -> None:
    info = inspect_model(float_in_quantized_model())
    assert random_vectors(info, 3, 7)[0] == random_vectors(info, 3, 7)[0]
    assert random_vectors(info, 3, 7)[0] != random_vectors(info, 3, 8)[0]


def test_int8_input_spans_every_code_and_keeps_the_old_sequence() -> None:
    info = inspect_model(demo.DEMO_MODEL)
    vecs, r = random_vectors(info, 40, seed=0)
    codes = np.concatenate([np.frombuffer(v, np.int8) for _, v in vecs])
    assert codes.min() == -128 and codes.max() == 127
    assert (r.low, r.high) == (-128, 127)
    n = info.inputs[0].nbytes
    rng = np.random.default_rng(0)  # what `verify --random` drew before: uniform bytes
    assert [v for _, v in vecs] == [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for _ in range(40)]
    assert input_range(info, info.inputs[0]).describe().endswith("(the dtype's full range)")


def test_verify_random_on_float_input_model_is_bit_exact(tmp_path: Path) -> None:
    """The user's case: `verify --random` on a float-input model must not report NaN differences."""
    need_tool("gcc")
    m = tmp_path / "float_in.tflite"
    m.write_bytes(float_in_quantized_model())
    r = run_cli("verify", "--board", "host", "--model", str(m), "--random", "4", "--seed", "1")
    assert r.code == 0, r.stdout + r.stderr
    assert "uniform in [-10, 15.5]" in r.stdout and "QUANTIZE op 0" in r.stdout
    assert "bit-exact with tflite-micro" in r.stdout and "nan" not in r.stdout.lower()


def _no_input_model() -> bytes:
    b = ModelBuilder(description="no inputs")
    c = b.add_tensor("c", [1, 4], "int8", scale=1.0, zero_point=0, data=np.ones((1, 4), np.int8))
    y = b.add_tensor("y", [1, 4], "int8", scale=1.0, zero_point=0)
    b.add_op("RESHAPE", [c], [y])
    b.set_io([], [y])
    return b.build()


def test_verify_model_without_inputs_is_one_line(tmp_path: Path) -> None:
    from tests.clihelp import assert_one_line_error

    m = tmp_path / "noin.tflite"
    m.write_bytes(_no_input_model())
    r = run_cli("verify", "--board", "host", "--model", str(m), "--dataset", str(demo.DEMO_DATASET))
    assert_one_line_error(r, str(m), "0 inputs; verify checks single-input models")


def test_verify_negative_seed_is_a_usage_error() -> None:
    r = run_cli("verify", "--board", "host", "--random", "1", "--seed", "-5")
    assert r.code == 2 and "Traceback" not in r.stderr and "--seed" in r.stderr


def test_verify_with_nothing_to_check() -> None:
    from tests.clihelp import assert_one_line_error

    r = run_cli("verify", "--board", "host", "--limit", "0")
    assert_one_line_error(r, "nothing to verify: give --dataset with --limit > 0, or --random N")


def test_run_model_without_inputs_is_one_line(tmp_path: Path) -> None:
    from tests.clihelp import assert_one_line_error

    m = tmp_path / "noin.tflite"
    m.write_bytes(_no_input_model())
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(m),
        "--dataset",
        str(demo.DEMO_DATASET),
        "--results-dir",
        str(tmp_path / "results"),
    )
    assert_one_line_error(
        r, str(m), "0 inputs and 1 outputs; hilbench runs single-input, single-output models"
    )

"""Hybrid models (float32 activations, int8 weights) are refused for the real reason.

Before: tflite-micro printed "Hybrid models are not supported" / "Input type: FLOAT32 with
filter type: INT8 not supported" to the C stderr, raised "failed to allocate tensors", and
hilbench retried with ever larger arenas and said "could not fit the model in a 64 MiB
arena". Now the model's tables are checked up front, and any other Prepare refusal carries
tflite-micro's own stderr line.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tflite_micro", reason="tflite-micro is not installed (pip install tflite-micro)")

from hilbench import demo  # noqa: E402
from hilbench.errors import ModelError  # noqa: E402
from hilbench.models.builder import ModelBuilder  # noqa: E402
from hilbench.models.hybrid import find_hybrid_op  # noqa: E402
from hilbench.models.inspect import inspect_model  # noqa: E402
from hilbench.models.reference import ReferenceInterpreter  # noqa: E402
from tests.clihelp import assert_one_line_error, run_cli  # noqa: E402
from tests.conftest import need_tool  # noqa: E402


def hybrid_fc() -> bytes:
    """Dynamic-range quantized FC, as the ToyCar `model_ToyCar_quant.tflite` has: float in, int8 weights."""
    b = ModelBuilder(description="hybrid fc")
    x = b.add_tensor("input", [1, 16], "float32")
    w = b.add_tensor("dense/w", [4, 16], "int8", scale=0.05, zero_point=0, data=np.ones((4, 16), np.int8))
    bias = b.add_tensor("dense/b", [4], "float32", data=np.zeros(4, np.float32))
    y = b.add_tensor("out", [1, 4], "float32")
    b.add_op("FULLY_CONNECTED", [x, w, bias], [y])
    b.set_io([x], [y])
    return b.build()


def hybrid_conv() -> bytes:
    """Hybrid CONV_2D, as MLPerf Tiny's `kws_ref_model_float32.tflite` starts."""
    b = ModelBuilder(description="hybrid conv")
    x = b.add_tensor("mfcc", [1, 49, 10, 1], "float32")
    w = b.add_tensor(
        "conv/w",
        [8, 3, 3, 1],
        "int8",
        scale=[0.02] * 8,
        zero_point=0,
        quantized_dimension=0,
        data=np.ones((8, 3, 3, 1), np.int8),
    )
    bias = b.add_tensor("conv/b", [8], "float32", data=np.zeros(8, np.float32))
    y = b.add_tensor("conv/out", [1, 49, 10, 8], "float32")
    b.add_op("CONV_2D", [x, w, bias], [y], {"padding": "SAME"})
    b.set_io([x], [y])
    return b.build()


def dequantized_weights_fc() -> bytes:
    """Float model whose int8 weights go through DEQUANTIZE first: not hybrid, TFLM runs it."""
    b = ModelBuilder(description="dequantized weights")
    x = b.add_tensor("input", [1, 16], "float32")
    wq = b.add_tensor("wq", [4, 16], "int8", scale=0.05, zero_point=0, data=np.ones((4, 16), np.int8))
    wf = b.add_tensor("wf", [4, 16], "float32")
    y = b.add_tensor("out", [1, 4], "float32")
    b.add_op("DEQUANTIZE", [wq], [wf])
    b.add_op("FULLY_CONNECTED", [x, wf, -1], [y])
    b.set_io([x], [y])
    return b.build()


def test_hybrid_fc_is_named_not_an_arena_problem(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ModelError) as err:
        ReferenceInterpreter(hybrid_fc(), name="toycar_quant.tflite")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("toycar_quant.tflite: hybrid model (float32 activations, int8 weights)")
    assert "op 0 FULLY_CONNECTED" in msg and "'input' (tensor 0)" in msg and "'dense/w' (tensor 1)" in msg
    assert "arena" not in msg
    assert "not supported" not in capfd.readouterr().err  # tflite-micro never ran


def test_hybrid_conv_is_named() -> None:
    found = find_hybrid_op(inspect_model(hybrid_conv()))
    assert found is not None and (found.op.name, found.activation.name, found.weights.name) == (
        "CONV_2D",
        "mfcc",
        "conv/w",
    )
    with pytest.raises(ModelError, match=r"hybrid model .* op 0 CONV_2D takes float32 input 'mfcc'"):
        ReferenceInterpreter(hybrid_conv(), name="kws_ref_model_float32.tflite")


def test_dequantize_then_float_fc_is_not_hybrid() -> None:
    data = dequantized_weights_fc()
    assert find_hybrid_op(inspect_model(data)) is None
    ref = ReferenceInterpreter(data)
    out = ref.run(np.ones((1, 16), np.float32))[0]
    assert np.allclose(out, 16 * 0.05)


def test_int8_models_are_not_hybrid() -> None:
    assert find_hybrid_op(inspect_model(demo.DEMO_MODEL)) is None


def _softmax_bad_output() -> bytes:
    b = ModelBuilder()
    x = b.add_tensor("x", [1, 4], "int8", scale=0.1, zero_point=0)
    y = b.add_tensor("y", [1, 4], "int8", scale=1.0 / 255, zero_point=-128)
    b.add_op("SOFTMAX", [x], [y])
    b.set_io([x], [y])
    return b.build()


def test_other_prepare_refusals_carry_tflite_micros_words(capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ModelError) as err:
        ReferenceInterpreter(_softmax_bad_output(), name="sm.tflite")
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("sm.tflite: tflite-micro refused the model: ")
    assert "output->params.scale == 1.f / 256" in msg and "Node SOFTMAX (number 0) failed to prepare" in msg
    assert "arena" not in msg
    assert "failed to prepare" not in capfd.readouterr().err  # captured, not sprayed on the terminal


def test_cli_run_refuses_hybrid_model_in_one_line(tmp_path: Path) -> None:
    m = tmp_path / "model_ToyCar_quant.tflite"
    m.write_bytes(hybrid_fc())  # float32[1,16] = 64 bytes: the demo vectors fit
    results = tmp_path / "results"
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
        "2",
    )
    assert_one_line_error(r, str(m), "hybrid model", "FULLY_CONNECTED", "'dense/w'")
    assert not list(results.glob("*/samples.parquet"))


def test_dut_runtime_refuses_hybrid_with_unsupported_type(tmp_path: Path) -> None:
    """hilbench-rt (the DUT firmware's runtime, host build) refuses it with UNSUPPORTED_TYPE."""
    need_tool("make")
    need_tool("cc")
    from tests.test_runtime_fc import TOOL, parse_error, run_tool
    import subprocess

    proc = subprocess.run(
        ["make", "-s", "-C", str(TOOL.parents[2] / "tools")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out, _ = run_tool(TOOL, tmp_path, hybrid_fc(), bytes(64))
    err = parse_error(out.stdout)
    assert (err["status"], err["op_index"], err["op_code"], err["value"]) == (10, 0, 9, 0), err
    assert "FLOAT32" in str(err["message"]) and "FULLY_CONNECTED" in str(err["message"])

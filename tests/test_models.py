"""hilbench.models: the pure-Python model builder, inspect_model, the reference interpreter.

Models built here run on tflite-micro, so a builder bug shows up as a load failure or a
wrong number, and malformed files must come back as one-line ModelErrors naming the file.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tflite_micro", reason="tflite-micro is not installed (pip install tflite-micro)")

from hilbench.errors import HilbenchError, ModelError  # noqa: E402
from hilbench.models.builder import ModelBuilder  # noqa: E402
from hilbench.models.inspect import inspect_model  # noqa: E402
from hilbench.models.reference import ReferenceInterpreter  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def fc_softmax_model() -> bytes:
    """x int8[1,4] -> FC(3, RELU) -> RESHAPE [3] -> SOFTMAX; outputs FC result and softmax."""
    b = ModelBuilder(description="fc-reshape-softmax")
    x = b.add_tensor("x", [1, 4], "int8", scale=0.5, zero_point=-1)
    w = b.add_tensor(
        "w", [3, 4], "int8", scale=[0.1, 0.2, 0.3], zero_point=0, data=np.arange(12).reshape(3, 4) - 6
    )
    bias = b.add_tensor("b", [3], "int32", scale=[0.05, 0.1, 0.15], data=np.array([1, 2, 3]))
    y = b.add_tensor("y", [1, 3], "int8", scale=0.25, zero_point=3)
    b.add_op("FULLY_CONNECTED", [x, w, bias], [y], {"fused_activation_function": "RELU"})
    shape = b.add_tensor("shape", [1], "int32", data=np.array([3]))
    r = b.add_tensor("r", [3], "int8", scale=0.25, zero_point=3)
    b.add_op("RESHAPE", [y, shape], [r], {"new_shape": [3]})
    s = b.add_tensor("s", [3], "int8", scale=1 / 256, zero_point=-128)
    b.add_op("SOFTMAX", [r], [s])
    b.set_io(inputs=[x], outputs=[y, s])
    return b.build()


def conv_model() -> bytes:
    """CONV_2D, DEPTHWISE_CONV_2D, PAD, AVERAGE_POOL_2D, ADD, MEAN, CONCATENATION, MUL."""
    b = ModelBuilder(description="conv zoo")
    q = {"scale": 0.05, "zero_point": 0}
    x = b.add_tensor("x", [1, 8, 8, 2], "int8", **q)
    cw = b.add_tensor(
        "conv/w",
        [4, 3, 3, 2],
        "int8",
        scale=[0.01] * 4,
        zero_point=0,
        quantized_dimension=0,
        data=np.ones((4, 3, 3, 2), np.int8),
    )
    cb = b.add_tensor("conv/b", [4], "int32", scale=[0.0005] * 4, data=np.zeros(4, np.int32))
    c = b.add_tensor("conv", [1, 8, 8, 4], "int8", **q)
    b.add_op("CONV_2D", [x, cw, cb], [c], {"padding": "SAME", "fused_activation_function": "RELU6"})
    dw = b.add_tensor(
        "dw/w",
        [1, 3, 3, 4],
        "int8",
        scale=[0.01] * 4,
        zero_point=0,
        quantized_dimension=3,
        data=np.ones((1, 3, 3, 4), np.int8),
    )
    db = b.add_tensor("dw/b", [4], "int32", scale=[0.0005] * 4, data=np.zeros(4, np.int32))
    d = b.add_tensor("dw", [1, 3, 3, 4], "int8", **q)
    b.add_op(
        "DEPTHWISE_CONV_2D",
        [c, dw, db],
        [d],
        {"padding": "VALID", "stride_w": 2, "stride_h": 2, "depth_multiplier": 1},
    )
    pads = b.add_tensor("pads", [4, 2], "int32", data=np.array([[0, 0], [1, 0], [1, 0], [0, 0]]))
    p = b.add_tensor("pad", [1, 4, 4, 4], "int8", **q)
    b.add_op("PAD", [d, pads], [p])
    a = b.add_tensor("pool", [1, 2, 2, 4], "int8", **q)
    b.add_op(
        "AVERAGE_POOL_2D",
        [p],
        [a],
        {"padding": "VALID", "stride_w": 2, "stride_h": 2, "filter_width": 2, "filter_height": 2},
    )
    s = b.add_tensor("add", [1, 2, 2, 4], "int8", **q)
    b.add_op("ADD", [a, a], [s], {"fused_activation_function": "NONE"})
    m = b.add_tensor("mul", [1, 2, 2, 4], "int8", **q)
    b.add_op("MUL", [s, a], [m])
    axes = b.add_tensor("axes", [2], "int32", data=np.array([1, 2]))
    mean = b.add_tensor("mean", [1, 1, 1, 4], "int8", **q)
    b.add_op("MEAN", [m, axes], [mean], {"keep_dims": True})
    cat = b.add_tensor("cat", [1, 1, 1, 8], "int8", **q)
    b.add_op("CONCATENATION", [mean, mean], [cat], {"axis": 3})
    b.set_io(inputs=[x], outputs=[cat])
    return b.build()


# -- builder ----------------------------------------------------------------------------


def test_fc_reshape_softmax_round_trip_through_tflite_micro() -> None:
    ref = ReferenceInterpreter(fc_softmax_model())
    y, s = ref.run(np.array([[1, 2, 3, 4]], dtype=np.int8))
    # x real = 0.5 * (q + 1) = [1, 1.5, 2, 2.5]; row 2: 0.3*[2,3,4,5].x + 0.45 = 8.55
    # -> 8.55 / 0.25 + 3 = 37.2 -> 37; rows 0 and 1 are negative -> RELU -> zero point 3.
    assert y.tolist() == [[3, 3, 37]]
    assert s.shape == (3,) and int(np.argmax(s)) == 2
    assert ref.inputs[0].shape == (1, 4) and ref.inputs[0].zero_point == -1
    assert [o.name for o in ref.outputs] == ["y", "s"]


def test_build_is_deterministic_and_follows_tflite_conventions() -> None:
    data = fc_softmax_model()
    assert data == fc_softmax_model()
    assert data[4:8] == b"TFL3"
    from hilbench.models.builder import load_schema

    schema = load_schema()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    assert model.version == 3
    assert model.buffers[0].data is None  # the empty sentinel
    assert all(t.buffer == 0 for t in model.subgraphs[0].tensors if t.name in (b"x", b"y"))


def test_constant_data_is_16_byte_aligned() -> None:
    b = ModelBuilder()
    x = b.add_tensor("x", [1, 3], "int8", scale=1.0)
    pattern = np.array([7, -3, 100], dtype=np.int8)
    c = b.add_tensor("c", [1, 3], "int8", scale=1.0, data=pattern)
    y = b.add_tensor("y", [1, 3], "int8", scale=1.0)
    b.add_op("ADD", [x, c], [y])
    b.set_io([x], [y])
    data = b.build()
    pos = data.find(pattern.tobytes())
    assert pos > 0 and pos % 16 == 0
    assert ReferenceInterpreter(data).run(np.array([[1, 2, 3]], np.int8))[0].tolist() == [[8, -1, 103]]


def test_conv_family_loads_runs_and_counts_macs() -> None:
    data = conv_model()
    out = ReferenceInterpreter(data).run(np.ones((1, 8, 8, 2), np.int8) * 20)[0]
    assert out.shape == (1, 1, 1, 8)
    info = inspect_model(data)
    macs = {op.name: op.macs for op in info.ops}
    assert macs["CONV_2D"] == 8 * 8 * 4 * 3 * 3 * 2
    assert macs["DEPTHWISE_CONV_2D"] == 3 * 3 * 4 * 3 * 3
    assert macs["ADD"] == 0 and macs["MEAN"] == 0
    assert info.total_macs == macs["CONV_2D"] + macs["DEPTHWISE_CONV_2D"]


def test_options_are_translated_and_checked() -> None:
    from hilbench.models.builder import load_schema

    schema = load_schema()
    b = ModelBuilder()
    x = b.add_tensor("x", [2, 3], "int8", scale=1.0)
    i = b.add_tensor("i", [2], "int32", data=np.array([1, 0]))
    y = b.add_tensor("y", [2, 3], "int8", scale=1.0)
    b.add_op("GATHER", [x, i], [y], {"axis": 0})  # generic path: GatherOptions
    z = b.add_tensor("z", [2, 3], "int8", scale=1.0)
    b.add_op("LEAKY_RELU", [y], [z], {"alpha": 0.25})
    b.set_io([x], [z])
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(b.build(), 0))
    ops = model.subgraphs[0].operators
    assert ops[0].builtinOptionsType == schema.BuiltinOptions.GatherOptions
    assert ops[0].builtinOptions.axis == 0
    assert ops[1].builtinOptions.alpha == 0.25

    with pytest.raises(ModelError, match="no option 'bogus'"):
        b.add_op("FULLY_CONNECTED", [x], [y], {"bogus": 1})
    with pytest.raises(ModelError, match="RELU7"):
        b.add_op("FULLY_CONNECTED", [x], [y], {"fused_activation_function": "RELU7"})
    with pytest.raises(ModelError, match="unknown builtin operator"):
        b.add_op("NOT_AN_OP", [x], [y])
    with pytest.raises(ModelError, match="does not exist"):
        b.add_op("RELU", [x], [99])
    with pytest.raises(ModelError, match="do not fit dtype int8"):
        b.add_tensor("w", [2], "int8", scale=1.0, data=np.array([1, 300]))
    with pytest.raises(ModelError, match="needs 4"):
        b.add_tensor("w", [2, 2], "int8", scale=1.0, data=np.zeros(3))


def test_softmax_defaults_to_beta_one() -> None:
    from hilbench.models.builder import load_schema

    schema = load_schema()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(fc_softmax_model(), 0))
    assert model.subgraphs[0].operators[2].builtinOptions.beta == 1.0


# -- inspect_model ----------------------------------------------------------------------


def test_inspect_model_fields(tmp_path: Path) -> None:
    data = fc_softmax_model()
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    info = inspect_model(path)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert info.size_bytes == len(data)
    assert info.source == str(path)
    assert info.description == "fc-reshape-softmax"
    assert [op.name for op in info.ops] == ["FULLY_CONNECTED", "RESHAPE", "SOFTMAX"]
    assert info.ops[0].inputs == (0, 1, 2) and info.ops[0].outputs == (3,)
    assert [op.macs for op in info.ops] == [12, 0, 0] and info.total_macs == 12
    w = info.tensors[1]
    assert (w.name, w.shape, w.dtype, w.is_constant) == ("w", (3, 4), "int8", True)
    assert w.zero_point == (0, 0, 0) and len(w.scale) == 3
    assert [t.name for t in info.inputs] == ["x"]
    assert [t.name for t in info.outputs] == ["y", "s"]
    assert not info.inputs[0].is_constant and info.inputs[0].scale == (0.5,)
    assert info.to_dict()["op_names"] == ["FULLY_CONNECTED", "RESHAPE", "SOFTMAX"]


MLPERF = ROOT.parent / "shared" / "models" / "mlperf-tiny"


@pytest.mark.skipif(not MLPERF.is_dir(), reason="../shared/models/mlperf-tiny is not present")
@pytest.mark.parametrize(
    ("name", "macs"),
    [
        ("kws_ref_model.tflite", 2_656_768),
        ("ad01_int8.tflite", 264_192),
        ("vww_96_int8.tflite", 7_489_664),
        ("pretrainedResnet_quant.tflite", 12_501_632),
    ],
)
def test_mlperf_tiny_macs(name: str, macs: int) -> None:
    assert inspect_model(MLPERF / name).total_macs == macs


def _assert_one_line_model_error(model: object, label: str, match: str) -> None:
    with pytest.raises(ModelError) as err:
        inspect_model(model)  # type: ignore[arg-type]
    msg = str(err.value)
    assert isinstance(err.value, HilbenchError)
    assert "\n" not in msg
    assert msg.startswith(f"{label}: "), msg
    assert match in msg, msg


def test_malformed_files_give_one_line_model_error(tmp_path: Path) -> None:
    good = fc_softmax_model()
    rng = np.random.default_rng(7)
    cases = {
        "random.tflite": (rng.integers(0, 256, 1000, dtype=np.uint8).tobytes(), "not a TFLite"),
        "truncated.tflite": (good[: len(good) // 3], "truncated"),
        "tiny.tflite": (good[:6], "truncated: 6 bytes"),
        "ident.tflite": (good[:4] + b"abcd" + good[8:], "file identifier b'abcd', expected b'TFL3'"),
        "empty.tflite": (b"", "empty file"),
    }
    for name, (data, match) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        _assert_one_line_model_error(path, str(path), match)
    _assert_one_line_model_error(
        tmp_path / "missing.tflite", str(tmp_path / "missing.tflite"), "no such file"
    )
    _assert_one_line_model_error(tmp_path, str(tmp_path), "is a directory")


def test_corrupted_models_never_escape_as_other_exceptions() -> None:
    good = fc_softmax_model()
    rng = np.random.default_rng(3)
    for _ in range(300):
        data = bytearray(good)
        for _ in range(int(rng.integers(1, 6))):
            data[int(rng.integers(0, len(data)))] = int(rng.integers(0, 256))
        if rng.random() < 0.3:
            data = data[: int(rng.integers(8, len(data)))]
        try:
            inspect_model(bytes(data), name="fuzz.tflite")
        except ModelError as exc:
            assert "\n" not in str(exc) and str(exc).startswith("fuzz.tflite: ")


# -- reference interpreter --------------------------------------------------------------


def test_reference_accepts_raw_bytes_and_checks_sizes() -> None:
    ref = ReferenceInterpreter(fc_softmax_model(), name="fc.tflite")
    assert ref.run(bytes([1, 2, 3, 4]))[0].tolist() == [[3, 3, 37]]
    with pytest.raises(ModelError, match="fc.tflite: input 0 .* needs 4 bytes, got 3"):
        ref.run(b"\x01\x02\x03")
    with pytest.raises(ModelError, match="needs dtype int8"):
        ref.run(np.zeros((1, 4), np.float32))
    assert ref.arena_used_bytes is not None and 0 < ref.arena_used_bytes < ref.arena_size


def test_reference_preserve_all_tensors_exposes_intermediates() -> None:
    ref = ReferenceInterpreter(fc_softmax_model(), preserve_all_tensors=True)
    ref.run(np.array([[1, 2, 3, 4]], np.int8))
    assert ref.tensor(3).tolist() == [[3, 3, 37]]  # FC output
    assert ref.tensor(5).tolist() == [3, 3, 37]  # after RESHAPE
    assert ref.arena_used_bytes is None
    with pytest.raises(ModelError, match="preserve_all_tensors"):
        ReferenceInterpreter(fc_softmax_model()).tensor(3)


def test_reference_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelError, match=f"^{re.escape(str(path))}: "):
        ReferenceInterpreter(path)


def _child_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def test_reference_grows_a_too_small_arena() -> None:
    # Runs in a child: tflite-micro may crash outright on some arena sizes.
    code = textwrap.dedent(
        """
        import numpy as np
        from hilbench.models.builder import ModelBuilder
        from hilbench.models.reference import ReferenceInterpreter
        n = 40000
        b = ModelBuilder()
        x = b.add_tensor("x", [1, n], "int8", scale=1.0)
        w = b.add_tensor("w", [2, n], "int8", scale=1.0, data=np.ones((2, n), np.int8))
        y = b.add_tensor("y", [1, 2], "int8", scale=1000.0)
        b.add_op("FULLY_CONNECTED", [x, w, -1], [y])
        b.set_io([x], [y])
        r = ReferenceInterpreter(b.build(), arena_size=32768)
        assert r.arena_size > 32768, r.arena_size
        assert r.run(np.ones((1, n), np.int8))[0].tolist() == [[40, 40]]
        print("ok", r.arena_size)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=_child_env(), timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.startswith("ok")

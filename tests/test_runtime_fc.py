"""hilbench-rt (firmware/runtime) against the tflite-micro reference interpreter.

Builds the host tool `firmware/build/tools/hil-rt-run` (AddressSanitizer + UBSan), runs
random int8 FULLY_CONNECTED / RESHAPE / SOFTMAX models through it and through
`tflite_micro.runtime.Interpreter`, and requires identical output bytes. Then feeds the
loader malformed models (random bytes, truncations, flipped bytes): the tool must answer
with status 0 or an error, never a sanitizer report, a crash or a hang.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "firmware" / "build" / "tools" / "hil-rt-run"
TIMEOUT = 60

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
from hilbench.models.builder import ModelBuilder  # noqa: E402

SANITIZER_MARKS = ("Sanitizer", "runtime error:", "LeakSanitizer")


@pytest.fixture(scope="module")
def tool() -> Path:
    if shutil.which("make") is None or shutil.which("cc") is None:
        pytest.skip("no C toolchain (make, cc)")
    proc = subprocess.run(
        ["make", "-s", "-C", str(ROOT / "firmware" / "tools")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert TOOL.exists()
    return TOOL


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "abort_on_error=0:exitcode=99:detect_leaks=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=98"
    return env


def _assert_clean(proc: subprocess.CompletedProcess) -> None:
    for mark in SANITIZER_MARKS:
        assert mark not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode in (0, 2), (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])


def run_tool(tool: Path, tmp: Path, model: bytes, inp: bytes, *extra: str):
    mp, ip, op = tmp / "model.tflite", tmp / "input.bin", tmp / "output.bin"
    mp.write_bytes(model)
    ip.write_bytes(inp)
    if op.exists():
        op.unlink()
    proc = subprocess.run(
        [str(tool), *extra, str(mp), str(ip), str(op)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_env(),
    )
    _assert_clean(proc)
    out = op.read_bytes() if proc.returncode == 0 else None
    return proc, out


def parse_error(stdout: str) -> dict[str, object]:
    m = re.match(r"error status=(-?\d+) op_index=(\d+) op_code=(\d+) value=(\d+): (.*)", stdout)
    assert m, stdout
    return {
        "status": int(m[1]),
        "op_index": int(m[2]),
        "op_code": int(m[3]),
        "value": int(m[4]),
        "message": m[5],
    }


def reference(model: bytes, x: np.ndarray) -> np.ndarray:
    interp = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    shape = interp.get_input_details(0)["shape"]
    interp.set_input(x.reshape(shape), 0)
    interp.invoke()
    return interp.get_output(0)


# --------------------------------------------------------------------------- model makers


def _quant_for(values: np.ndarray, rng: np.random.Generator) -> tuple[float, int]:
    """An int8 scale / zero point covering about the range of `values` (sometimes less,
    so that outputs saturate)."""
    lo, hi = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    span = max(hi - lo, 1e-3) * float(rng.uniform(0.6, 1.3))
    scale = span / 255.0
    zp = int(np.clip(round(-128 - lo / scale), -128, 127))
    return float(np.float32(scale)), zp


def make_fc(
    rng,
    batch_shape,
    accum,
    units,
    *,
    act="NONE",
    per_channel=False,
    bias=True,
    keep_num_dims=False,
    filter_zp=0,
):
    in_scale = float(np.float32(rng.uniform(0.005, 0.1)))
    in_zp = int(rng.integers(-128, 128))
    if per_channel:
        f_scales = rng.uniform(0.001, 0.03, size=units).astype(np.float32)
    else:
        f_scales = np.array([rng.uniform(0.001, 0.03)], dtype=np.float32)
    w = rng.integers(-127, 128, size=(units, accum)).astype(np.int8)
    x = rng.integers(-128, 128, size=(*batch_shape, accum)).astype(np.int8)
    b = rng.integers(-(1 << 14), 1 << 14, size=units).astype(np.int32)

    def float_outputs():
        xf = (x.reshape(-1, accum).astype(np.float64) - in_zp) * in_scale
        wf = (w.astype(np.float64) - filter_zp) * f_scales.astype(np.float64).reshape(-1, 1)
        yf = xf @ wf.T
        if bias:
            yf = yf + b * (in_scale * f_scales.astype(np.float64))
        return yf

    # scale the weights so that the outputs spread over the activation's interesting
    # range, then quantize the output to cover about that range
    spread = {"RELU6": 4.0, "RELU_N1_TO_1": 0.8}.get(act)
    if spread is not None:
        f_scales = (f_scales * (spread / (float(np.abs(float_outputs()).max()) + 1e-6))).astype(np.float32)
    lo_hi = {"RELU": (0.0, np.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}
    yf = np.clip(float_outputs(), *lo_hi.get(act, (-np.inf, np.inf)))
    if act in ("RELU6", "RELU_N1_TO_1"):
        yf = np.append(yf, lo_hi[act])  # cover the whole clamp range
    out_scale, out_zp = _quant_for(yf, rng)

    m = ModelBuilder()
    out_shape = [*batch_shape, units] if keep_num_dims else [int(np.prod(batch_shape)), units]
    tx = m.add_tensor("x", [*batch_shape, accum], "int8", scale=in_scale, zero_point=in_zp)
    tw = m.add_tensor(
        "w",
        [units, accum],
        "int8",
        scale=f_scales.tolist() if per_channel else float(f_scales[0]),
        zero_point=[0] * units if per_channel else filter_zp,
        quantized_dimension=0,
        data=w,
    )
    inputs = [tx, tw]
    if bias:
        bscale = (np.float32(in_scale) * f_scales).astype(np.float32)
        inputs.append(
            m.add_tensor(
                "b",
                [units],
                "int32",
                scale=bscale.tolist() if per_channel else float(bscale[0]),
                zero_point=[0] * units if per_channel else 0,
                data=b,
            )
        )
    else:
        inputs.append(-1)
    ty = m.add_tensor("y", out_shape, "int8", scale=out_scale, zero_point=out_zp)
    m.add_op(
        "FULLY_CONNECTED", inputs, [ty], {"fused_activation_function": act, "keep_num_dims": keep_num_dims}
    )
    m.set_io([tx], [ty])
    return m.build(), x


def make_softmax(rng, shape, beta=1.0):
    in_scale = float(np.float32(rng.uniform(0.01, 0.4)))
    in_zp = int(rng.integers(-128, 128))
    m = ModelBuilder()
    tx = m.add_tensor("x", shape, "int8", scale=in_scale, zero_point=in_zp)
    ty = m.add_tensor("y", shape, "int8", scale=1.0 / 256, zero_point=-128)
    m.add_op("SOFTMAX", [tx], [ty], {"beta": beta})
    m.set_io([tx], [ty])
    x = rng.integers(-128, 128, size=shape).astype(np.int8)
    return m.build(), x


def make_mlp(rng):
    """FC(relu) -> RESHAPE -> FC -> SOFTMAX: several ops, planner reuse, shape tensor."""
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 48], "int8", scale=0.05, zero_point=-3)
    w1 = m.add_tensor("w1", [40, 48], "int8", scale=0.01, data=rng.integers(-127, 128, (40, 48)))
    b1 = m.add_tensor(
        "b1",
        [40],
        "int32",
        scale=float(np.float32(0.05) * np.float32(0.01)),
        data=rng.integers(-3000, 3000, 40),
    )
    h1 = m.add_tensor("h1", [1, 40], "int8", scale=0.04, zero_point=-128)
    shp = m.add_tensor("shape", [3], "int32", data=np.array([1, 5, 8]))
    h2 = m.add_tensor("h2", [1, 5, 8], "int8", scale=0.04, zero_point=-128)
    w2 = m.add_tensor(
        "w2",
        [10, 8],
        "int8",
        scale=[0.01 + 0.001 * i for i in range(10)],
        zero_point=[0] * 10,
        data=rng.integers(-127, 128, (10, 8)),
    )
    h3 = m.add_tensor("h3", [5, 10], "int8", scale=0.1, zero_point=5)
    y = m.add_tensor("y", [5, 10], "int8", scale=1.0 / 256, zero_point=-128)
    m.add_op("FULLY_CONNECTED", [tx, w1, b1], [h1], {"fused_activation_function": "RELU"})
    m.add_op("RESHAPE", [h1, shp], [h2], {"new_shape": [1, 5, 8]})
    m.add_op("FULLY_CONNECTED", [h2, w2, -1], [h3])
    m.add_op("SOFTMAX", [h3], [y], {"beta": 1.0})
    m.set_io([tx], [y])
    x = rng.integers(-128, 128, size=(1, 48)).astype(np.int8)
    return m.build(), x


def _check_bit_exact(tool, tmp_path, model, x):
    proc, out = run_tool(tool, tmp_path, model, x.tobytes())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.fullmatch(r"arena_used=\d+ ops=\d+\n", proc.stdout), proc.stdout
    ref = reference(model, x)
    assert out == ref.tobytes(), (np.frombuffer(out, np.int8), ref.ravel())
    return proc


# --------------------------------------------------------------------------- bit-exactness

FC_CASES = [
    # batch_shape, accum, units, act, per_channel, bias, keep_num_dims, filter_zp
    ((1,), 8, 4, "NONE", False, True, False, 0),
    ((1,), 64, 10, "RELU", False, True, False, 0),
    ((3,), 17, 5, "RELU6", False, False, False, 0),
    ((2,), 128, 33, "RELU_N1_TO_1", False, True, False, 0),
    ((1,), 1, 1, "NONE", False, True, False, 0),
    ((4,), 250, 12, "NONE", False, True, False, 3),
    ((1,), 64, 10, "NONE", True, True, False, 0),
    ((2,), 31, 7, "RELU", True, False, False, 0),
    ((5,), 96, 24, "RELU6", True, True, False, 0),
    ((1,), 9, 3, "RELU_N1_TO_1", True, True, False, 0),
    ((2, 3), 16, 6, "NONE", False, True, True, 0),
    ((2, 3), 16, 6, "RELU", False, True, False, 0),
    ((2, 3), 16, 6, "RELU6", True, True, True, 0),
    ((1,), 2000, 3, "NONE", False, True, False, 0),
]


@pytest.mark.parametrize(
    "case",
    FC_CASES,
    ids=lambda c: (
        f"b{c[0]}-{c[1]}x{c[2]}-{c[3]}"
        f"{'-pc' if c[4] else ''}{'' if c[5] else '-nobias'}"
        f"{'-keep' if c[6] else ''}{'-fzp' if c[7] else ''}"
    ),
)
def test_fully_connected_bit_exact(tool, tmp_path, case):
    batch_shape, accum, units, act, pc, bias, keep, fzp = case
    rng = np.random.default_rng(zlib.crc32(repr(case).encode()))
    for _ in range(3):
        model, x = make_fc(
            rng,
            batch_shape,
            accum,
            units,
            act=act,
            per_channel=pc,
            bias=bias,
            keep_num_dims=keep,
            filter_zp=fzp,
        )
        _check_bit_exact(tool, tmp_path, model, x)


@pytest.mark.parametrize(
    "shape,beta",
    [
        ([1, 10], 1.0),
        ([2, 5], 0.5),
        ([4, 1, 33], 2.0),
        ([1, 1], 1.0),
        ([3, 200], 1.0),
    ],
)
def test_softmax_bit_exact(tool, tmp_path, shape, beta):
    rng = np.random.default_rng(len(shape) * 1000 + shape[-1])
    for _ in range(4):
        model, x = make_softmax(rng, shape, beta)
        _check_bit_exact(tool, tmp_path, model, x)


def test_multi_op_model_bit_exact(tool, tmp_path):
    rng = np.random.default_rng(7)
    for _ in range(3):
        model, x = make_mlp(rng)
        proc = _check_bit_exact(tool, tmp_path, model, x)
        assert "ops=4" in proc.stdout


def test_demo_model_bit_exact(tool, tmp_path):
    demo = ROOT / "hilbench" / "demo" / "digits_mlp.tflite"
    if not demo.exists():
        pytest.skip("no demo model")
    model = demo.read_bytes()
    for sample in sorted((ROOT / "hilbench" / "demo" / "digits").glob("*.bin"))[:5]:
        _check_bit_exact(tool, tmp_path, model, np.fromfile(sample, dtype=np.int8))


# --------------------------------------------------------------------------- errors


def test_arena_too_small_reports_bytes_needed(tool, tmp_path):
    model, x = make_mlp(np.random.default_rng(1))
    proc, _ = run_tool(tool, tmp_path, model, x.tobytes(), "--arena", "64")
    assert proc.returncode == 2
    err = parse_error(proc.stdout)
    assert err["status"] == 11 and err["value"] > 64, err
    need = int(err["value"])
    proc, _ = run_tool(tool, tmp_path, model, x.tobytes(), "--arena", str(need))
    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.startswith(f"arena_used={need} ")
    proc, _ = run_tool(tool, tmp_path, model, x.tobytes(), "--arena", str(need - 1))
    assert parse_error(proc.stdout)["status"] == 11


def test_unsupported_op_is_named(tool, tmp_path):
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 4], "int8", scale=0.1, zero_point=0)
    ty = m.add_tensor("y", [1, 4], "int8", scale=0.1, zero_point=0)
    tz = m.add_tensor("z", [1, 4], "int8", scale=0.1, zero_point=0)
    m.add_op("RESHAPE", [tx], [ty])
    m.add_op("TANH", [ty], [tz])
    m.set_io([tx], [tz])
    proc, _ = run_tool(tool, tmp_path, m.build(), bytes(4))
    err = parse_error(proc.stdout)
    assert (err["status"], err["op_index"], err["op_code"]) == (9, 1, 28), err
    assert "TANH" in str(err["message"])


def test_unsupported_fused_activation_is_refused(tool, tmp_path):
    # TFLM silently ignores TANH on an int8 FULLY_CONNECTED; hilbench-rt refuses it
    rng = np.random.default_rng(4)
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 8], "int8", scale=0.1, zero_point=0)
    tw = m.add_tensor("w", [4, 8], "int8", scale=0.1, data=rng.integers(-127, 128, (4, 8)))
    ty = m.add_tensor("y", [1, 4], "int8", scale=0.1, zero_point=0)
    m.add_op("FULLY_CONNECTED", [tx, tw, -1], [ty], {"fused_activation_function": "TANH"})
    m.set_io([tx], [ty])
    proc, _ = run_tool(tool, tmp_path, m.build(), bytes(8))
    err = parse_error(proc.stdout)
    assert (err["status"], err["op_index"], err["op_code"]) == (9, 0, 9), err
    assert "TANH" in str(err["message"])


def test_unsupported_type_is_named(tool, tmp_path):
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 4], "float32")
    tw = m.add_tensor("w", [2, 4], "float32", data=np.ones((2, 4), np.float32))
    ty = m.add_tensor("y", [1, 2], "float32")
    m.add_op("FULLY_CONNECTED", [tx, tw, -1], [ty])
    m.set_io([tx], [ty])
    proc, _ = run_tool(tool, tmp_path, m.build(), bytes(16))
    err = parse_error(proc.stdout)
    assert (err["status"], err["op_index"], err["op_code"], err["value"]) == (10, 0, 9, tx), err
    assert "FLOAT32" in str(err["message"]) and "FULLY_CONNECTED" in str(err["message"])


def _fc_bad_bias_scale() -> bytes:
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 4], "int8", scale=0.1, zero_point=0)
    tw = m.add_tensor("w", [2, 4], "int8", scale=0.1, data=np.ones((2, 4), np.int8))
    tb = m.add_tensor("b", [2], "int32", scale=0.5, data=np.ones(2, np.int32))
    ty = m.add_tensor("y", [1, 2], "int8", scale=0.1, zero_point=0)
    m.add_op("FULLY_CONNECTED", [tx, tw, tb], [ty])
    m.set_io([tx], [ty])
    return m.build()


def _softmax_bad_output() -> bytes:
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 4], "int8", scale=0.1, zero_point=0)
    ty = m.add_tensor("y", [1, 4], "int8", scale=1.0 / 255, zero_point=-128)
    m.add_op("SOFTMAX", [tx], [ty])
    m.set_io([tx], [ty])
    return m.build()


@pytest.mark.parametrize("make", [_fc_bad_bias_scale, _softmax_bad_output])
def test_refuses_what_tflm_refuses(tool, tmp_path, make):
    model = make()
    with pytest.raises(RuntimeError):
        runtime.Interpreter.from_bytes(model, arena_size=1 << 16)
    proc, _ = run_tool(tool, tmp_path, model, bytes(4))
    err = parse_error(proc.stdout)
    assert (err["status"], err["op_index"]) == (10, 0), err


def test_external_buffer_data_refused(tool, tmp_path):
    """Buffers with offset > 1 (data after the flatbuffer) are refused: TFLM ignores them."""
    import flatbuffers

    from hilbench.models.builder import load_schema

    schema = load_schema()
    model, x = make_mlp(np.random.default_rng(2))
    mt = schema.ModelT.InitFromPackedBuf(model, 0)
    for b in mt.buffers:
        if b.data is not None and len(b.data):
            b.size, b.data, b.offset = len(b.data), None, len(model)
    fbb = flatbuffers.Builder(1024)
    fbb.Finish(mt.Pack(fbb), file_identifier=b"TFL3")
    proc, _ = run_tool(tool, tmp_path, bytes(fbb.Output()) + bytes(4096), x.tobytes())
    err = parse_error(proc.stdout)
    assert err["status"] == 8 and "external" in str(err["message"]), err


def test_input_size_must_match(tool, tmp_path):
    model, x = make_softmax(np.random.default_rng(3), [1, 10])
    proc, _ = run_tool(tool, tmp_path, model, x.tobytes()[:-1])
    err = parse_error(proc.stdout)
    assert err["status"] == 3 and err["value"] == 10, err


# --------------------------------------------------------------------------- robustness


def _check_many(tool: Path, tmp: Path, blobs: list[bytes]) -> list[int]:
    """Load (and invoke if valid) every blob in one tool process; return the statuses."""
    d = tmp / "blobs"
    d.mkdir(exist_ok=True)
    paths = []
    for i, b in enumerate(blobs):
        p = d / f"{i:05d}.bin"
        p.write_bytes(b)
        paths.append(str(p))
    proc = subprocess.run(
        [str(tool), "--check", *paths],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_env(),
    )
    last = proc.stdout.strip().splitlines()[-1:] or ["(none)"]
    for mark in SANITIZER_MARKS:
        assert mark not in proc.stderr, f"after {last}: {proc.stderr[-3000:]}"
    assert proc.returncode == 0, (proc.returncode, last, proc.stderr[-3000:])
    statuses = [int(m) for m in re.findall(r"status=(-?\d+)", proc.stdout)]
    assert len(statuses) == len(blobs), proc.stdout[-500:]
    return statuses


def test_random_bytes_never_crash(tool, tmp_path):
    rng = np.random.default_rng(11)
    blobs = [rng.integers(0, 256, int(n), dtype=np.uint8).tobytes() for n in rng.integers(0, 4000, 150)]
    # random bodies behind a plausible header (root offset + "TFL3")
    for n in rng.integers(8, 3000, 150):
        body = bytearray(rng.integers(0, 256, int(n), dtype=np.uint8).tobytes())
        body[0:4] = int(rng.integers(8, max(9, n))).to_bytes(4, "little")
        body[4:8] = b"TFL3"
        blobs.append(bytes(body))
    statuses = _check_many(tool, tmp_path, blobs)
    assert all(s != 0 for s in statuses)


def test_truncated_models_never_crash(tool, tmp_path):
    model, _ = make_mlp(np.random.default_rng(5))
    cuts = sorted(set(range(0, len(model), 7)) | set(range(0, 64)) | set(range(len(model) - 64, len(model))))
    statuses = _check_many(tool, tmp_path, [model[:n] for n in cuts] + [model])
    assert statuses[-1] == 0
    assert all(s != 0 for s in statuses[:-1])


def test_flipped_bytes_never_crash(tool, tmp_path):
    rng = np.random.default_rng(9)
    blobs = []
    for model, _ in (make_mlp(rng), make_fc(rng, (2,), 16, 4, per_channel=True), make_softmax(rng, [2, 6])):
        for off in range(len(model)):
            for flip in (0xFF, 1 << int(rng.integers(0, 8))):
                b = bytearray(model)
                b[off] ^= flip
                blobs.append(bytes(b))
    statuses = _check_many(tool, tmp_path, blobs)
    assert len(statuses) == len(blobs)

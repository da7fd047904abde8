"""hilbench-rt's windowed int8 kernels against the tflite-micro reference interpreter.

CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D and PAD / PADV2: hundreds of
seeded random single-op models (shapes, strides, SAME / VALID padding, dilations, depth
multipliers, groups, fused activations, per-tensor / per-channel filters, with and without
bias) and a few multi-op chains, each a tiny .tflite written in pure Python, run through
the sanitizer build of `firmware/build/tools/hil-rt-run` (many models per process) and
through `tflite_micro`; the output bytes must be identical. Then the refusals: float32 and
int16 models are named, models TFLM refuses are refused, and models TFLM would mis-run are
refused on purpose; flipped bytes of these models never upset the sanitizers.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "firmware" / "build" / "tools" / "hil-rt-run"
TIMEOUT = 120
CHUNK = 150  # models per tool process

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
from hilbench.models.builder import ModelBuilder  # noqa: E402

SANITIZER_MARKS = ("Sanitizer", "runtime error:", "LeakSanitizer")
ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")
ACT_RANGE = {"RELU": (0.0, np.inf), "RELU6": (0.0, 6.0), "RELU_N1_TO_1": (-1.0, 1.0)}

# op name -> number of random models (seeded; >= 100 per op)
N_RANDOM = {"CONV_2D": 300, "DEPTHWISE_CONV_2D": 300, "AVERAGE_POOL_2D": 150, "MAX_POOL_2D": 150, "PAD": 150}


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
    last = proc.stdout.strip().splitlines()[-1:] or ["(none)"]
    for mark in SANITIZER_MARKS:
        assert mark not in proc.stderr, f"after {last}: {proc.stderr[-3000:]}"
    assert proc.returncode in (0, 2), (proc.returncode, last, proc.stderr[-3000:])


def run_many(tool: Path, tmp: Path, cases: list[tuple[bytes, bytes]]) -> list[tuple[str, bytes | None]]:
    """Run (model, input) pairs through the tool, CHUNK per process; per case the tool's
    result line and the output bytes (None on an error line)."""
    results: list[tuple[str, bytes | None]] = []
    d = tmp / "many"
    d.mkdir(exist_ok=True)
    for start in range(0, len(cases), CHUNK):
        args, outs = [], []
        for i, (model, inp) in enumerate(cases[start : start + CHUNK], start):
            mp, ip, op = d / f"m{i:05d}.tflite", d / f"i{i:05d}.bin", d / f"o{i:05d}.bin"
            mp.write_bytes(model)
            ip.write_bytes(inp)
            if op.exists():
                op.unlink()
            args += [str(mp), str(ip), str(op)]
            outs.append(op)
        proc = subprocess.run([str(tool), *args], capture_output=True, text=True, timeout=TIMEOUT, env=_env())
        _assert_clean(proc)
        lines = proc.stdout.splitlines()
        assert len(lines) == len(outs), proc.stdout[-2000:]
        for line, op in zip(lines, outs):
            ok = line.startswith("arena_used=")
            results.append((line, op.read_bytes() if ok else None))
    return results


def reference(model: bytes, x: np.ndarray) -> np.ndarray:
    interp = runtime.Interpreter.from_bytes(model, arena_size=1 << 20)
    interp.set_input(x.reshape(interp.get_input_details(0)["shape"]), 0)
    interp.invoke()
    return interp.get_output(0)


def parse_error(line: str) -> dict[str, object]:
    m = re.match(r"error status=(-?\d+) op_index=(\d+) op_code=(\d+) value=(\d+): (.*)", line)
    assert m, line
    return {
        "status": int(m[1]),
        "op_index": int(m[2]),
        "op_code": int(m[3]),
        "value": int(m[4]),
        "message": m[5],
    }


def check_bit_exact(tool: Path, tmp: Path, cases: list["Case"]) -> None:
    results = run_many(tool, tmp, [(c.model, c.x.tobytes()) for c in cases])
    bad = []
    for c, (line, out) in zip(cases, results):
        if out is None:
            bad.append(f"{c.desc}: {line}")
            continue
        ref = reference(c.ref_model or c.model, c.x)
        if out != ref.tobytes():
            got = np.frombuffer(out, np.int8)
            n = int(np.count_nonzero(got != ref.ravel())) if got.size == ref.size else -1
            bad.append(f"{c.desc}: {n} of {ref.size} bytes differ")
    assert not bad, f"{len(bad)} of {len(cases)} models differ:\n" + "\n".join(bad[:20])


# --------------------------------------------------------------------------- model makers


@dataclass
class Case:
    model: bytes
    x: np.ndarray
    desc: str = ""
    ref_model: bytes | None = None  # what tflite-micro runs instead, if not `model`


def out_size(padding: str, size: int, f: int, stride: int, dil: int = 1) -> int:
    """TFLM ComputeOutSize (C division truncates toward zero)."""
    eff = (f - 1) * dil + 1
    num = size + stride - 1 if padding == "SAME" else size + stride - eff
    return int(num / stride) if num >= 0 else -((-num) // stride)


def pad_before(size: int, f: int, stride: int, dil: int, out: int) -> int:
    eff = (f - 1) * dil + 1
    return max(0, (out - 1) * stride + eff - size) // 2


def _quant_for(values: np.ndarray, rng: np.random.Generator) -> tuple[float, int]:
    """An int8 scale / zero point covering about the range of `values` (sometimes less,
    so that outputs saturate)."""
    lo, hi = float(min(values.min(), 0.0)), float(max(values.max(), 0.0))
    span = max(hi - lo, 1e-3) * float(rng.uniform(0.6, 1.3))
    scale = span / 255.0
    zp = int(np.clip(round(-128 - lo / scale), -128, 127))
    return float(np.float32(scale)), zp


def _windows(xs: np.ndarray, fh: int, fw: int, stride, dil, pad, out_hw):
    """Yield (fy, fx, patch[B, OH, OW, C]) of the zero-padded int64 input `xs`."""
    b, h, w, c = xs.shape
    (sh, sw), (dh, dw), (ph, pw), (oh, ow) = stride, dil, pad, out_hw
    need_h = (oh - 1) * sh + (fh - 1) * dh + 1
    need_w = (ow - 1) * sw + (fw - 1) * dw + 1
    xp = np.zeros((b, max(need_h, h + ph), max(need_w, w + pw), c), np.int64)
    xp[:, ph : ph + h, pw : pw + w, :] = xs
    for fy in range(fh):
        for fx in range(fw):
            yield (
                fy,
                fx,
                xp[
                    :,
                    fy * dh : fy * dh + (oh - 1) * sh + 1 : sh,
                    fx * dw : fx * dw + (ow - 1) * sw + 1 : sw,
                    :,
                ],
            )


def _float_out(acc: np.ndarray, in_scale: float, f_scales: np.ndarray) -> np.ndarray:
    return acc.astype(np.float64) * in_scale * f_scales.astype(np.float64)


def _output_quant(rng, act, float_of_scales, f_scales):
    """Rescale filter scales so outputs spread over the activation's range, pick the
    output quantization; returns (f_scales, out_scale, out_zp)."""
    spread = {"RELU6": 4.0, "RELU_N1_TO_1": 0.8}.get(act)
    if spread is not None:
        peak = float(np.abs(float_of_scales(f_scales)).max()) + 1e-6
        f_scales = (f_scales * (spread / peak)).astype(np.float32)
    yf = np.clip(float_of_scales(f_scales), *ACT_RANGE.get(act, (-np.inf, np.inf))).ravel()
    if act in ("RELU6", "RELU_N1_TO_1"):
        yf = np.append(yf, ACT_RANGE[act])
    out_scale, out_zp = _quant_for(yf, rng)
    return f_scales, out_scale, out_zp


def _geometry(rng, max_hw=12, max_f=5, dilate=True, max_stride=3):
    """Random (in_hw, f_hw, stride, dil, padding, out_hw) with a non-empty output."""
    while True:
        padding = str(rng.choice(["SAME", "VALID"]))
        in_hw = [int(v) for v in rng.integers(1, max_hw + 1, 2)]
        f_hw = [int(v) for v in rng.integers(1, max_f + 1, 2)]
        stride = [int(v) for v in rng.integers(1, max_stride + 1, 2)]
        dil = [int(v) for v in rng.integers(1, 4, 2)] if dilate and rng.random() < 0.3 else [1, 1]
        out_hw = [out_size(padding, in_hw[k], f_hw[k], stride[k], dil[k]) for k in range(2)]
        if min(out_hw) >= 1:
            pad = [pad_before(in_hw[k], f_hw[k], stride[k], dil[k], out_hw[k]) for k in range(2)]
            return in_hw, f_hw, stride, dil, padding, out_hw, pad


def make_conv(rng: np.random.Generator, *, depthwise: bool = False) -> Case:
    in_hw, f_hw, stride, dil, padding, out_hw, pad = _geometry(rng)
    batch = int(rng.choice([1, 1, 1, 2]))
    act = str(rng.choice(ACTS))
    per_channel = bool(rng.random() < 0.5)
    has_bias = bool(rng.random() < 0.8)
    if depthwise:
        in_c = int(rng.integers(1, 9))
        dm = int(rng.choice([1, 1, 1, 2, 3]))
        out_c = in_c * dm
        groups, fc = 1, 1
        w_shape = [1, *f_hw, out_c]
    else:
        groups = int(rng.choice([1, 1, 1, 1, 2, 3]))
        fc = int(rng.integers(1, 9))
        in_c = fc * groups
        out_c = groups * int(rng.integers(1, 7))
        dm = 1
        w_shape = [out_c, *f_hw, fc]
    in_scale = float(np.float32(rng.uniform(0.005, 0.1)))
    in_zp = int(rng.integers(-128, 128))
    f_scales = rng.uniform(0.001, 0.03, size=out_c if per_channel else 1).astype(np.float32)
    w = rng.integers(-127, 128, size=w_shape).astype(np.int8)
    x = rng.integers(-128, 128, size=(batch, *in_hw, in_c)).astype(np.int8)
    bias = rng.integers(-(1 << 13), 1 << 13, size=out_c).astype(np.int32)

    acc = np.zeros((batch, *out_hw, out_c), np.int64)
    xs = x.astype(np.int64) - in_zp
    for fy, fx, patch in _windows(xs, *f_hw, stride, dil, pad, out_hw):
        if depthwise:
            acc += np.repeat(patch, dm, axis=-1) * w[0, fy, fx, :].astype(np.int64)
        else:
            fpg = out_c // groups
            for g in range(groups):
                acc[..., g * fpg : (g + 1) * fpg] += (
                    patch[..., g * fc : (g + 1) * fc]
                    @ w[g * fpg : (g + 1) * fpg, fy, fx, :].astype(np.int64).T
                )
    if has_bias:
        acc += bias

    def float_of(fs):
        return _float_out(acc, in_scale, np.broadcast_to(fs, (out_c,)))

    f_scales, out_scale, out_zp = _output_quant(rng, act, float_of, f_scales)

    def build(bias_data):
        m = ModelBuilder()
        tx = m.add_tensor("x", [batch, *in_hw, in_c], "int8", scale=in_scale, zero_point=in_zp)
        tw = m.add_tensor(
            "w",
            w_shape,
            "int8",
            scale=f_scales.tolist() if per_channel else float(f_scales[0]),
            zero_point=[0] * out_c if per_channel else 0,
            quantized_dimension=3 if depthwise else 0,
            data=w,
        )
        inputs = [tx, tw]
        if bias_data is not None:
            bscale = (np.float32(in_scale) * f_scales).astype(np.float32)
            inputs.append(
                m.add_tensor(
                    "b",
                    [out_c],
                    "int32",
                    scale=bscale.tolist() if per_channel else float(bscale[0]),
                    zero_point=[0] * len(bscale),
                    data=bias_data,
                )
            )
        else:
            inputs.append(-1)
        ty = m.add_tensor("y", [batch, *out_hw, out_c], "int8", scale=out_scale, zero_point=out_zp)
        opts = {
            "padding": padding,
            "stride_h": stride[0],
            "stride_w": stride[1],
            "dilation_h_factor": dil[0],
            "dilation_w_factor": dil[1],
            "fused_activation_function": act,
        }
        if depthwise:
            opts["depth_multiplier"] = dm
        m.add_op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", inputs, [ty], opts)
        m.set_io([tx], [ty])
        return m.build()

    desc = (
        f"{'dw' if depthwise else 'conv'} x{[batch, *in_hw, in_c]} w{w_shape} s{stride} "
        f"d{dil} {padding} {act} {'pc' if per_channel else 'pt'}"
        f"{'' if has_bias else ' nobias'}{f' g{groups}' if groups > 1 else ''}"
        f"{f' dm{dm}' if dm > 1 else ''}"
    )
    model = build(bias if has_bias else None)
    # TFLM's depthwise prepare crashes without a bias (it deallocates the absent tensor):
    # its reference for "no bias" is the same model with a zero bias, which adds nothing
    ref = build(np.zeros(out_c, np.int32)) if depthwise and not has_bias else None
    return Case(model, x, desc, ref)


def make_pool(rng: np.random.Generator, op: str) -> Case:
    in_hw, f_hw, stride, _, padding, out_hw, _ = _geometry(rng, max_hw=14, max_f=6, dilate=False)
    if rng.random() < 0.15:  # global pooling, as the MLPerf models end with
        padding, f_hw, stride, out_hw = "VALID", list(in_hw), [1, 1], [1, 1]
    batch = int(rng.choice([1, 1, 2]))
    depth = int(rng.integers(1, 12))
    act = str(rng.choice(ACTS))
    zp = int(rng.integers(-128, 128))
    # a scale that makes the activation bounds land inside the int8 range
    scale = float(np.float32(rng.uniform(0.004, 0.04)))
    m = ModelBuilder()
    tx = m.add_tensor("x", [batch, *in_hw, depth], "int8", scale=scale, zero_point=zp)
    ty = m.add_tensor("y", [batch, *out_hw, depth], "int8", scale=scale, zero_point=zp)
    m.add_op(
        op,
        [tx],
        [ty],
        {
            "padding": padding,
            "stride_h": stride[0],
            "stride_w": stride[1],
            "filter_height": f_hw[0],
            "filter_width": f_hw[1],
            "fused_activation_function": act,
        },
    )
    m.set_io([tx], [ty])
    x = rng.integers(-128, 128, size=(batch, *in_hw, depth)).astype(np.int8)
    if rng.random() < 0.3:  # sums near zero: the rounding of negative averages
        x = rng.integers(-3, 4, size=x.shape).astype(np.int8)
    desc = f"{op} x{[batch, *in_hw, depth]} f{f_hw} s{stride} {padding} {act}"
    return Case(m.build(), x, desc)


def make_pad(rng: np.random.Generator) -> Case:
    ndims = int(rng.integers(1, 6))
    shape = [int(v) for v in rng.integers(1, 6, ndims)]
    pads = rng.integers(0, 4, size=(ndims, 2))
    pads[rng.random(ndims) < 0.3] = 0
    out_shape = [s + int(a) + int(b) for s, (a, b) in zip(shape, pads)]
    scale = float(np.float32(rng.uniform(0.01, 0.1)))
    zp = int(rng.integers(-128, 128))
    kind = str(rng.choice(["PAD", "PADV2", "PADV2_NOVALUE"]))
    m = ModelBuilder()
    tx = m.add_tensor("x", shape, "int8", scale=scale, zero_point=zp)
    tp = m.add_tensor("paddings", [ndims, 2], "int32", data=pads.astype(np.int32))
    ty = m.add_tensor("y", out_shape, "int8", scale=scale, zero_point=zp)
    inputs = [tx, tp]
    if kind == "PADV2":
        value = np.array([int(rng.integers(-128, 128))], np.int8)
        inputs.append(
            m.add_tensor(
                "value", [1] if rng.random() < 0.5 else [], "int8", scale=scale, zero_point=zp, data=value
            )
        )
    m.add_op("PADV2" if kind != "PAD" else "PAD", inputs, [ty])
    m.set_io([tx], [ty])
    x = rng.integers(-128, 128, size=shape).astype(np.int8)
    return Case(m.build(), x, f"{kind} x{shape} pads{pads.tolist()}")


def make_chain(rng: np.random.Generator) -> Case:
    """PAD -> CONV_2D(relu6) -> DEPTHWISE(relu) -> MAX_POOL -> CONV_2D 1x1 -> AVERAGE_POOL
    (global) -> RESHAPE -> FULLY_CONNECTED -> SOFTMAX, per-channel weights."""
    m = ModelBuilder()
    h, c = int(rng.integers(8, 17)), int(rng.integers(1, 4))
    s_in, s_act = 0.03, 0.024
    tx = m.add_tensor("x", [1, h, h, c], "int8", scale=s_in, zero_point=-10)
    tp = m.add_tensor("p", [4, 2], "int32", data=np.array([[0, 0], [1, 1], [1, 1], [0, 0]]))
    t0 = m.add_tensor("t0", [1, h + 2, h + 2, c], "int8", scale=s_in, zero_point=-10)
    m.add_op("PAD", [tx, tp], [t0])

    def conv(name, src, shape_in, out_c, k, stride, act, dw=False, padding="VALID"):
        hin = shape_in[1]
        hout = out_size(padding, hin, k, stride)
        cin = shape_in[3]
        w_shape = [1, k, k, out_c] if dw else [out_c, k, k, cin]
        fs = rng.uniform(0.002, 0.02, out_c).astype(np.float32)
        w = m.add_tensor(
            name + "_w",
            w_shape,
            "int8",
            scale=fs.tolist(),
            zero_point=[0] * out_c,
            quantized_dimension=3 if dw else 0,
            data=rng.integers(-127, 128, w_shape),
        )
        in_scale = s_in if src in (tx, t0) else s_act
        b = m.add_tensor(
            name + "_b",
            [out_c],
            "int32",
            scale=(np.float32(in_scale) * fs).tolist(),
            zero_point=[0] * out_c,
            data=rng.integers(-2000, 2000, out_c),
        )
        y = m.add_tensor(name, [1, hout, hout, out_c], "int8", scale=s_act, zero_point=-128)
        opts = {"padding": padding, "stride_h": stride, "stride_w": stride, "fused_activation_function": act}
        if dw:
            opts["depth_multiplier"] = out_c // cin
        m.add_op("DEPTHWISE_CONV_2D" if dw else "CONV_2D", [src, w, b], [y], opts)
        return y, [1, hout, hout, out_c]

    t1, s1 = conv("c1", t0, [1, h + 2, h + 2, c], 8, 3, 1, "RELU6")
    t2, s2 = conv("c2", t1, s1, 16, 3, 2, "RELU", dw=True, padding="SAME")
    hp = out_size("SAME", s2[1], 2, 2)
    t3 = m.add_tensor("mp", [1, hp, hp, 16], "int8", scale=s_act, zero_point=-128)
    m.add_op(
        "MAX_POOL_2D",
        [t2],
        [t3],
        {"padding": "SAME", "stride_h": 2, "stride_w": 2, "filter_height": 2, "filter_width": 2},
    )
    t4, s4 = conv("c4", t3, [1, hp, hp, 16], 12, 1, 1, "NONE")
    t5 = m.add_tensor("ap", [1, 1, 1, 12], "int8", scale=s_act, zero_point=-128)
    m.add_op(
        "AVERAGE_POOL_2D",
        [t4],
        [t5],
        {"padding": "VALID", "stride_h": 1, "stride_w": 1, "filter_height": s4[1], "filter_width": s4[2]},
    )
    shp = m.add_tensor("shape", [2], "int32", data=np.array([1, 12]))
    t6 = m.add_tensor("flat", [1, 12], "int8", scale=s_act, zero_point=-128)
    m.add_op("RESHAPE", [t5, shp], [t6], {"new_shape": [1, 12]})
    fw = m.add_tensor("fc_w", [5, 12], "int8", scale=0.01, data=rng.integers(-127, 128, (5, 12)))
    t7 = m.add_tensor("logits", [1, 5], "int8", scale=0.05, zero_point=0)
    m.add_op("FULLY_CONNECTED", [t6, fw, -1], [t7])
    t8 = m.add_tensor("prob", [1, 5], "int8", scale=1.0 / 256, zero_point=-128)
    m.add_op("SOFTMAX", [t7], [t8], {"beta": 1.0})
    m.set_io([tx], [t8])
    x = rng.integers(-128, 128, size=(1, h, h, c)).astype(np.int8)
    return Case(m.build(), x, f"chain h{h} c{c}")


def _random_cases(op: str) -> list[Case]:
    rng = np.random.default_rng(zlib.crc32(op.encode()))
    n = N_RANDOM[op]
    if op == "CONV_2D":
        return [make_conv(rng) for _ in range(n)]
    if op == "DEPTHWISE_CONV_2D":
        return [make_conv(rng, depthwise=True) for _ in range(n)]
    if op == "PAD":
        return [make_pad(rng) for _ in range(n)]
    return [make_pool(rng, op) for _ in range(n)]


# --------------------------------------------------------------------------- bit-exactness


@pytest.mark.parametrize("op", list(N_RANDOM))
def test_random_models_bit_exact(tool, tmp_path, op):
    cases = _random_cases(op)
    assert len(cases) >= 100
    check_bit_exact(tool, tmp_path, cases)


def test_random_cases_cover_the_options():
    """The seeded generators do reach every option (guards against a silent narrowing)."""
    descs = [c.desc for op in ("CONV_2D", "DEPTHWISE_CONV_2D") for c in _random_cases(op)]
    text = "\n".join(descs)
    for needle in (
        "SAME",
        "VALID",
        " pc",
        " pt",
        "nobias",
        " g2",
        " g3",
        " dm2",
        " dm3",
        *(f" {a} " for a in ACTS),
    ):
        assert needle in text, needle
    assert any(re.search(r"d\[(?!1, 1\])", d) for d in descs)  # some dilation
    assert any(re.search(r"s\[(?!1, 1\])", d) for d in descs)  # some stride
    pads = "\n".join(c.desc for c in _random_cases("PAD"))
    assert all(f"{k} x" in pads for k in ("PAD", "PADV2", "PADV2_NOVALUE"))


def test_chains_bit_exact(tool, tmp_path):
    rng = np.random.default_rng(2024)
    cases = [make_chain(rng) for _ in range(6)]
    check_bit_exact(tool, tmp_path, cases)
    for line, _ in run_many(tool, tmp_path, [(c.model, c.x.tobytes()) for c in cases[:1]]):
        assert line.endswith("ops=9"), line


def test_average_pool_rounding(tool, tmp_path):
    """(sum +- count/2) / count truncating: halves round away from zero, both signs."""
    cases = []
    for values in (
        [1, 2],
        [-1, -2],
        [1, 1, 1, 2],
        [-1, -1, -1, -2],
        [3, -4],
        [-3, 4],
        [127, 126],
        [-128, -127],
        [0, 0, 0, -1],
        [0, 0, 0, 1],
        [-1, 0, 0, 0, 0, 0],
    ):
        n = len(values)
        m = ModelBuilder()
        tx = m.add_tensor("x", [1, 1, n, 1], "int8", scale=0.1, zero_point=0)
        ty = m.add_tensor("y", [1, 1, 1, 1], "int8", scale=0.1, zero_point=0)
        m.add_op(
            "AVERAGE_POOL_2D",
            [tx],
            [ty],
            {"padding": "VALID", "stride_h": 1, "stride_w": 1, "filter_height": 1, "filter_width": n},
        )
        m.set_io([tx], [ty])
        cases.append(Case(m.build(), np.array(values, np.int8).reshape(1, 1, n, 1), str(values)))
    check_bit_exact(tool, tmp_path, cases)


def _quantize_multiplier(d: float) -> tuple[int, int]:
    """TFLite QuantizeMultiplier (frexp, round half away from zero)."""
    if d == 0.0:
        return 0, 0
    q, shift = math.frexp(d)
    q_fixed = int(math.floor(abs(q) * (1 << 31) + 0.5)) * (1 if q >= 0 else -1)
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def _mbqm(x: np.ndarray, m: int, shift: int) -> np.ndarray:
    """MultiplyByQuantizedMultiplier (double rounding) on int64 arrays of int32 values."""
    x = (x.astype(np.int64) << max(shift, 0)).astype(np.int32).astype(np.int64)
    ab = x * m
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    hi = ab + nudge
    hi = np.where(hi >= 0, hi >> 31, -((-hi) >> 31))  # C++ division truncates
    right = max(-shift, 0)
    mask = (1 << right) - 1
    rem = hi & mask
    thr = (mask >> 1) + (hi < 0)
    return (hi >> right) + (rem > thr)


@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D"])
def test_per_tensor_multiplier_is_all_double(tool, tmp_path, op):
    """A per-tensor conv's multiplier is (double)in * (double)f / (double)out; FULLY_CONNECTED's
    (double)(float)(in * f) / out would give other bytes. Scales where the two differ, and
    accumulators (through the bias) where that changes the output, are searched for."""
    rng = np.random.default_rng(99 if op == "CONV_2D" else 98)
    cases, float_product_outputs = [], []
    while len(cases) < 12:
        s_in, s_f = (float(np.float32(v)) for v in rng.uniform(0.001, 0.1, 2))
        # tiny effective scales: large accumulators, where a multiplier a few units off shows
        s_out = float(np.float32(s_in * s_f / 10 ** rng.uniform(-7.5, -5)))
        exact = _quantize_multiplier(s_in * s_f / s_out)
        rounded = _quantize_multiplier(float(np.float32(s_in) * np.float32(s_f)) / s_out)
        if exact == rounded:
            continue
        # the outputs step near acc = (k + 1/2) * 2^(31 - shift) / multiplier
        k = np.arange(-120, 120) + 0.5
        steps = np.concatenate([k * 2.0 ** (31 - sh) / mu for mu, sh in (exact, rounded)])
        acc = (np.floor(steps)[:, None] + np.arange(-2, 3)).ravel().astype(np.int64)
        acc = acc[np.abs(acc) < 2**31 - 256]
        a, b = _mbqm(acc, *exact), _mbqm(acc, *rounded)
        hit = np.flatnonzero((a != b) & (np.abs(a) < 120))
        if hit.size == 0:
            continue
        acc0 = int(acc[hit[0]])
        m = ModelBuilder()
        tx = m.add_tensor("x", [1, 1, 1, 1], "int8", scale=s_in, zero_point=0)
        tw = m.add_tensor(
            "w", [1, 1, 1, 1], "int8", scale=s_f, zero_point=0, data=np.ones((1, 1, 1, 1), np.int8)
        )
        tb = m.add_tensor(
            "b",
            [1],
            "int32",
            scale=float(np.float32(s_in) * np.float32(s_f)),
            zero_point=0,
            data=np.array([acc0], np.int32),
        )
        ty = m.add_tensor("y", [1, 1, 1, 1], "int8", scale=s_out, zero_point=0)
        m.add_op(op, [tx, tw, tb], [ty], {"padding": "VALID"})
        m.set_io([tx], [ty])
        cases.append(Case(m.build(), np.zeros((1, 1, 1, 1), np.int8), f"acc {acc0} {exact}"))
        float_product_outputs.append(int(b[hit[0]]))
    check_bit_exact(tool, tmp_path, cases)
    for c, wrong in zip(cases, float_product_outputs):  # the test does discriminate
        assert int(reference(c.model, c.x).ravel()[0]) != wrong, c.desc


# --------------------------------------------------------------------------- refusals


def _conv_model(
    in_type="int8",
    filter_type="int8",
    bias_type="int32",
    out_type="int8",
    out_hw=(4, 4),
    filter_zp=0,
    f_scales=(0.01,),
    op="CONV_2D",
    dm=1,
    lead=False,
    qdim=None,
):
    """A 1x4x4x2 -> 3x3 SAME conv / depthwise; lead=True puts a MAX_POOL_2D on a second
    input first, so the conv is op 1."""
    m = ModelBuilder()
    quant = {} if in_type == "float32" else {"scale": 0.05, "zero_point": 0}
    tx = m.add_tensor("x", [1, 4, 4, 2], in_type, **quant)
    out_c = 2 * dm if op == "DEPTHWISE_CONV_2D" else 3
    w_shape = [1, 3, 3, out_c] if op == "DEPTHWISE_CONV_2D" else [out_c, 3, 3, 2]
    wq = (
        {}
        if filter_type == "float32"
        else {
            "scale": list(f_scales) if len(f_scales) > 1 else f_scales[0],
            "zero_point": filter_zp if len(f_scales) == 1 else [filter_zp] * len(f_scales),
            "quantized_dimension": qdim if qdim is not None else 3 if op == "DEPTHWISE_CONV_2D" else 0,
        }
    )
    np_types = {"int8": np.int8, "float32": np.float32, "int16": np.int16}
    tw = m.add_tensor("w", w_shape, filter_type, data=np.ones(w_shape, np_types[filter_type]), **wq)
    bq = {} if bias_type == "float32" else {"scale": 0.0005, "zero_point": 0}
    b_np = {"int32": np.int32, "int64": np.int64, "float32": np.float32}[bias_type]
    tb = m.add_tensor("b", [out_c], bias_type, data=np.zeros(out_c, b_np), **bq)
    oq = {} if out_type == "float32" else {"scale": 0.1, "zero_point": 0}
    ty = m.add_tensor("y", [1, *out_hw, out_c], out_type, **oq)
    opts = {"padding": "SAME", "stride_h": 1, "stride_w": 1}
    if op == "DEPTHWISE_CONV_2D":
        opts["depth_multiplier"] = dm
    ins, outs = [tx], [ty]
    if lead:
        ta = m.add_tensor("a", [1, 2, 2, 1], "int8", scale=0.1, zero_point=0)
        tz = m.add_tensor("z", [1, 1, 1, 1], "int8", scale=0.1, zero_point=0)
        m.add_op(
            "MAX_POOL_2D",
            [ta],
            [tz],
            {"padding": "VALID", "stride_h": 1, "stride_w": 1, "filter_height": 2, "filter_width": 2},
        )
        ins, outs = [ta, tx], [tz, ty]
    m.add_op(op, [tx, tw, tb], [ty], opts)
    m.set_io(ins, outs)
    return m.build(), {"x": tx, "w": tw, "b": tb, "y": ty}


def _pool_model(op, dtype="int8", in_scale=0.1, out_scale=0.1, in_zp=0, out_zp=0):
    m = ModelBuilder()
    q = dtype != "float32"
    tx = m.add_tensor("x", [1, 4, 4, 2], dtype, **({"scale": in_scale, "zero_point": in_zp} if q else {}))
    ty = m.add_tensor("y", [1, 2, 2, 2], dtype, **({"scale": out_scale, "zero_point": out_zp} if q else {}))
    m.add_op(
        op,
        [tx],
        [ty],
        {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_height": 2, "filter_width": 2},
    )
    m.set_io([tx], [ty])
    return m.build(), tx


def _pad_model(
    dtype="int8",
    pads=((0, 0), (1, 1), (1, 1), (0, 0)),
    out_shape=(1, 4, 4, 1),
    value_zp=None,
    pad_type="int32",
):
    m = ModelBuilder()
    q = {"scale": 0.1, "zero_point": 3} if dtype != "float32" else {}
    tx = m.add_tensor("x", [1, 2, 2, 1], dtype, **q)
    np_pad = np.int32 if pad_type == "int32" else np.int64
    tp = m.add_tensor("p", [len(pads), 2], pad_type, data=np.array(pads, np_pad))
    ty = m.add_tensor("y", list(out_shape), dtype, **q)
    ins = [tx, tp]
    if value_zp is not None:
        ins.append(m.add_tensor("v", [1], dtype, scale=0.1, zero_point=value_zp, data=np.array([5], np.int8)))
    m.add_op("PADV2" if value_zp is not None else "PAD", ins, [ty])
    m.set_io([tx], [ty])
    return m.build(), tx


def _load_error(tool, tmp_path, model: bytes, input_size: int) -> dict[str, object]:
    ((line, out),) = run_many(tool, tmp_path, [(model, bytes(input_size))])
    assert out is None, line
    return parse_error(line)


def test_float32_conv_refused_naming_op_and_tensor(tool, tmp_path):
    model, t = _conv_model("float32", "float32", "float32", "float32", lead=True)
    err = _load_error(tool, tmp_path, model, 4 + 4 * 32)
    assert (err["status"], err["op_index"], err["op_code"], err["value"]) == (10, 1, 3, t["x"])
    assert "FLOAT32" in str(err["message"]) and "CONV_2D" in str(err["message"]), err


@pytest.mark.parametrize("op", ["CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D", "PAD"])
def test_int16_activations_refused(tool, tmp_path, op):
    if op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        model, t = _conv_model("int16", "int8", "int64", "int16", op=op)
        x = t["x"]
    elif op == "PAD":
        model, x = _pad_model("int16")
    else:
        model, x = _pool_model(op, "int16")
    # a model TFLM runs (its 16x8 kernels); hilbench-rt is int8 only
    interp = runtime.Interpreter.from_bytes(model, arena_size=1 << 16)
    interp.invoke()
    err = _load_error(tool, tmp_path, model, 64)
    assert (err["status"], err["op_index"], err["value"]) == (10, 0, x), err
    assert "INT16" in str(err["message"]) and op in str(err["message"]), err


TFLM_REFUSES = {
    "pool scales differ": lambda: _pool_model("AVERAGE_POOL_2D", out_scale=0.2)[0],
    "pool zero points differ": lambda: _pool_model("MAX_POOL_2D", out_zp=1)[0],
    "pad output shape": lambda: _pad_model(out_shape=(1, 4, 5, 1))[0],
    "padv2 value zero point": lambda: _pad_model(value_zp=4)[0],
    # per-channel scales along another dimension than the output channels
    "conv scales != channels": lambda: _conv_model(f_scales=(0.01, 0.02), qdim=3)[0],
    "depthwise scales != channels": lambda: _conv_model(
        op="DEPTHWISE_CONV_2D", qdim=1, f_scales=(0.01, 0.02, 0.03)
    )[0],
}


@pytest.mark.parametrize("name", list(TFLM_REFUSES))
def test_refuses_what_tflm_refuses(tool, tmp_path, name):
    model = TFLM_REFUSES[name]()
    with pytest.raises(RuntimeError):
        interp = runtime.Interpreter.from_bytes(model, arena_size=1 << 16)
        interp.invoke()
    err = _load_error(tool, tmp_path, model, 64)
    assert err["status"] in (8, 10) and err["op_index"] == 0, err


DELIBERATE = {
    # TFLM trusts the model's output shape, ignores the filter zero point, writes out of
    # bounds with a wrong depth multiplier, garbles negative paddings, reads int64 paddings
    # as int32: hilbench-rt refuses them all at load
    "conv output shape": (lambda: _conv_model(out_hw=(4, 3))[0], 8, "padding gives 4x4"),
    "filter zero point": (lambda: _conv_model(filter_zp=5)[0], 10, "zero point"),
    "negative paddings": (lambda: _pad_model(pads=((0, 0), (-1, 3), (1, 1), (0, 0)))[0], 9, "negative"),
    "int64 paddings": (lambda: _pad_model(pad_type="int64")[0], 10, "INT64"),
}


@pytest.mark.parametrize("name", list(DELIBERATE))
def test_deliberate_refusals(tool, tmp_path, name):
    make, status, text = DELIBERATE[name]
    err = _load_error(tool, tmp_path, make(), 64)
    assert err["status"] == status and err["op_index"] == 0, err
    assert text in str(err["message"]), err


def test_depth_multiplier_must_match_channels(tool, tmp_path):
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 4, 4, 2], "int8", scale=0.05, zero_point=0)
    tw = m.add_tensor("w", [1, 3, 3, 6], "int8", scale=0.01, data=np.ones((1, 3, 3, 6)))
    ty = m.add_tensor("y", [1, 4, 4, 6], "int8", scale=0.1, zero_point=0)
    m.add_op("DEPTHWISE_CONV_2D", [tx, tw, -1], [ty], {"padding": "SAME", "depth_multiplier": 2})
    m.set_io([tx], [ty])
    err = _load_error(tool, tmp_path, m.build(), 32)
    assert err["status"] == 8 and "multiplier" in str(err["message"]), err


def test_arena_holds_per_channel_state(tool, tmp_path):
    """A conv's prepared state (multipliers, shifts) is counted in arena_used, and the
    arena the tool reports as needed is exactly enough."""
    rng = np.random.default_rng(3)
    case = make_conv(rng)
    ((line, out),) = run_many(tool, tmp_path, [(case.model, case.x.tobytes())])
    used = int(re.match(r"arena_used=(\d+)", line)[1])
    mp, ip, op = tmp_path / "m.tflite", tmp_path / "i.bin", tmp_path / "o.bin"
    mp.write_bytes(case.model)
    ip.write_bytes(case.x.tobytes())
    for arena, ok in ((used, True), (used - 1, False)):
        proc = subprocess.run(
            [str(tool), "--arena", str(arena), str(mp), str(ip), str(op)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=_env(),
        )
        _assert_clean(proc)
        assert (proc.returncode == 0) == ok, proc.stdout


# --------------------------------------------------------------------------- robustness


def test_flipped_bytes_never_crash(tool, tmp_path):
    """Every byte of small CONV / DEPTHWISE / POOL / PAD models flipped: load (and invoke
    if it loads) stays clean under the sanitizers."""
    rng = np.random.default_rng(17)
    models = [
        _conv_model()[0],
        _conv_model(op="DEPTHWISE_CONV_2D", f_scales=(0.01, 0.02))[0],
        _pool_model("AVERAGE_POOL_2D")[0],
        _pool_model("MAX_POOL_2D")[0],
        _pad_model(value_zp=3)[0],
        make_chain(rng).model,
    ]
    d = tmp_path / "blobs"
    d.mkdir()
    paths = []
    for k, model in enumerate(models):
        step = 1 if len(model) < 3000 else 3
        for off in range(0, len(model), step):
            b = bytearray(model)
            b[off] ^= 0xFF if off % 2 else 1 << int(rng.integers(0, 8))
            p = d / f"{k}_{off:06d}.bin"
            p.write_bytes(bytes(b))
            paths.append(str(p))
    for start in range(0, len(paths), 2000):
        chunk = paths[start : start + 2000]
        proc = subprocess.run(
            [str(tool), "--check", *chunk], capture_output=True, text=True, timeout=300, env=_env()
        )
        _assert_clean(proc)
        assert proc.returncode == 0
        assert len(re.findall(r"status=(-?\d+)", proc.stdout)) == len(chunk)

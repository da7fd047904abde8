"""hilbench-rt's optimised kernels (HIL_USE_DSP: SMLAD / SXTB16 ...; HIL_USE_MVE: Helium)
against tflite-micro.

The Cortex-M4 / M7 boards build hilbench-rt with -DHIL_USE_DSP, the Cortex-M55 board
(mps3-an547) with -DHIL_USE_MVE (hil_kernels_mve.c); the host build keeps the portable
kernels (tests/test_ops_conv.py & co. check those). Here, seeded random models aimed at
every optimised path -- pointwise CONV_2D (GEMM with the offset folded into the bias),
direct CONV_2D on in_c % 4 == 0 (interior two-pixel tiles, border pixels), the im2col
CONV_2D (in_c % 4 != 0, repacked filter), DEPTHWISE_CONV_2D (3x3 row ring, general
windows), FULLY_CONNECTED (four rows at a time) and ADD -- with the edge cases the
arithmetic hinges on: int32 accumulators that wrap, requantization multipliers >= 0.5
(no right shift) and > 1 (left shift), clamps that are not [-128, 127], odd channel
counts, zero points at the ends of the range. Each model's output bytes must equal
tflite-micro's.

* `emulated`: all models on mps2-an386 (Cortex-M4, DSP kernels) and on mps3-an547
  (Cortex-M55, MVE kernels), the real instructions under QEMU, one QEMU session per board
  through the device API;
* host: the same models through a sanitizer build of `hil-rt-run` with -DHIL_USE_DSP on
  the C emulations of the DSP instructions (hil_kernels.h), which also catches any read
  outside a tensor.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
from hilbench.models.builder import ModelBuilder  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FW = ROOT / "firmware"
DSP_TOOL = FW / "build" / "tools" / "hil-rt-run-dsp"
N_RANDOM = 200  # random models (plus the targeted ones)
SEED = 20240611


@dataclass
class Case:
    model: bytes
    x: bytes
    desc: str
    ref_model: bytes | None = None  # what tflite-micro runs, if not `model`


def reference(case: Case) -> bytes:
    interp = runtime.Interpreter.from_bytes(case.ref_model or case.model, arena_size=1 << 21)
    d = interp.get_input_details(0)
    x = np.frombuffer(case.x, np.int8)
    interp.set_input(x.reshape(d["shape"]), 0)
    interp.invoke()
    return interp.get_output(0).tobytes()


# --------------------------------------------------------------------------- generators

ACTS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")


def _f32(v: float) -> float:
    return float(np.float32(v))


def _out_size(padding: str, size: int, f: int, stride: int, dil: int) -> int:
    eff = (f - 1) * dil + 1
    num = size + stride - 1 if padding == "SAME" else size + stride - eff
    return num // stride if num >= 0 else -((-num) // stride)


def _layer_quant(rng, kind: str, channels: int, per_channel: bool):  # type: ignore[no-untyped-def]
    """Bias or not, input scale and zero point (the ends of the range included), filter
    scale(s): the draws every conv / depthwise / FC model makes, in this order."""
    has_bias = kind == "wrap" or bool(rng.random() < 0.85)
    in_scale = _f32(rng.uniform(0.005, 0.1))
    in_zp = int(rng.choice([-128, 127, int(rng.integers(-128, 128))]))
    f_base = float(rng.uniform(0.002, 0.02))
    f_scales = (f_base * rng.uniform(0.5, 2.0, size=channels if per_channel else 1)).astype(np.float32)
    return has_bias, in_scale, in_zp, f_base, f_scales


def _quant(rng, kind: str, in_scale: float, f_scale: float, k_eff: int, act: str):
    """(f_scales factor, out_scale, out_zp, bias) for the arithmetic regime `kind`:
    normal (outputs spread over int8), bigmul (real multiplier 0.5 .. 6: no right shift
    or a left shift; small inputs keep the outputs in range), wrap (biases near +-2^31
    so that accumulators wrap, tiny multipliers bring them back into range)."""
    if kind == "bigmul":
        real = float(rng.choice([0.5, 0.75, 1.0, 1.5, 3.0, 6.0])) * float(rng.uniform(0.9, 1.1))
        out_scale = _f32(in_scale * f_scale / real)
    elif kind == "wrap":
        out_scale = _f32(in_scale * f_scale * 2.0**25 * float(rng.uniform(0.5, 2.0)))
    else:
        sigma = math.sqrt(max(k_eff, 1)) * 74.0 * 73.0
        span = {"RELU6": 6.0, "RELU_N1_TO_1": 2.0}.get(act)
        out_scale = _f32(in_scale * f_scale * sigma * 5.0 / 255.0 * float(rng.uniform(0.3, 1.5)))
        if span is not None:  # keep the clamp bounds inside int8
            out_scale = max(out_scale, _f32(span / 200.0))
    out_zp = int(rng.choice([-128, 127, int(rng.integers(-128, 128)), int(rng.integers(-20, 20))]))
    if act != "NONE" and out_zp > 100:
        out_zp = int(rng.integers(-128, 0))
    return out_scale, out_zp


def _bias(rng, kind: str, n: int) -> np.ndarray:
    if kind == "wrap":
        r = rng.integers(0, 1 << 18, size=n)
        sign = rng.choice([-1, 1], size=n)
        return np.where(sign > 0, (1 << 31) - 1 - r, -(1 << 31) + r).astype(np.int32)
    return rng.integers(-(1 << 14), 1 << 14, size=n).astype(np.int32)


def _inputs(rng, kind: str, shape, in_zp: int) -> np.ndarray:
    if kind == "bigmul":  # x - zp small
        return np.clip(in_zp + rng.integers(-3, 4, size=shape), -128, 127).astype(np.int8)
    return rng.integers(-128, 128, size=shape).astype(np.int8)


def _weights(rng, kind: str, shape) -> np.ndarray:
    if kind == "bigmul":
        return rng.integers(-3, 4, size=shape).astype(np.int8)
    return rng.integers(-127, 128, size=shape).astype(np.int8)


def make_conv(rng, path: str) -> Case:
    kind = str(rng.choice(["normal"] * 6 + ["bigmul", "wrap"]))
    act = str(rng.choice(ACTS)) if kind == "normal" else "NONE"
    batch = int(rng.choice([1, 1, 1, 2]))
    dil = [1, 1]
    if path == "pointwise":  # in_c < 64: the int8 GEMM; >= 64: pixels widened to int16
        in_c = 4 * int(rng.integers(1, 41))
        f_hw, stride, padding = [1, 1], [1, 1], str(rng.choice(["SAME", "VALID"]))
        in_hw = [int(v) for v in rng.integers(1, 10, 2)]
    elif path == "direct":
        in_c = 4 * int(rng.integers(1, 9))
        f_hw = [int(v) for v in rng.choice([1, 2, 3, 3, 3, 5], 2)]
        stride = [int(v) for v in rng.choice([1, 1, 2, 3], 2)]
        padding = str(rng.choice(["SAME", "SAME", "VALID"]))
        if rng.random() < 0.2:
            dil = [int(v) for v in rng.integers(1, 3, 2)]
        in_hw = [int(v) for v in rng.integers(1, 12, 2)]
    else:  # im2col
        in_c = int(rng.choice([1, 2, 3, 5, 6, 7, 9, 10]))
        f_hw = [int(v) for v in rng.integers(1, 6, 2)]
        stride = [int(v) for v in rng.choice([1, 2, 2, 3], 2)]
        padding = str(rng.choice(["SAME", "VALID"]))
        if rng.random() < 0.2:
            dil = [int(v) for v in rng.integers(1, 3, 2)]
        in_hw = [int(v) for v in rng.integers(1, 14, 2)]
    out_c = int(rng.integers(1, 19))
    out_hw = [_out_size(padding, in_hw[k], f_hw[k], stride[k], dil[k]) for k in range(2)]
    if min(out_hw) < 1:
        return make_conv(rng, path)
    per_channel = bool(rng.random() < 0.6)
    has_bias, in_scale, in_zp, f_base, f_scales = _layer_quant(rng, kind, out_c, per_channel)
    k_eff = f_hw[0] * f_hw[1] * in_c
    out_scale, out_zp = _quant(rng, kind, in_scale, f_base, k_eff, act)
    w_shape = [out_c, *f_hw, in_c]
    w = _weights(rng, kind, w_shape)
    x = _inputs(rng, kind, (batch, *in_hw, in_c), in_zp)
    bias = _bias(rng, kind, out_c)
    m = ModelBuilder()
    tx = m.add_tensor("x", [batch, *in_hw, in_c], "int8", scale=in_scale, zero_point=in_zp)
    tw = m.add_tensor(
        "w",
        w_shape,
        "int8",
        scale=f_scales.tolist() if per_channel else float(f_scales[0]),
        zero_point=[0] * out_c if per_channel else 0,
        quantized_dimension=0,
        data=w,
    )
    inputs = [tx, tw]
    if has_bias:
        bscale = (np.float32(in_scale) * f_scales).astype(np.float32)
        inputs.append(
            m.add_tensor(
                "b",
                [out_c],
                "int32",
                scale=bscale.tolist() if per_channel else float(bscale[0]),
                zero_point=[0] * len(bscale),
                data=bias,
            )
        )
    else:
        inputs.append(-1)
    ty = m.add_tensor("y", [batch, *out_hw, out_c], "int8", scale=out_scale, zero_point=out_zp)
    m.add_op(
        "CONV_2D",
        inputs,
        [ty],
        {
            "padding": padding,
            "stride_h": stride[0],
            "stride_w": stride[1],
            "dilation_h_factor": dil[0],
            "dilation_w_factor": dil[1],
            "fused_activation_function": act,
        },
    )
    m.set_io([tx], [ty])
    desc = (
        f"conv/{path} x{[batch, *in_hw, in_c]} w{w_shape} s{stride} d{dil} {padding} {act} "
        f"{'pc' if per_channel else 'pt'} {kind}{'' if has_bias else ' nobias'}"
    )
    return Case(m.build(), x.tobytes(), desc)


def make_dw(rng, path: str) -> Case:
    kind = str(rng.choice(["normal"] * 6 + ["bigmul", "wrap"]))
    act = str(rng.choice(ACTS)) if kind == "normal" else "NONE"
    batch = int(rng.choice([1, 1, 1, 2]))
    dm, dil = 1, [1, 1]
    c = 4 * int(rng.integers(1, 9))
    if path == "ring":  # 3x3, stride 1 or 2, SAME or VALID, width <= 80
        f_hw, stride = [3, 3], [int(v) for v in rng.choice([1, 1, 2], 2)]
        padding = str(rng.choice(["SAME", "SAME", "VALID"]))
        in_hw = [int(rng.integers(1, 14)), int(rng.integers(1, 14))]
    elif path == "wide":  # 3x3 on a row wider than the ring holds
        f_hw, stride, padding = [3, 3], [1, int(rng.choice([1, 2]))], "SAME"
        in_hw, c = [int(rng.integers(1, 4)), int(rng.integers(129, 150))], 4
    else:  # general windows, dilations, multipliers (the portable kernel for dm > 1)
        f_hw = [int(v) for v in rng.integers(1, 6, 2)]
        stride = [int(v) for v in rng.integers(1, 4, 2)]
        padding = str(rng.choice(["SAME", "VALID"]))
        if rng.random() < 0.4:
            dil = [int(v) for v in rng.integers(1, 3, 2)]
        in_hw = [int(v) for v in rng.integers(1, 12, 2)]
        if rng.random() < 0.25:
            dm = int(rng.choice([2, 3]))
        if rng.random() < 0.25:
            c = int(rng.choice([1, 2, 3, 5, 6]))
    out_c = c * dm
    out_hw = [_out_size(padding, in_hw[k], f_hw[k], stride[k], dil[k]) for k in range(2)]
    if min(out_hw) < 1:
        return make_dw(rng, path)
    per_channel = bool(rng.random() < 0.6)
    has_bias, in_scale, in_zp, f_base, f_scales = _layer_quant(rng, kind, out_c, per_channel)
    out_scale, out_zp = _quant(rng, kind, in_scale, f_base, f_hw[0] * f_hw[1], act)
    w_shape = [1, *f_hw, out_c]
    w = _weights(rng, kind, w_shape)
    x = _inputs(rng, kind, (batch, *in_hw, c), in_zp)
    bias = _bias(rng, kind, out_c)

    def build(bias_data):
        m = ModelBuilder()
        tx = m.add_tensor("x", [batch, *in_hw, c], "int8", scale=in_scale, zero_point=in_zp)
        tw = m.add_tensor(
            "w",
            w_shape,
            "int8",
            scale=f_scales.tolist() if per_channel else float(f_scales[0]),
            zero_point=[0] * out_c if per_channel else 0,
            quantized_dimension=3,
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
        m.add_op(
            "DEPTHWISE_CONV_2D",
            inputs,
            [ty],
            {
                "padding": padding,
                "stride_h": stride[0],
                "stride_w": stride[1],
                "depth_multiplier": dm,
                "dilation_h_factor": dil[0],
                "dilation_w_factor": dil[1],
                "fused_activation_function": act,
            },
        )
        m.set_io([tx], [ty])
        return m.build()

    desc = (
        f"dw/{path} x{[batch, *in_hw, c]} w{w_shape} s{stride} d{dil} {padding} {act} "
        f"{'pc' if per_channel else 'pt'} {kind}{'' if has_bias else ' nobias'}"
        f"{f' dm{dm}' if dm > 1 else ''}"
    )
    model = build(bias if has_bias else None)
    # TFLM's depthwise prepare crashes without a bias: its reference is a zero bias
    ref = None if has_bias else build(np.zeros(out_c, np.int32))
    return Case(model, x.tobytes(), desc, ref)


def make_fc(rng) -> Case:
    kind = str(rng.choice(["normal"] * 6 + ["bigmul", "wrap"]))
    act = str(rng.choice(ACTS)) if kind == "normal" else "NONE"
    batch = int(rng.choice([1, 1, 1, 2, 3]))
    accum = 4 * int(rng.integers(1, 48)) if rng.random() < 0.85 else int(rng.integers(1, 40))
    units = int(rng.integers(1, 23))
    per_channel = bool(rng.random() < 0.4)
    filter_zp = int(rng.integers(-5, 6)) if (not per_channel and rng.random() < 0.15) else 0
    has_bias, in_scale, in_zp, f_base, f_scales = _layer_quant(rng, kind, units, per_channel)
    out_scale, out_zp = _quant(rng, kind, in_scale, f_base, accum, act)
    w = _weights(rng, kind, (units, accum))
    x = _inputs(rng, kind, (batch, accum), in_zp)
    bias = _bias(rng, kind, units)
    m = ModelBuilder()
    tx = m.add_tensor("x", [batch, accum], "int8", scale=in_scale, zero_point=in_zp)
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
    if has_bias:
        bscale = (np.float32(in_scale) * f_scales).astype(np.float32)
        inputs.append(
            m.add_tensor(
                "b",
                [units],
                "int32",
                scale=bscale.tolist() if per_channel else float(bscale[0]),
                zero_point=[0] * len(bscale),
                data=bias,
            )
        )
    else:
        inputs.append(-1)
    ty = m.add_tensor("y", [batch, units], "int8", scale=out_scale, zero_point=out_zp)
    m.add_op("FULLY_CONNECTED", inputs, [ty], {"fused_activation_function": act})
    m.set_io([tx], [ty])
    desc = (
        f"fc x{[batch, accum]} units {units} {act} {'pc' if per_channel else 'pt'} "
        f"fzp {filter_zp} {kind}{'' if has_bias else ' nobias'}"
    )
    return Case(m.build(), x.tobytes(), desc)


def make_add(rng) -> Case:
    shape = [1, int(rng.integers(1, 9)), int(rng.integers(1, 9)), int(rng.integers(1, 20))]
    act = str(rng.choice(["NONE", "RELU", "RELU6"]))
    s1 = _f32(rng.uniform(0.01, 0.1))
    # equal scales (real multiplier exactly 0.5: no right shift), nearby ones, far ones
    s2 = s1 if rng.random() < 0.3 else _f32(s1 * float(rng.choice([0.3, 0.9, 1.1, 2.5])))
    so = _f32(max(s1, s2) * float(rng.uniform(0.8, 2.5)))
    zps = [int(rng.choice([-128, 127, int(rng.integers(-128, 128))])) for _ in range(3)]
    m = ModelBuilder()
    ta = m.add_tensor("a", shape, "int8", scale=s1, zero_point=zps[0])
    tb = m.add_tensor("b", shape, "int8", scale=s2, zero_point=zps[1])
    ty = m.add_tensor("y", shape, "int8", scale=so, zero_point=zps[2])
    m.add_op("ADD", [ta, tb], [ty], {"fused_activation_function": act})
    m.set_io([ta, tb], [ty])
    x = rng.integers(-128, 128, size=2 * int(np.prod(shape))).astype(np.int8)
    return Case(m.build(), x.tobytes(), f"add {shape} {act} s {s1:.4g}/{s2:.4g}/{so:.4g} zp {zps}")


def _add_reference(case: Case) -> bytes:
    interp = runtime.Interpreter.from_bytes(case.model, arena_size=1 << 21)
    x = np.frombuffer(case.x, np.int8)
    n = x.size // 2
    for i in range(2):
        d = interp.get_input_details(i)
        interp.set_input(x[i * n : (i + 1) * n].reshape(d["shape"]), i)
    interp.invoke()
    return interp.get_output(0).tobytes()


def ref_bytes(case: Case) -> bytes:
    return _add_reference(case) if case.desc.startswith("add ") else reference(case)


def targeted_cases() -> list[Case]:
    """Shapes of the MLPerf Tiny layers, small, and their odd neighbours."""
    rng = np.random.default_rng(SEED + 1)
    cases = []
    for path in ("pointwise", "direct", "im2col"):
        for _ in range(4):
            cases.append(make_conv(rng, path))
    for path in ("ring", "wide", "general"):
        for _ in range(3):
            cases.append(make_dw(rng, path))
    for _ in range(4):
        cases.append(make_fc(rng))
    for _ in range(4):
        cases.append(make_add(rng))
    return cases


def random_cases(n: int = N_RANDOM) -> list[Case]:
    rng = np.random.default_rng(SEED)
    makers = (
        [lambda: make_conv(rng, "pointwise")] * 3
        + [lambda: make_conv(rng, "direct")] * 4
        + [lambda: make_conv(rng, "im2col")] * 3
        + [lambda: make_dw(rng, "ring")] * 3
        + [lambda: make_dw(rng, "wide")]
        + [lambda: make_dw(rng, "general")] * 2
        + [lambda: make_fc(rng)] * 3
        + [lambda: make_add(rng)] * 2
    )
    return [makers[int(rng.integers(0, len(makers)))]() for _ in range(n)]


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return targeted_cases() + random_cases()


def _report(bad: list[str], n: int) -> None:
    assert not bad, f"{len(bad)} of {n} models differ from tflite-micro:\n" + "\n".join(bad[:25])


# --------------------------------------------------------------------------- emulated board


# board -> the kernel set its firmware builds (board.mk): the DSP-extension kernels on the
# Cortex-M4, the Helium (MVE) kernels of hil_kernels_mve.c on the Cortex-M55
EMULATED_BOARDS = {"mps2-an386": "HIL_USE_DSP", "mps3-an547": "HIL_USE_MVE"}


@pytest.mark.emulated
@pytest.mark.parametrize("board_name", list(EMULATED_BOARDS))
def test_optimised_kernels_bit_exact_emulated(board_name: str, cases: list[Case]) -> None:
    from hilbench import firmware
    from hilbench.config import load_boards
    from hilbench.devices import make_device

    mk = (FW / "boards" / board_name / "board.mk").read_text()
    assert f"-D{EMULATED_BOARDS[board_name]}" in mk, f"{board_name} no longer builds that kernel set"
    board = load_boards(ROOT / "boards.toml").get(board_name)
    assert board.qemu is not None
    for tool in (board.qemu.binary, firmware.toolchain_for(board.firmware or board.name)[0]):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed")
    bad = []
    with make_device(board) as dev:
        dev.open()
        for c in cases:
            desc = dev.load_model(c.model, source=c.desc)
            assert sum(t.nbytes for t in desc.inputs) == len(c.x), c.desc
            assert dev.link is not None
            off = 0
            for i, t in enumerate(desc.inputs):  # ADD: two inputs, concatenated in c.x
                dev.link.set_input(c.x[off : off + t.nbytes], i)
                off += t.nbytes
            dev.link.invoke(1)
            out = dev.link.get_output(desc.outputs[0].nbytes)
            if out != ref_bytes(c):
                got, ref = np.frombuffer(out, np.int8), np.frombuffer(ref_bytes(c), np.int8)
                n = int(np.count_nonzero(got != ref)) if got.size == ref.size else -1
                bad.append(f"{c.desc}: {n} of {ref.size} bytes differ")
    _report(bad, len(cases))


# --------------------------------------------------------------------------- host, emulated DSP


@pytest.fixture(scope="module")
def dsp_tool() -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    rt = FW / "runtime"
    srcs = [
        str(FW / "tools" / "hil_rt_run.c"),
        *map(str, sorted(rt.glob("*.c"))),
        *map(str, sorted((rt / "ops").glob("*.c"))),
    ]
    DSP_TOOL.parent.mkdir(parents=True, exist_ok=True)
    tmp = DSP_TOOL.with_name(f"{DSP_TOOL.name}.tmp{os.getpid()}")
    san = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer"]
    proc = subprocess.run(
        [
            cc,
            "-std=c11",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-O1",
            "-g",
            *san,
            f"-I{rt}",
            "-DHIL_USE_DSP",
            "-o",
            str(tmp),
            *srcs,
            *san,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    tmp.replace(DSP_TOOL)
    return DSP_TOOL


def test_optimised_kernels_bit_exact_host_emulated_dsp(
    dsp_tool: Path, cases: list[Case], tmp_path: Path
) -> None:
    env = dict(
        os.environ,
        ASAN_OPTIONS="abort_on_error=0:exitcode=99:detect_leaks=1",
        UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98",
    )
    args, outs = [], []
    for i, c in enumerate(cases):
        mp, ip, op = tmp_path / f"m{i}.tflite", tmp_path / f"i{i}.bin", tmp_path / f"o{i}.bin"
        mp.write_bytes(c.model)
        ip.write_bytes(c.x)
        args += [str(mp), str(ip), str(op)]
        outs.append(op)
    proc = subprocess.run([str(dsp_tool), *args], capture_output=True, text=True, timeout=300, env=env)
    for mark in ("Sanitizer", "runtime error:"):
        assert mark not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert len(lines) == len(cases), proc.stdout[-2000:]
    bad = []
    for c, line, op in zip(cases, lines, outs):
        if not line.startswith("arena_used="):
            bad.append(f"{c.desc}: {line}")
        elif op.read_bytes() != ref_bytes(c):
            bad.append(f"{c.desc}: output differs")
    _report(bad, len(cases))


def test_cases_reach_every_path(cases: list[Case]) -> None:
    """The generators produce what the kernels' dispatch tells apart."""
    descs = " ".join(c.desc for c in cases)
    for what in (
        "conv/pointwise",
        "conv/direct",
        "conv/im2col",
        "dw/ring",
        "dw/wide",
        "dw/general",
        "fc ",
        "add ",
        "bigmul",
        "wrap",
        "RELU6",
        " pt ",
        " pc ",
    ):
        assert what in descs, what

"""hilbench-rt ADD, MUL, LOGISTIC, CONCATENATION, MEAN, QUANTIZE, DEQUANTIZE against
tflite-micro, bit for bit.

Every case is a tiny random model written in pure Python (hilbench.models.builder) with
random shapes, broadcast patterns, quantization parameters, fused activations and axes;
the host tool `firmware/build/tools/hil-rt-run` (AddressSanitizer + UBSan) runs a whole
batch of them in one process (several MODEL INPUT OUTPUT triples), and each output must be
byte-identical to tflite-micro's (float32 outputs included). Then the errors: unsupported
types named with op and tensor, models TFLM refuses, shapes that do not fit, and
flipped-byte models that must never crash the loader.
"""

from __future__ import annotations

import re
import subprocess
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

from hilbench.models.builder import ModelBuilder  # noqa: E402
from hilbench.models.reference import ReferenceInterpreter  # noqa: E402
from tests.test_runtime_fc import (  # noqa: E402,F401  (tool is a fixture)
    SANITIZER_MARKS,
    TIMEOUT,
    _check_many,
    _env,
    parse_error,
    tool,
)

ACTS = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"]
CASES_PER_OP = 110


@dataclass
class Case:
    name: str
    model: bytes
    inputs: list[np.ndarray] = field(default_factory=list)


# --------------------------------------------------------------------------- running


def run_batch(tool: Path, tmp: Path, cases: list[Case], *extra: str) -> list[tuple[str, bytes | None]]:
    """Run every case in one tool process; return (result line, output bytes) per case."""
    d = tmp / "batch"
    d.mkdir(exist_ok=True)
    argv: list[str] = []
    outs = []
    for i, c in enumerate(cases):
        mp, ip, op = d / f"{i:04d}.tflite", d / f"{i:04d}.in", d / f"{i:04d}.out"
        mp.write_bytes(c.model)
        ip.write_bytes(b"".join(np.ascontiguousarray(x).tobytes() for x in c.inputs))
        if op.exists():
            op.unlink()
        argv += [str(mp), str(ip), str(op)]
        outs.append(op)
    proc = subprocess.run(
        [str(tool), *extra, *argv], capture_output=True, text=True, timeout=TIMEOUT, env=_env()
    )
    lines = proc.stdout.splitlines()
    for mark in SANITIZER_MARKS:
        assert mark not in proc.stderr, f"after case {len(lines)}: {proc.stderr[-3000:]}"
    assert proc.returncode in (0, 2), (proc.returncode, proc.stderr[-2000:])
    assert len(lines) == len(cases), proc.stdout[-2000:]
    return [
        (line, op.read_bytes() if line.startswith("arena_used=") else None) for line, op in zip(lines, outs)
    ]


def reference(c: Case) -> bytes:
    ref = ReferenceInterpreter(c.model, arena_size=64 * 1024)
    return b"".join(np.ascontiguousarray(o).tobytes() for o in ref.run(*c.inputs))


def check_bit_exact(tool: Path, tmp: Path, cases: list[Case]) -> None:
    results = run_batch(tool, tmp, cases)
    bad = []
    for c, (line, out) in zip(cases, results):
        assert re.fullmatch(r"arena_used=\d+ ops=\d+", line), (c.name, line)
        ref = reference(c)
        if out != ref:
            bad.append(c.name)
            if len(bad) <= 3:
                print(
                    f"{c.name}: ours {np.frombuffer(out or b'', np.uint8)[:24]} "
                    f"ref {np.frombuffer(ref, np.uint8)[:24]}"
                )
    assert not bad, f"{len(bad)}/{len(cases)} differ: {bad[:10]}"


# --------------------------------------------------------------------------- random models


def rand_scale(rng, lo=1e-3, hi=1.0) -> float:
    return float(np.float32(np.exp(rng.uniform(np.log(lo), np.log(hi)))))


def rand_zp(rng) -> int:
    return int(rng.integers(-128, 128))


def rand_i8(rng, shape) -> np.ndarray:
    return rng.integers(-128, 128, size=shape).astype(np.int8)


def broadcast_shapes(rng) -> tuple[list[int], list[int], list[int]]:
    """(in1, in2, out) shapes: equal, one side broadcast, both broadcast, scalars, ranks 0-6."""
    pattern = rng.choice(["same", "same", "scalar", "channel", "mixed", "mixed", "rank"])
    rank = int(rng.choice([1, 2, 3, 4, 4, 5, 6] if pattern != "same" else [1, 2, 3, 4]))
    out = [int(d) for d in rng.integers(1, 5, size=rank)]
    if pattern == "same":
        return list(out), list(out), list(out)
    if pattern == "scalar":
        s = [] if rng.random() < 0.5 else [1] * int(rng.integers(1, rank + 1))
        return (list(out), s, out) if rng.random() < 0.5 else (s, list(out), out)
    if pattern == "channel":
        c = [out[-1]]
        return (list(out), c, out) if rng.random() < 0.5 else (c, list(out), out)
    if pattern == "rank":  # fewer dimensions, right-aligned, no 1s
        k = int(rng.integers(0, rank))
        return (list(out), out[k:], out) if rng.random() < 0.5 else (out[k:], list(out), out)
    # mixed: each dimension full in both, or 1 in one of them; both may broadcast
    a, b = [], []
    for d in out:
        r = rng.random()
        a.append(1 if r < 0.3 else d)
        b.append(1 if 0.3 <= r < 0.6 else d)
    ka, kb = int(rng.integers(0, 2)), int(rng.integers(0, 2))
    a, b = (a[ka:] if len(a) > 1 else a), (b[kb:] if len(b) > 1 else b)
    return a, b, [int(d) for d in np.broadcast_shapes(tuple(a), tuple(b))]


def make_binary(rng, op: str, idx: int) -> Case:
    s1, s2, so = broadcast_shapes(rng)
    sc1, sc2 = rand_scale(rng), rand_scale(rng)
    zp1, zp2 = rand_zp(rng), rand_zp(rng)
    act = str(rng.choice(ACTS))
    # output scale about the range of the float result, sometimes smaller (saturation)
    r1, r2 = 255 * sc1, 255 * sc2
    span = (r1 + r2) if op == "ADD" else r1 * r2 / 4
    span *= float(rng.uniform(0.3, 1.5))
    if act == "RELU6":
        span = min(span, 8.0)
    if act == "RELU_N1_TO_1":
        span = min(span, 2.5)
    sco, zpo = float(np.float32(max(span, 1e-4) / 255)), rand_zp(rng)
    const2 = rng.random() < 0.25
    # tflite-micro cannot set a rank-0 model input: scalars are [1] unless constant
    s1 = s1 or [1]
    if not const2:
        s2 = s2 or [1]
    x1, x2 = rand_i8(rng, s1), rand_i8(rng, s2)
    m = ModelBuilder()
    t1 = m.add_tensor("a", s1, "int8", scale=sc1, zero_point=zp1)
    t2 = m.add_tensor("b", s2, "int8", scale=sc2, zero_point=zp2, data=x2 if const2 else None)
    ty = m.add_tensor("y", so, "int8", scale=sco, zero_point=zpo)
    m.add_op(op, [t1, t2], [ty], {"fused_activation_function": act})
    m.set_io([t1] if const2 else [t1, t2], [ty])
    name = f"{op.lower()}{idx}-{s1}x{s2}->{so}-{act}{'-const' if const2 else ''}"
    return Case(name, m.build(), [x1] if const2 else [x1, x2])


def make_logistic(rng, idx: int) -> Case:
    rank = int(rng.integers(1, 5))
    shape = [int(d) for d in rng.integers(1, 6, size=rank)]
    sc = rand_scale(rng, 1e-4, 40.0)  # up to the scales where every input saturates
    zp = rand_zp(rng)
    out_scale = 1 / 256 if rng.random() < 0.8 else rand_scale(rng)
    m = ModelBuilder()
    tx = m.add_tensor("x", shape, "int8", scale=sc, zero_point=zp)
    ty = m.add_tensor("y", shape, "int8", scale=out_scale, zero_point=-128)
    m.add_op("LOGISTIC", [tx], [ty])
    m.set_io([tx], [ty])
    x = rand_i8(rng, shape)
    if rng.random() < 0.3:
        x = np.resize(np.arange(-128, 128, dtype=np.int8), shape)  # every input value
    return Case(f"logistic{idx}-{shape}-s{sc:.4g}-zp{zp}", m.build(), [x])


CONCAT_TYPES = [("int8", np.int8)] * 6 + [
    ("float32", np.float32),
    ("int32", np.int32),
    ("int16", np.int16),
    ("int64", np.int64),
    ("bool", np.bool_),
]


def make_concat(rng, idx: int) -> Case:
    rank = int(rng.integers(1, 7))
    base = [int(d) for d in rng.integers(1, 5, size=rank)]
    axis = int(rng.integers(-rank, rank))
    n = int(rng.integers(1, 6))
    dtype, np_t = CONCAT_TYPES[int(rng.integers(0, len(CONCAT_TYPES)))]
    # TFLM: int8 inputs have the output's quantization, int16 ones zero point 0
    q = (
        {"scale": rand_scale(rng), "zero_point": rand_zp(rng)}
        if dtype == "int8"
        else {"scale": rand_scale(rng), "zero_point": 0}
        if dtype == "int16"
        else {}
    )
    m = ModelBuilder()
    tin, model_inputs, xs = [], [], []
    sizes = [int(s) for s in rng.integers(0 if rng.random() < 0.1 else 1, 4, size=n)]
    for i, k in enumerate(sizes):
        shape = list(base)
        shape[axis] = k
        if dtype == "float32":
            x = rng.normal(0, 10, size=shape).astype(np.float32)
        elif dtype == "bool":
            x = rng.random(size=shape) < 0.5
        else:
            info = np.iinfo(np_t)
            x = rng.integers(
                max(info.min, -(1 << 40)), min(info.max, 1 << 40), size=shape, dtype=np.int64
            ).astype(np_t)
        const = rng.random() < 0.2 or len(model_inputs) == 4  # at most 4 model inputs
        t = m.add_tensor(f"x{i}", shape, dtype, data=x if const else None, **q)
        tin.append(t)
        if not const:
            model_inputs.append(t)
            xs.append(x)
    if not model_inputs:  # a model needs an input
        model_inputs.append(tin[0])
        m = None
    if m is None:
        return make_concat(rng, idx)
    out_shape = list(base)
    out_shape[axis] = sum(sizes)
    ty = m.add_tensor("y", out_shape, dtype, **q)
    m.add_op("CONCATENATION", tin, [ty], {"axis": axis})
    m.set_io(model_inputs, [ty])
    return Case(f"concat{idx}-{dtype}-{base}-axis{axis}-{sizes}", m.build(), xs)


def make_mean(rng, idx: int) -> Case:
    kind = rng.choice(["hw", "any", "any", "any"])
    if kind == "hw":  # the 4-D [1, 2] case (global average pooling)
        shape = [
            int(rng.integers(1, 3)),
            int(rng.integers(1, 9)),
            int(rng.integers(1, 9)),
            int(rng.integers(1, 9)),
        ]
        axes = [1, 2] if rng.random() < 0.5 else [2, -3]
        keep = bool(rng.random() < 0.7)
    else:
        rank = int(rng.integers(1, 5))
        shape = [int(d) for d in rng.integers(1, 7, size=rank)]
        k = int(rng.choice([0, 1, 1, 1, 2, 2, 3])) if rank >= 3 else int(rng.integers(0, rank + 1))
        axes = [int(a) for a in rng.choice(rank, size=k, replace=False)]
        axes = [a - rank if rng.random() < 0.3 else a for a in axes]
        if axes and rng.random() < 0.15:
            axes.append(axes[0])  # a duplicate
        keep = bool(rng.random() < 0.5)
    nd = len(shape)
    red = {a % nd for a in axes}
    out_shape = [1 if d in red else s for d, s in enumerate(shape) if keep or d not in red]
    sc, zp = rand_scale(rng), rand_zp(rng)
    if rng.random() < 0.25:
        sco, zpo = sc, zp  # same quantization
    else:
        sco, zpo = float(np.float32(sc * rng.uniform(0.3, 3.0))), rand_zp(rng)
    m = ModelBuilder()
    tx = m.add_tensor("x", shape, "int8", scale=sc, zero_point=zp)
    ta = m.add_tensor("axis", [len(axes)], "int32", data=np.array(axes, np.int32))
    ty = m.add_tensor("y", out_shape, "int8", scale=sco, zero_point=zpo)
    m.add_op("MEAN", [tx, ta], [ty], {"keep_dims": keep})
    m.set_io([tx], [ty])
    return Case(f"mean{idx}-{shape}-axes{axes}-keep{int(keep)}", m.build(), [rand_i8(rng, shape)])


def make_quantize(rng, idx: int) -> Case:
    kind = rng.choice(["float", "float", "float", "i8i8", "i8i8", "u8i8", "i8u8"])
    rank = int(rng.integers(1, 4))
    shape = [int(d) for d in rng.integers(1, 7, size=rank)]
    sco, zpo = rand_scale(rng, 1e-3, 2.0), rand_zp(rng)
    m = ModelBuilder()
    if kind == "float":
        n = int(np.prod(shape))
        x = (rng.normal(0, 1, size=n) * sco * rng.uniform(20, 400)).astype(np.float32)
        # exact half-way points, signed zeros, values far outside int8 (but |x / scale|
        # below 2^31: beyond, TFLM's float -> int32 conversion is undefined behaviour)
        k = rng.integers(-200, 200, size=n)
        halves = ((k + 0.5) * np.float64(sco)).astype(np.float32)
        pick = rng.random(n)
        big = np.sign(rng.normal(size=n)) * np.exp(rng.uniform(np.log(300), np.log(2e9), n))
        x = np.where(pick < 0.3, halves, x)
        x = np.where(pick > 0.95, np.float32(0.0) * np.sign(rng.normal(size=n)), x)
        x = np.where((pick > 0.9) & (pick <= 0.95), big * sco, x)
        x = x.astype(np.float32).reshape(shape)
        tx = m.add_tensor("x", shape, "float32")
        ty = m.add_tensor("y", shape, "int8", scale=sco, zero_point=zpo)
    else:
        it, ot = {"i8i8": ("int8", "int8"), "u8i8": ("uint8", "int8"), "i8u8": ("int8", "uint8")}[str(kind)]
        sci = rand_scale(rng, 1e-3, 2.0) if rng.random() < 0.8 else sco
        zpi = rand_zp(rng) + (128 if it == "uint8" else 0)
        if ot == "uint8":
            zpo += 128
        if rng.random() < 0.15:  # same scale, zero points 128 apart
            sci, zpi, zpo = sco, (0 if it == "int8" else 128), (128 if ot == "uint8" else 0)
        lo, hi = (-128, 128) if it == "int8" else (0, 256)
        x = rng.integers(lo, hi, size=shape).astype(np.int8 if it == "int8" else np.uint8)
        tx = m.add_tensor("x", shape, it, scale=sci, zero_point=zpi)
        ty = m.add_tensor("y", shape, ot, scale=sco, zero_point=zpo)
    m.add_op("QUANTIZE", [tx], [ty])
    m.set_io([tx], [ty])
    return Case(f"quantize{idx}-{kind}-{shape}-s{sco:.4g}-zp{zpo}", m.build(), [x])


def make_dequantize(rng, idx: int) -> Case:
    rank = int(rng.integers(1, 4))
    shape = [int(d) for d in rng.integers(1, 7, size=rank)]
    sc = rand_scale(rng, 1e-6, 100.0)
    zp = rand_zp(rng)
    m = ModelBuilder()
    tx = m.add_tensor("x", shape, "int8", scale=sc, zero_point=zp)
    ty = m.add_tensor("y", shape, "float32")
    m.add_op("DEQUANTIZE", [tx], [ty])
    m.set_io([tx], [ty])
    return Case(f"dequantize{idx}-{shape}-s{sc:.4g}-zp{zp}", m.build(), [rand_i8(rng, shape)])


def make_chain(rng, idx: int) -> Case:
    """float -> QUANTIZE -> MUL(const) -> ADD(x) -> LOGISTIC / CONCAT -> MEAN -> DEQUANTIZE."""
    shape = [1, int(rng.integers(2, 6)), int(rng.integers(2, 6)), int(rng.integers(1, 5))]
    c = shape[-1]
    m = ModelBuilder()
    tf = m.add_tensor("in", shape, "float32")
    tq = m.add_tensor("q", shape, "int8", scale=0.02, zero_point=3)
    tw = m.add_tensor("w", [c], "int8", scale=0.01, zero_point=0, data=rand_i8(rng, [c]))
    tm = m.add_tensor("m", shape, "int8", scale=0.01, zero_point=-5)
    ta = m.add_tensor("a", shape, "int8", scale=0.03, zero_point=-10)
    tl = m.add_tensor("l", shape, "int8", scale=1 / 256, zero_point=-128)
    cat_shape = [*shape[:-1], 2 * c]
    tc = m.add_tensor("c", cat_shape, "int8", scale=1 / 256, zero_point=-128)
    tax = m.add_tensor("axes", [2], "int32", data=np.array([1, 2], np.int32))
    tmean = m.add_tensor("mean", [1, 1, 1, 2 * c], "int8", scale=0.004, zero_point=-100)
    ty = m.add_tensor("y", [1, 1, 1, 2 * c], "float32")
    m.add_op("QUANTIZE", [tf], [tq])
    m.add_op("MUL", [tq, tw], [tm], {"fused_activation_function": "RELU"})
    m.add_op("ADD", [tm, tq], [ta])
    m.add_op("LOGISTIC", [ta], [tl])
    m.add_op("CONCATENATION", [tl, tl], [tc], {"axis": -1})
    m.add_op("MEAN", [tc, tax], [tmean], {"keep_dims": True})
    m.add_op("DEQUANTIZE", [tmean], [ty])
    m.set_io([tf], [ty])
    x = rng.normal(0, 1.5, size=shape).astype(np.float32)
    return Case(f"chain{idx}-{shape}", m.build(), [x])


MAKERS = {
    "ADD": lambda rng, i: make_binary(rng, "ADD", i),
    "MUL": lambda rng, i: make_binary(rng, "MUL", i),
    "LOGISTIC": make_logistic,
    "CONCATENATION": make_concat,
    "MEAN": make_mean,
    "QUANTIZE": make_quantize,
    "DEQUANTIZE": make_dequantize,
}


@pytest.mark.parametrize("op", list(MAKERS))
def test_random_cases_bit_exact(tool, tmp_path, op):
    rng = np.random.default_rng(zlib.crc32(op.encode()))
    cases = [MAKERS[op](rng, i) for i in range(CASES_PER_OP)]
    check_bit_exact(tool, tmp_path, cases)


def test_multi_op_chain_bit_exact(tool, tmp_path):
    rng = np.random.default_rng(77)
    check_bit_exact(tool, tmp_path, [make_chain(rng, i) for i in range(12)])


# --------------------------------------------------------------------------- errors


def _single(
    op: str,
    in_types: list[str],
    out_type: str,
    options=None,
    shape=(1, 4),
    const_inputs: tuple[int, ...] = (),
) -> tuple[bytes, list[int]]:
    m = ModelBuilder()
    tins = []
    for i, t in enumerate(in_types):
        q = {} if t in ("float32", "int32", "int64", "bool") else {"scale": 0.1, "zero_point": 0}
        data = np.zeros(shape, dtype=t) if i in const_inputs else None
        tins.append(m.add_tensor(f"x{i}", list(shape), t, data=data, **q))
    q = {} if out_type in ("float32", "int32") else {"scale": 0.1, "zero_point": 0}
    ty = m.add_tensor("y", list(shape), out_type, **q)
    m.add_op(op, tins, [ty], options)
    m.set_io([t for i, t in enumerate(tins) if i not in const_inputs], [ty])
    return m.build(), tins + [ty]


def _mean_model(in_type="int8", axis_const=True, axes=(1,)) -> tuple[bytes, list[int]]:
    m = ModelBuilder()
    q = {} if in_type == "float32" else {"scale": 0.1, "zero_point": 0}
    tx = m.add_tensor("x", [2, 3], in_type, **q)
    ta = m.add_tensor("axis", [len(axes)], "int32", data=np.array(axes, np.int32) if axis_const else None)
    ty = m.add_tensor("y", [2], in_type, **q)
    m.add_op("MEAN", [tx, ta], [ty])
    m.set_io([tx] if axis_const else [tx, ta], [ty])
    return m.build(), [tx, ta, ty]


TYPE_ERRORS = [
    # op, model builder, index of the culprit in the returned tensor list, type name
    ("ADD", lambda: _single("ADD", ["int16", "int16"], "int16"), 0, "INT16"),
    ("ADD", lambda: _single("ADD", ["int8", "float32"], "int8"), 1, "FLOAT32"),
    ("MUL", lambda: _single("MUL", ["float32", "float32"], "float32"), 0, "FLOAT32"),
    ("MUL", lambda: _single("MUL", ["int8", "int8"], "int16"), 2, "INT16"),
    ("LOGISTIC", lambda: _single("LOGISTIC", ["float32"], "float32"), 0, "FLOAT32"),
    ("CONCATENATION", lambda: _single("CONCATENATION", ["uint8", "uint8"], "uint8", {"axis": 1}), 0, "UINT8"),
    ("CONCATENATION", lambda: _single("CONCATENATION", ["int8", "int16"], "int8", {"axis": 1}), 1, "INT16"),
    ("MEAN", lambda: _mean_model("float32"), 0, "FLOAT32"),
    ("QUANTIZE", lambda: _single("QUANTIZE", ["int16"], "int8"), 0, "INT16"),
    ("QUANTIZE", lambda: _single("QUANTIZE", ["float32"], "int16"), 1, "INT16"),
    ("DEQUANTIZE", lambda: _single("DEQUANTIZE", ["int16"], "float32"), 0, "INT16"),
    ("DEQUANTIZE", lambda: _single("DEQUANTIZE", ["int8"], "int32"), 1, "INT32"),
]


def load_error(tool: Path, tmp: Path, model: bytes) -> dict[str, object]:
    """The tool's error for a model that must fail to load (inputs are never read)."""
    ((line, _),) = run_batch(tool, tmp, [Case("m", model, [])])
    assert line.startswith("error "), line
    return parse_error(line)


@pytest.mark.parametrize("case", TYPE_ERRORS, ids=lambda c: f"{c[0]}-{c[3]}")
def test_unsupported_type_is_named(tool, tmp_path, case):
    op, make, culprit, type_name = case
    model, tensors = make()
    err = load_error(tool, tmp_path, model)
    assert (err["status"], err["op_index"], err["value"]) == (10, 0, tensors[culprit]), err
    assert type_name in str(err["message"]) and op in str(err["message"]), err


def _logistic_bad_output_zp() -> bytes:
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 4], "int8", scale=0.1, zero_point=0)
    ty = m.add_tensor("y", [1, 4], "int8", scale=1 / 256, zero_point=0)
    m.add_op("LOGISTIC", [tx], [ty])
    m.set_io([tx], [ty])
    return m.build()


def _concat_requantizing() -> bytes:
    m = ModelBuilder()
    ta = m.add_tensor("a", [1, 2], "int8", scale=0.1, zero_point=0)
    tb = m.add_tensor("b", [1, 2], "int8", scale=0.2, zero_point=0)
    ty = m.add_tensor("y", [1, 4], "int8", scale=0.1, zero_point=0)
    m.add_op("CONCATENATION", [ta, tb], [ty], {"axis": 1})
    m.set_io([ta, tb], [ty])
    return m.build()


def _concat_with_activation() -> bytes:
    m = ModelBuilder()
    ta = m.add_tensor("a", [1, 2], "int8", scale=0.1, zero_point=0)
    ty = m.add_tensor("y", [1, 4], "int8", scale=0.1, zero_point=0)
    m.add_op("CONCATENATION", [ta, ta], [ty], {"axis": 1, "fused_activation_function": "RELU"})
    m.set_io([ta], [ty])
    return m.build()


def _quantize_per_channel_output() -> bytes:
    m = ModelBuilder()
    tx = m.add_tensor("x", [1, 2], "float32")
    ty = m.add_tensor("y", [1, 2], "int8", scale=[0.1, 0.2], zero_point=[0, 0], quantized_dimension=1)
    m.add_op("QUANTIZE", [tx], [ty])
    m.set_io([tx], [ty])
    return m.build()


@pytest.mark.parametrize(
    "make,status",
    [
        (_logistic_bad_output_zp, 10),
        (_concat_requantizing, 10),
        (_concat_with_activation, 9),
        (_quantize_per_channel_output, 10),
    ],
    ids=lambda v: getattr(v, "__name__", str(v)),
)
def test_refuses_what_tflm_refuses(tool, tmp_path, make, status):
    model = make()
    with pytest.raises(Exception):
        ReferenceInterpreter(model, arena_size=64 * 1024)
    err = load_error(tool, tmp_path, model)
    assert (err["status"], err["op_index"]) == (status, 0), err


def _binary(op, s1, s2, so, act="NONE") -> bytes:
    m = ModelBuilder()
    ta = m.add_tensor("a", s1, "int8", scale=0.1, zero_point=0)
    tb = m.add_tensor("b", s2, "int8", scale=0.1, zero_point=0)
    ty = m.add_tensor("y", so, "int8", scale=0.1, zero_point=0)
    m.add_op(op, [ta, tb], [ty], {"fused_activation_function": act})
    m.set_io([ta, tb], [ty])
    return m.build()


def _concat_shapes(sizes, out) -> bytes:
    m = ModelBuilder()
    ts = [m.add_tensor(f"x{i}", s, "int8", scale=0.1, zero_point=0) for i, s in enumerate(sizes)]
    ty = m.add_tensor("y", out, "int8", scale=0.1, zero_point=0)
    m.add_op("CONCATENATION", ts, [ty], {"axis": -1})
    m.set_io(ts, [ty])
    return m.build()


@pytest.mark.parametrize(
    "name,model,status,words",
    [
        ("add-no-broadcast", lambda: _binary("ADD", [2, 3], [3, 2], [2, 3]), 8, "broadcast"),
        ("mul-bad-output", lambda: _binary("MUL", [2, 3], [1, 3], [3, 3]), 8, "output shape"),
        ("add-flat-size", lambda: _binary("ADD", [2, 3], [2, 3], [7]), 8, "output shape"),
        ("add-tanh", lambda: _binary("ADD", [2], [2], [2], "TANH"), 9, "TANH"),
        ("mul-sign-bit", lambda: _binary("MUL", [2], [2], [2], "SIGN_BIT"), 9, "SIGN_BIT"),
        ("concat-sizes", lambda: _concat_shapes([[1, 2], [1, 3]], [1, 6]), 8, "add up"),
        ("concat-shapes", lambda: _concat_shapes([[1, 2], [2, 3]], [1, 5]), 8, "shapes"),
        ("mean-axis-range", lambda: _mean_model(axes=(2,))[0], 8, "axis"),
        ("mean-axis-input", lambda: _mean_model(axis_const=False)[0], 10, "constant"),
        ("mean-output-size", lambda: _mean_model(axes=(0,))[0], 8, "output size"),
    ],
)
def test_bad_models_are_refused(tool, tmp_path, name, model, status, words):
    err = load_error(tool, tmp_path, model())
    assert (err["status"], err["op_index"]) == (status, 0), err
    assert words in str(err["message"]), err


def test_quantize_out_of_range_floats_saturate(tool, tmp_path):
    """TFLM's (int32)roundf(x / scale) is undefined beyond int32 (x86 and Arm disagree);
    hilbench-rt saturates and maps NaN to the zero point."""
    m = ModelBuilder()
    tx = m.add_tensor("x", [6], "float32")
    ty = m.add_tensor("y", [6], "int8", scale=0.5, zero_point=-7)
    m.add_op("QUANTIZE", [tx], [ty])
    m.set_io([tx], [ty])
    x = np.array([1e30, -1e30, np.inf, -np.inf, np.nan, 3.0e9], np.float32)
    ((line, out),) = run_batch(tool, tmp_path, [Case("q", m.build(), [x])])
    assert line.startswith("arena_used="), line
    assert np.frombuffer(out, np.int8).tolist() == [127, -128, 127, -128, -7, 127]


def test_multi_input_size_must_match(tool, tmp_path):
    model = _binary("ADD", [2, 3], [3], [2, 3])
    ((line, _),) = run_batch(tool, tmp_path, [Case("add", model, [np.zeros(6, np.int8)])])
    err = parse_error(line)
    assert (err["status"], err["value"]) == (3, 9), err


def test_flipped_bytes_never_crash(tool, tmp_path):
    rng = np.random.default_rng(21)
    models = [
        make_binary(rng, "ADD", 0).model,
        make_binary(rng, "MUL", 0).model,
        make_logistic(rng, 0).model,
        make_concat(rng, 0).model,
        make_mean(rng, 0).model,
        make_quantize(rng, 0).model,
        make_dequantize(rng, 0).model,
    ]
    blobs = []
    for model in models:
        for off in range(len(model)):
            b = bytearray(model)
            b[off] ^= 0xFF if off % 2 else 1 << int(rng.integers(0, 8))
            blobs.append(bytes(b))
    statuses = _check_many(tool, tmp_path, blobs)
    assert len(statuses) == len(blobs)

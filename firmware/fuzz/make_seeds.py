"""Write the seed corpora of the firmware's libFuzzer harnesses (firmware/fuzz/*.c).

Why generated, not committed: the seeds are real models (MLPerf Tiny from the shared data,
the demo model, the builder's small models) and real frames (hilbench.link.frame encodes
them), several hundred KiB in all; building them here keeps binaries out of the repository
and keeps the seeds in step with the protocol and the builder.

    python firmware/fuzz/make_seeds.py OUT_DIR [--models DIR ...]

writes OUT_DIR/{fuzz_dut,fuzz_mlperf,fuzz_model}/seed-*. The record formats are the ones
documented at the top of each harness.
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from hilbench.link import frame as fr  # noqa: E402
from hilbench.models.builder import ModelBuilder  # noqa: E402

HARNESSES = ("fuzz_dut", "fuzz_mlperf", "fuzz_model")
MSG = {"HELLO": 0x01, "MODEL_BEGIN": 0x02, "MODEL_DATA": 0x03, "MODEL_END": 0x04,
       "SET_INPUT": 0x05, "INVOKE": 0x06, "GET_OUTPUT": 0x07, "PROFILE": 0x08,
       "RAW_ECHO": 0x09, "TENSOR": 0x0A, "MODEL_FLASH": 0x0B}
# Models larger than this are seeds of fuzz_model only: the record harnesses would spend
# their time uploading and running them (kws_ref_model: ~300 executions/s instead of 1500).
DUT_MODEL_MAX = 16 * 1024


# -- small models ------------------------------------------------------------------------

def _q(scale: float = 0.05, zero_point: int = 0) -> dict[str, float | int]:
    return {"scale": scale, "zero_point": zero_point}


def fc_model(n_in: int = 4, n_out: int = 3, name: str = "fc") -> bytes:
    """x int8[1,n_in] -> FULLY_CONNECTED(n_out, RELU) -> SOFTMAX."""
    b = ModelBuilder(description=name)
    x = b.add_tensor("x", [1, n_in], "int8", **_q(0.5, -1))
    w = b.add_tensor("w", [n_out, n_in], "int8", scale=[0.01] * n_out, zero_point=0,
                     data=(np.arange(n_out * n_in) % 17 - 8).reshape(n_out, n_in))
    bias = b.add_tensor("b", [n_out], "int32", scale=[0.005] * n_out, data=np.arange(n_out))
    y = b.add_tensor("y", [1, n_out], "int8", **_q(0.25, 3))
    b.add_op("FULLY_CONNECTED", [x, w, bias], [y], {"fused_activation_function": "RELU"})
    s = b.add_tensor("s", [1, n_out], "int8", **_q(1 / 256, -128))
    b.add_op("SOFTMAX", [y], [s])
    b.set_io(inputs=[x], outputs=[s])
    return b.build()


def conv_model() -> bytes:
    """CONV_2D, DEPTHWISE_CONV_2D, PAD, AVERAGE_POOL_2D, MAX_POOL_2D, ADD, MUL, MEAN,
    CONCATENATION, RESHAPE, LOGISTIC: one of each, tiny shapes."""
    b = ModelBuilder(description="conv zoo")
    q = _q()
    x = b.add_tensor("x", [1, 8, 8, 2], "int8", **q)
    cw = b.add_tensor("conv/w", [4, 3, 3, 2], "int8", scale=[0.01] * 4, zero_point=0,
                      quantized_dimension=0, data=np.ones((4, 3, 3, 2), np.int8))
    cb = b.add_tensor("conv/b", [4], "int32", scale=[0.0005] * 4, data=np.zeros(4, np.int32))
    c = b.add_tensor("conv", [1, 8, 8, 4], "int8", **q)
    b.add_op("CONV_2D", [x, cw, cb], [c], {"padding": "SAME", "fused_activation_function": "RELU6"})
    dw = b.add_tensor("dw/w", [1, 3, 3, 4], "int8", scale=[0.01] * 4, zero_point=0,
                      quantized_dimension=3, data=np.ones((1, 3, 3, 4), np.int8))
    db = b.add_tensor("dw/b", [4], "int32", scale=[0.0005] * 4, data=np.zeros(4, np.int32))
    d = b.add_tensor("dw", [1, 3, 3, 4], "int8", **q)
    b.add_op("DEPTHWISE_CONV_2D", [c, dw, db], [d],
             {"padding": "VALID", "stride_w": 2, "stride_h": 2, "depth_multiplier": 1})
    pads = b.add_tensor("pads", [4, 2], "int32", data=np.array([[0, 0], [1, 0], [1, 0], [0, 0]]))
    p = b.add_tensor("pad", [1, 4, 4, 4], "int8", **q)
    b.add_op("PAD", [d, pads], [p])
    a = b.add_tensor("pool", [1, 2, 2, 4], "int8", **q)
    b.add_op("AVERAGE_POOL_2D", [p], [a], {"padding": "VALID", "stride_w": 2, "stride_h": 2,
                                           "filter_width": 2, "filter_height": 2})
    mp = b.add_tensor("maxpool", [1, 2, 2, 4], "int8", **q)
    b.add_op("MAX_POOL_2D", [p], [mp], {"padding": "VALID", "stride_w": 2, "stride_h": 2,
                                        "filter_width": 2, "filter_height": 2})
    s = b.add_tensor("add", [1, 2, 2, 4], "int8", **q)
    b.add_op("ADD", [a, mp], [s], {"fused_activation_function": "NONE"})
    m = b.add_tensor("mul", [1, 2, 2, 4], "int8", **q)
    b.add_op("MUL", [s, a], [m])
    axes = b.add_tensor("axes", [2], "int32", data=np.array([1, 2]))
    mean = b.add_tensor("mean", [1, 1, 1, 4], "int8", **q)
    b.add_op("MEAN", [m, axes], [mean], {"keep_dims": True})
    cat = b.add_tensor("cat", [1, 1, 1, 8], "int8", **q)
    b.add_op("CONCATENATION", [mean, mean], [cat], {"axis": 3})
    shape = b.add_tensor("shape", [2], "int32", data=np.array([1, 8]))
    r = b.add_tensor("r", [1, 8], "int8", **q)
    b.add_op("RESHAPE", [cat, shape], [r], {"new_shape": [1, 8]})
    lg = b.add_tensor("logistic", [1, 8], "int8", **_q(1 / 256, -128))
    b.add_op("LOGISTIC", [r], [lg])
    b.set_io(inputs=[x], outputs=[lg])
    return b.build()


def mean_model(shape: Sequence[int], name: str) -> bytes:
    """int8 image [1,H,W,C] -> MEAN over H, W -> [1,C] (shaped like vww01 / ic01)."""
    b = ModelBuilder(description=name)
    x = b.add_tensor("x", list(shape), "int8", **_q(1 / 128, -1))
    axes = b.add_tensor("axes", [2], "int32", data=np.array([1, 2]))
    y = b.add_tensor("y", [1, shape[-1]], "int8", **_q(1 / 128, -1))
    b.add_op("MEAN", [x, axes], [y], {"keep_dims": False})
    b.set_io(inputs=[x], outputs=[y])
    return b.build()


def reshape_model(n: int, name: str) -> bytes:
    """int8 [1,n] -> RESHAPE [n] (shaped like ad01: 640 in, 640 out)."""
    b = ModelBuilder(description=name)
    x = b.add_tensor("x", [1, n], "int8", **_q(0.1, 2))
    shape = b.add_tensor("shape", [1], "int32", data=np.array([n]))
    y = b.add_tensor("y", [n], "int8", **_q(0.1, 2))
    b.add_op("RESHAPE", [x, shape], [y], {"new_shape": [n]})
    b.set_io(inputs=[x], outputs=[y])
    return b.build()


def small_models() -> dict[str, bytes]:
    """The builder's models: every op the runtime supports, MLPerf Tiny input shapes."""
    return {
        "fc": fc_model(),
        "conv": conv_model(),
        "kws-like": fc_model(490, 12, "kws-like"),
        "ic-like": mean_model([1, 32, 32, 3], "ic-like"),
        "vww-like": mean_model([1, 96, 96, 3], "vww-like"),
        "ad-like": reshape_model(640, "ad-like"),
    }


def real_models(dirs: Iterable[Path]) -> dict[str, bytes]:
    """Every *.tflite in dirs (the MLPerf Tiny reference models, the demo model)."""
    found: dict[str, bytes] = {}
    for d in dirs:
        for path in sorted(Path(d).rglob("*.tflite")):
            found[path.stem] = path.read_bytes()
    return found


# -- fuzz_dut records --------------------------------------------------------------------

def rec_raw(data: bytes) -> bytes:
    return b"\x00" + struct.pack("<H", len(data)) + data


def rec_frame(msg: str, payload: bytes = b"", ctl: int = 0) -> bytes:
    return b"\x01" + bytes([MSG[msg], ctl]) + struct.pack("<H", len(payload)) + payload


def rec_upload(model: bytes) -> bytes:
    return b"\x02" + struct.pack("<I", len(model))[:3] + model


def rec_flash(model: bytes, ctl: int = 0) -> bytes:
    return b"\x03" + bytes([ctl]) + struct.pack("<I", len(model))[:3] + model


def _session(model: bytes, input_bytes: int, flash: bool = False) -> bytes:
    """Load a model, then exercise every request that needs one."""
    load = rec_flash(model) if flash else rec_upload(model)
    data = bytes((i * 37) & 0xFF for i in range(min(input_bytes, 3000)))
    return b"".join([
        rec_frame("HELLO"),
        load,
        rec_frame("SET_INPUT", struct.pack("<B3xI", 0, 0) + data),
        rec_frame("INVOKE", struct.pack("<HHI", 2, 1, 0)),
        rec_frame("GET_OUTPUT", struct.pack("<B3xIH", 0, 0, 64)),
        rec_frame("PROFILE", struct.pack("<HH", 0, 16)),
        rec_frame("PROFILE", struct.pack("<HH", 1, 4)),
        rec_frame("TENSOR", struct.pack("<HHIH", 1, 0, 0, 32)),
        rec_frame("TENSOR", struct.pack("<HHIH", 0, 0xFFFF, 0, 32)),
        rec_frame("INVOKE", struct.pack("<HHI", 1, 0, 0), ctl=0x01),  # a replay
    ])


def _input_bytes(model: bytes) -> int:
    from hilbench.models.inspect import inspect_model

    return sum(t.nbytes or 0 for t in inspect_model(model).inputs)


def dut_seeds(models: dict[str, bytes]) -> dict[str, bytes]:
    """Real frames (hilbench.link.frame), malformed ones, and one session per model."""
    hello = fr.encode(fr.Frame(type=MSG["HELLO"], seq=0))
    good = fr.pack(fr.Frame(type=MSG["INVOKE"], seq=1, payload=struct.pack("<HHI", 1, 0, 0)))
    bad_crc = good[:-1] + bytes([good[-1] ^ 1])
    seeds = {
        "wire-hello": rec_raw(b"\x00" + hello),
        "wire-frames": rec_raw(b"\x00" + hello + b"".join(
            fr.encode(fr.Frame(type=t, seq=i + 1, payload=p)) for i, (t, p) in enumerate([
                (MSG["MODEL_BEGIN"], struct.pack("<II", 12, 0)),
                (MSG["MODEL_DATA"], struct.pack("<I", 0) + b"TFL3" * 3),
                (MSG["MODEL_END"], b""),
                (MSG["INVOKE"], struct.pack("<HHI", 1, 0, 0)),
                (0x42, b"?"),
            ]))),
        "wire-bad-crc": rec_raw(b"\x00" + fr.cobs.encode(bad_crc) + b"\x00"),
        "wire-garbage": rec_raw(bytes(range(1, 256)) + b"\x00\x00\x01\x00"),
        "wire-response-echo": rec_raw(fr.encode(fr.Frame(type=1, seq=0, flags=fr.FLAG_RESPONSE))),
        "frames-malformed": b"".join([
            rec_frame("HELLO", b"x"), rec_frame("HELLO", ctl=0x02), rec_frame("HELLO", ctl=0x04),
            rec_frame("HELLO", ctl=0x10), rec_frame("MODEL_END"), rec_frame("MODEL_DATA", b"\0" * 8),
            rec_frame("INVOKE", struct.pack("<HHI", 600, 0, 0)), rec_frame("SET_INPUT", b"\0" * 9),
            rec_frame("MODEL_BEGIN", struct.pack("<II", 1 << 30, 0)),
            rec_frame("HELLO", ctl=0x80), rec_frame("HELLO"),
        ]),
        "raw-echo": rec_frame("RAW_ECHO", struct.pack("<I", 5)) + b"\x01\x00\x02\x03\x04" +
                    rec_frame("HELLO"),
        "flash-corrupt": rec_flash(fc_model(), ctl=1) + rec_flash(fc_model(), ctl=2),
    }
    for name, model in models.items():
        if len(model) <= DUT_MODEL_MAX:
            n = _input_bytes(model)
            seeds[f"session-{name}"] = _session(model, n)
            seeds[f"flash-{name}"] = _session(model, n, flash=True)
    return seeds


# -- fuzz_mlperf inputs --------------------------------------------------------------------

def mlperf_input(model: bytes | None, text: str, ctl: int = 0) -> bytes:
    m = model or b""
    return bytes([ctl]) + struct.pack("<I", len(m))[:3] + m + text.encode("ascii")


def _db_lines(data: bytes, per_line: int = 256) -> str:
    return "".join(f"db {data[i:i + per_line].hex()}%" for i in range(0, len(data), per_line))


def mlperf_seeds(models: dict[str, bytes]) -> dict[str, bytes]:
    seeds = {
        "no-model": mlperf_input(None, "name%profile%help%timestamp%infer 1%results%db print%"),
        "erased": mlperf_input(None, "infer 1 0%", ctl=2),
        "errors": mlperf_input(fc_model(), "bogus%db%db load 0%db load 99999999%db 0%db zz%"
                                           "infer%infer 0%infer 1 2 3%" + "x" * 1100 + "%"),
        "bad-header": mlperf_input(fc_model(), "infer 1 0%", ctl=1),
    }
    # vww-like only announces its id (profile%): its 27648-byte input would make a 56 KB
    # seed, and vww01 and ic01 share every code path after the id (uint8 -> int8 in place).
    seeds["profile-vww-like"] = mlperf_input(models["vww-like"], "profile%db load 27648%db 00%")
    shaped = {"kws-like": 490, "ic-like": 3072, "ad-like": 2560, "fc": 4}
    for name, n in shaped.items():
        data = bytes((i * 29 + 7) & 0xFF for i in range(n))
        if name == "ad-like":
            data = np.linspace(-2, 2, 640, dtype="<f4").tobytes()
        text = (f"name%profile%db load {n}%" + _db_lines(data) +
                "db print%infer 2 1%results%infer 1 0%results%timestamp%")
        seeds[f"session-{name}"] = mlperf_input(models.get(name, b""), text)
    return seeds


def write_corpora(out: Path, model_dirs: Sequence[Path] = ()) -> dict[str, int]:
    """Write every harness's seeds under out/<harness>/; returns the count per harness."""
    small = small_models()
    real = real_models(model_dirs)
    all_models = {**small, **real}
    corpora = {
        "fuzz_dut": dut_seeds(all_models),
        "fuzz_mlperf": mlperf_seeds(small),
        "fuzz_model": {name: data for name, data in all_models.items()},
    }
    counts = {}
    for harness, seeds in corpora.items():
        d = out / harness
        d.mkdir(parents=True, exist_ok=True)
        for name, data in seeds.items():
            (d / f"seed-{name}").write_bytes(data)
        counts[harness] = len(seeds)
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="directory for the corpora (one per harness)")
    ap.add_argument("--models", type=Path, action="append", default=[],
                    help="directory of real .tflite models to seed from (repeatable)")
    args = ap.parse_args(argv)
    dirs = [ROOT / "hilbench" / "demo", *args.models]
    for harness, n in write_corpora(args.out, dirs).items():
        print(f"{harness}: {n} seeds in {args.out / harness}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Seeded random input vectors for `hilbench verify --random N`, in each input's meaningful range.

Why: random *bytes* are only meaningful for integer inputs. For a float32 input they decode
to NaNs, infinities and values like 1e38, every later tensor then "differs" (NaN != NaN)
and the check says nothing. So:

- integer inputs (int8, uint8, int16, int32): uniform over the dtype's full range - every
  code a quantized input can hold is a valid input (drawn as uniform bytes);
- float inputs: uniform, finite, over the range the model itself can represent: if the
  input feeds a QUANTIZE op (float model with int8 inside), the real range of that op's
  output, `[(qmin - zp) * scale, (qmax - zp) * scale]`; otherwise `[-1, 1]`
  (`FLOAT_DEFAULT_RANGE`, the range of normalised features);
- bool inputs: 0 or 1.

The same seed gives the same vectors (numpy's PCG64 `default_rng(seed)`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hilbench.errors import ModelError
from hilbench.models.inspect import ModelInfo, TensorInfo

FLOAT_DEFAULT_RANGE = (-1.0, 1.0)

_INT_DTYPES = {"int8": "<i1", "uint8": "<u1", "int16": "<i2", "int32": "<i4"}
_FLOAT_DTYPES = {"float32": "<f4", "float16": "<f2"}


@dataclass(frozen=True)
class InputRange:
    """Where the random values of one input come from (printed by `verify`)."""

    tensor: TensorInfo
    low: float
    high: float
    source: str  # "dtype range", "QUANTIZE op 0 (scale 0.1, zero point -128)", "default [-1, 1]"

    def describe(self) -> str:
        t = self.tensor
        return f"input {t.name!r} {t.dtype}: uniform in [{self.low:g}, {self.high:g}] ({self.source})"


def input_range(info: ModelInfo, tensor: TensorInfo) -> InputRange:
    """The range random values of `tensor` (a model input) are drawn from, and why."""
    if tensor.dtype in _INT_DTYPES:
        ii = np.iinfo(np.dtype(_INT_DTYPES[tensor.dtype]))
        return InputRange(tensor, float(ii.min), float(ii.max), "the dtype's full range")
    if tensor.dtype == "bool":
        return InputRange(tensor, 0.0, 1.0, "bool")
    if tensor.dtype not in _FLOAT_DTYPES:
        raise ModelError(f"input {tensor.name!r}: no random values for dtype {tensor.dtype}")
    for op in info.ops:
        if op.name != "QUANTIZE" or not op.inputs or op.inputs[0] != tensor.index or not op.outputs:
            continue
        out = info.tensors[op.outputs[0]]
        if out.dtype in _INT_DTYPES and len(out.scale) == 1 and len(out.zero_point) == 1 and out.scale[0] > 0:
            ii = np.iinfo(np.dtype(_INT_DTYPES[out.dtype]))
            s, zp = out.scale[0], out.zero_point[0]
            return InputRange(
                tensor,
                (ii.min - zp) * s,
                (ii.max - zp) * s,
                f"the {out.dtype} range of QUANTIZE op {op.index} (scale {s:g}, zero point {zp})",
            )
    lo, hi = FLOAT_DEFAULT_RANGE
    return InputRange(tensor, lo, hi, f"default [{lo:g}, {hi:g}]: no QUANTIZE op reads it")


def random_input(rng: np.random.Generator, r: InputRange) -> bytes:
    """One random vector (raw little-endian bytes of the input tensor)."""
    t = r.tensor
    n = t.num_elements
    if t.dtype in _INT_DTYPES:
        # Uniform bytes are uniform over every integer code of any width (and the sequence
        # earlier hilbench versions drew, so old --seed runs reproduce).
        return rng.integers(0, 256, t.nbytes or 0, dtype=np.uint8).tobytes()
    if t.dtype == "bool":
        return rng.integers(0, 1, size=n, endpoint=True).astype("?").tobytes()
    return rng.uniform(r.low, r.high, size=n).astype(_FLOAT_DTYPES[t.dtype]).tobytes()


def random_vectors(info: ModelInfo, count: int, seed: int) -> tuple[list[tuple[str, bytes]], InputRange]:
    """`count` seeded vectors `("random<i>", bytes)` for the model's first input, and their range."""
    if not info.inputs:
        raise ModelError(f"{info.source}: the model has no inputs")
    r = input_range(info, info.inputs[0])
    rng = np.random.default_rng(seed)
    return [(f"random{i}", random_input(rng, r)) for i in range(count)], r

"""Reference interpreter: tflite-micro's Python interpreter, the int8 bit-exactness oracle.

Why tflite-micro: a DUT running TFLM-compatible kernels must match TFLM's own
requantization (`MultiplyByQuantizedMultiplier`) bit for bit; LiteRT's reference kernels
differ by +-1 LSB on some models (docs/architecture.md §5). This wrapper adds what the raw runtime
lacks: tensor details for every input and output (read from the model, as the runtime
cannot count them), inputs as raw bytes, an arena that grows until the model fits, the arena
bytes actually used, and intermediate tensors for per-layer comparison.

Arena sizing: tflite-micro *crashes the process* (segfault) on some too-small arenas
instead of raising, so the first attempt is deliberately generous (an estimate from the
model's tensor sizes, at least 256 KiB), an explicit `arena_size` is raised to at least
32 KiB, and a RuntimeError ("failed to allocate tensors") is retried with 4x the arena, up
to 64 MiB. Host memory is cheap; a crash is not. The arena a model really needs is
`arena_used_bytes`, not `arena_size`.

tflite_micro is imported inside functions: it is slow to import, and `import hilbench`
must stay fast.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hilbench.errors import ModelError
from hilbench.models.hybrid import check_not_hybrid
from hilbench.models.inspect import ModelInfo, TensorInfo, inspect_model, read_model_bytes

MIN_ARENA_BYTES = 256 * 1024
MIN_EXPLICIT_ARENA_BYTES = 32 * 1024
MAX_ARENA_BYTES = 64 * 1024 * 1024
_ARENA_GROWTH = 4

_NP_DTYPES: dict[str, np.dtype[Any]] = {
    "int8": np.dtype("<i1"),
    "uint8": np.dtype("<u1"),
    "int16": np.dtype("<i2"),
    "int32": np.dtype("<i4"),
    "int64": np.dtype("<i8"),
    "float32": np.dtype("<f4"),
    "float16": np.dtype("<f2"),
    "float64": np.dtype("<f8"),
    "bool": np.dtype("?"),
}


@dataclass(frozen=True)
class TensorDetails:
    """Shape, dtype and quantization of one model input or output."""

    index: int  # tensor index in the subgraph
    name: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    scale: float | None  # per-tensor scale; None if unquantized
    zero_point: int | None
    scales: tuple[float, ...]  # all scales (per-channel tensors have several)
    zero_points: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * self.dtype.itemsize

    def quantize(self, real: np.ndarray) -> np.ndarray:
        """Float values -> this tensor's integer type (round half away from zero, clamp)."""
        if self.scale is None or self.zero_point is None:
            raise ModelError(f"tensor {self.name!r} is not quantized")
        info = np.iinfo(self.dtype)
        x = np.asarray(real, dtype=np.float64) / self.scale
        q = np.sign(x) * np.floor(np.abs(x) + 0.5) + self.zero_point  # half away from zero, as TFLite
        return np.clip(q, info.min, info.max).astype(self.dtype)

    def dequantize(self, q: np.ndarray) -> np.ndarray:
        """Integer tensor -> float64 real values."""
        if self.scale is None or self.zero_point is None:
            return np.asarray(q, dtype=np.float64)
        return (np.asarray(q, dtype=np.float64) - self.zero_point) * self.scale


def _details(t: TensorInfo) -> TensorDetails:
    dtype = _NP_DTYPES.get(t.dtype)
    if dtype is None:
        raise ModelError(f"tensor {t.name!r}: dtype {t.dtype} is not supported as model I/O")
    return TensorDetails(
        index=t.index,
        name=t.name,
        shape=t.shape,
        dtype=dtype,
        scale=t.scale[0] if len(t.scale) == 1 else None,
        zero_point=t.zero_point[0] if len(t.zero_point) == 1 else None,
        scales=t.scale,
        zero_points=t.zero_point,
    )


class ReferenceInterpreter:
    """Run a .tflite model on tflite-micro.

    `model` is a path or the model bytes. `preserve_all_tensors=True` selects tflite-micro's
    `kPreserveAllTensors` config: every intermediate tensor stays readable after `run()`
    through `tensor(i)` (for per-layer bit-exactness against a DUT), at the cost of a larger
    arena and no `arena_used_bytes` (the recording allocator is off in that mode).
    """

    def __init__(
        self,
        model: str | Path | bytes | bytearray | memoryview,
        *,
        arena_size: int | None = None,
        preserve_all_tensors: bool = False,
        name: str | None = None,
    ) -> None:
        self.model_bytes, self.label = read_model_bytes(model, name)
        self.info: ModelInfo = inspect_model(self.model_bytes, self.label)
        check_not_hybrid(self.info, self.label)
        self.preserve_all_tensors = preserve_all_tensors
        self.inputs: list[TensorDetails] = [_details(t) for t in self.info.inputs]
        self.outputs: list[TensorDetails] = [_details(t) for t in self.info.outputs]
        self._arena_used: int | None = None
        self._arena_measured = False
        self._interp, self.arena_size = self._create(arena_size)

    # -- construction ------------------------------------------------------------------

    def _estimate_arena(self) -> int:
        """Generous first guess: every activation twice, plus per-tensor/op bookkeeping."""
        n = len(self.info.tensors) + len(self.info.ops)
        est = 2 * self.info.activation_bytes + 512 * n + 64 * 1024
        return max(MIN_ARENA_BYTES, _round_up(est, 4096))

    def _create(self, arena_size: int | None) -> tuple[Any, int]:
        try:
            from tflite_micro.python.tflite_micro import runtime
        except ImportError as exc:
            raise ModelError(
                f"{self.label}: the reference interpreter needs tflite-micro (pip install tflite-micro)"
            ) from exc
        config = (
            runtime.InterpreterConfig.kPreserveAllTensors
            if self.preserve_all_tensors
            else runtime.InterpreterConfig.kAllocationRecording
        )
        if arena_size:
            size = max(int(arena_size), MIN_EXPLICIT_ARENA_BYTES)
        else:
            size = self._estimate_arena()
        last_error = ""
        while size <= MAX_ARENA_BYTES:
            try:
                # tflite-micro prints the real cause (a kernel's Prepare message) to the C
                # stderr and raises only "failed to allocate tensors": capture it.
                interp, log = _capture_fd2(
                    functools.partial(
                        runtime.Interpreter.from_bytes,
                        self.model_bytes,
                        arena_size=size,
                        intrepreter_config=config,
                    )
                )
                return interp, size
            except _Fd2Failure as failure:
                err, log = failure.exc, failure.log
                last_error = _one_line(err)
                if isinstance(err, RuntimeError) and "allocate" in last_error.lower():
                    if _ARENA_SHORT.search(log):
                        size *= _ARENA_GROWTH
                        continue
                    raise ModelError(
                        f"{self.label}: tflite-micro refused the model: {_tflm_cause(log, last_error)}"
                    ) from None
                break
        if "allocate" in last_error.lower():
            raise ModelError(
                f"{self.label}: tflite-micro could not fit the model in a "
                f"{MAX_ARENA_BYTES // (1024 * 1024)} MiB arena ({last_error})"
            )
        raise ModelError(f"{self.label}: tflite-micro refused the model ({last_error})")

    # -- running -----------------------------------------------------------------------

    def run(self, *inputs: bytes | bytearray | memoryview | np.ndarray) -> list[np.ndarray]:
        """Invoke once and return every output (copies, shaped as the model declares).

        Each input is raw little-endian bytes of the tensor's size (as a dataset vector
        file holds it) or an array of the tensor's dtype and size.
        """
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])
        if len(inputs) != len(self.inputs):
            raise ModelError(f"{self.label}: model has {len(self.inputs)} inputs, got {len(inputs)}")
        for i, (value, det) in enumerate(zip(inputs, self.inputs)):
            arr = self._as_input(i, value, det)
            try:
                self._interp.set_input(arr, i)
            except Exception as exc:
                raise ModelError(f"{self.label}: input {i}: {_one_line(exc)}") from None
        try:
            self._interp.invoke()
        except Exception as exc:
            raise ModelError(f"{self.label}: tflite-micro invoke failed ({_one_line(exc)})") from None
        outs = []
        for i, det in enumerate(self.outputs):
            out = np.array(self._interp.get_output(i), copy=True)
            outs.append(out.reshape(det.shape) if out.size == int(np.prod(det.shape)) else out)
        return outs

    def run_batch(self, vectors: Sequence[bytes | np.ndarray]) -> list[list[np.ndarray]]:
        """`run()` each single-input vector in turn."""
        return [self.run(v) for v in vectors]

    def _as_input(self, i: int, value: Any, det: TensorDetails) -> np.ndarray:
        if isinstance(value, (bytes, bytearray, memoryview)):
            raw = bytes(value)
            if len(raw) != det.nbytes:
                raise ModelError(
                    f"{self.label}: input {i} ({det.name!r}, {det.dtype.name}{list(det.shape)}) "
                    f"needs {det.nbytes} bytes, got {len(raw)}"
                )
            return np.frombuffer(raw, dtype=det.dtype).reshape(det.shape)
        arr = np.asarray(value)
        if arr.dtype != det.dtype.newbyteorder("="):
            raise ModelError(
                f"{self.label}: input {i} ({det.name!r}) needs dtype {det.dtype.name}, got {arr.dtype.name}"
            )
        if arr.size != int(np.prod(det.shape)):
            raise ModelError(
                f"{self.label}: input {i} ({det.name!r}) needs shape {list(det.shape)}, got {list(arr.shape)}"
            )
        return np.ascontiguousarray(arr.reshape(det.shape))

    def tensor(self, index: int) -> np.ndarray:
        """Any tensor of the main subgraph after `run()`; needs `preserve_all_tensors=True`."""
        if not self.preserve_all_tensors:
            raise ModelError(
                f"{self.label}: intermediate tensors need ReferenceInterpreter(..., "
                "preserve_all_tensors=True)"
            )
        if not 0 <= index < len(self.info.tensors):
            raise ModelError(f"{self.label}: tensor {index} does not exist")
        try:
            got = self._interp.GetTensor(index, 0)
        except Exception as exc:
            raise ModelError(f"{self.label}: tensor {index}: {_one_line(exc)}") from None
        return np.array(got["tensor_data"], copy=True)

    def reset(self) -> None:
        """Reset state (only matters for stateful models)."""
        self._interp.reset()

    @property
    def arena_used_bytes(self) -> int | None:
        """Arena bytes tflite-micro actually allocated (None with preserve_all_tensors).

        The runtime only prints this (RecordingMicroAllocator, to the C stderr), so the
        report is captured once by redirecting file descriptor 2 briefly.
        """
        if self.preserve_all_tensors:
            return None
        if not self._arena_measured:
            self._arena_measured = True
            _, text = _capture_fd2(self._interp.print_allocations)
            m = re.search(r"Arena allocation total (\d+) bytes", text)
            self._arena_used = int(m.group(1)) if m else None
        return self._arena_used


class _Fd2Failure(Exception):
    """fn() raised while fd 2 was captured: the exception and what fn wrote to fd 2."""

    def __init__(self, exc: BaseException, log: str) -> None:
        super().__init__(str(exc))
        self.exc, self.log = exc, log


def _capture_fd2(fn: Any) -> tuple[Any, str]:
    """Run fn() with the process's fd 2 redirected to a temp file.

    Returns (fn's result, what it wrote); if fn raises, raises _Fd2Failure carrying both.
    """
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        error: BaseException | None = None
        result: Any = None
        try:
            os.dup2(tmp.fileno(), 2)
            result = fn()
        except Exception as exc:  # the runtime raises RuntimeError/ValueError/struct.error
            error = exc
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        tmp.seek(0)
        log = tmp.read().decode("utf-8", "replace")
    if error is not None:
        raise _Fd2Failure(error, log)
    return result, log


# tflite-micro's own words when the arena (not the model) is the problem.
_ARENA_SHORT = re.compile(
    r"Failed to (allocate|resize)|missing: \d+|Arena size is too small|"
    r"Failed starting model allocation",
    re.IGNORECASE,
)


def _tflm_cause(log: str, fallback: str) -> str:
    """tflite-micro's stderr as one line (its kernel messages name the op), else fallback."""
    lines = [" ".join(line.split()) for line in log.splitlines()]
    lines = [line for line in lines if line]
    seen: list[str] = []
    for line in lines:  # each failed attempt repeats the same lines
        if line not in seen:
            seen.append(line)
    text = "; ".join(seen)
    return text[:300] if text else fallback


def _round_up(n: int, k: int) -> int:
    return (n + k - 1) // k * k


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]

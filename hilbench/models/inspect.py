"""Inspect a .tflite model: hash, tensors, ops and MACs per op.

Why: results rows carry model_sha256 and MAC/cycle summaries (docs/architecture.md §4), the runner
needs input/output shapes and quantization to feed a DUT, and a user who points hilbench at
a wrong file must get one line saying what is wrong, not a flatbuffers traceback. The
python flatbuffers library does no verification and raises arbitrary exceptions on
garbage, so the fields are read by hilbench.models.tflite_reader, which checks every
offset and length and names the field and byte offset of the first defect.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hilbench.errors import ModelError

FILE_IDENTIFIER = b"TFL3"
SUPPORTED_SCHEMA_VERSION = 3

# Byte width of each TensorType (by schema member name); None: variable size (STRING).
_DTYPE_SIZE: dict[str, int | None] = {
    "float32": 4,
    "float16": 2,
    "float64": 8,
    "bfloat16": 2,
    "int32": 4,
    "uint8": 1,
    "int64": 8,
    "string": None,
    "bool": 1,
    "int16": 2,
    "complex64": 8,
    "int8": 1,
    "resource": None,
    "variant": None,
    "uint32": 4,
    "uint64": 8,
    "complex128": 16,
    "uint16": 2,
    "int4": 1,
    "int2": 1,
}


@dataclass(frozen=True)
class TensorInfo:
    """One tensor of the main subgraph. `scale`/`zero_point` are empty when unquantized."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    quantized_dimension: int
    is_constant: bool
    buffer: int

    @property
    def num_elements(self) -> int:
        n = 1
        for d in self.shape:
            n *= max(d, 0)
        return n

    @property
    def nbytes(self) -> int | None:
        """Size of the tensor's data (None for variable-size types)."""
        size = _DTYPE_SIZE.get(self.dtype)
        if size is None:
            return None
        if self.dtype == "int4":
            return (self.num_elements + 1) // 2
        return self.num_elements * size


@dataclass(frozen=True)
class OpInfo:
    """One operator, in execution order. `macs` is 0 for ops we do not count."""

    index: int
    name: str
    builtin_code: int
    version: int
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    macs: int


@dataclass(frozen=True)
class ModelInfo:
    """What hilbench needs to know about a model, without running it."""

    source: str
    sha256: str
    size_bytes: int
    schema_version: int
    description: str
    num_subgraphs: int
    tensors: tuple[TensorInfo, ...]
    ops: tuple[OpInfo, ...]
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    total_macs: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "total_macs", sum(op.macs for op in self.ops))

    @property
    def op_names(self) -> list[str]:
        """Distinct op names, in order of first use."""
        return list(dict.fromkeys(op.name for op in self.ops))

    @property
    def activation_bytes(self) -> int:
        """Sum of all non-constant tensor sizes: an upper bound on what an arena holds."""
        return sum(t.nbytes or 0 for t in self.tensors if not t.is_constant)

    def to_dict(self) -> dict[str, Any]:
        """Plain-data form (JSON-serialisable) for reports and `hilbench inspect --json`."""
        from dataclasses import asdict

        d = asdict(self)
        d["op_names"] = self.op_names
        return d


def inspect_model(model: str | Path | bytes | bytearray | memoryview, name: str | None = None) -> ModelInfo:
    """Parse a .tflite file (path or bytes) into ModelInfo; any defect raises ModelError.

    `name` labels error messages when bytes are given (default "<bytes>").
    """
    data, label = read_model_bytes(model, name)
    schema_model = parse_model(data, label)
    return _model_info(schema_model, data, label)


def read_model_bytes(
    model: str | Path | bytes | bytearray | memoryview, name: str | None = None
) -> tuple[bytes, str]:
    """Return (bytes, label for messages) from a path or a bytes-like object."""
    if isinstance(model, (bytes, bytearray, memoryview)):
        return bytes(model), name or "<bytes>"
    path = Path(model)
    label = name or str(model)
    try:
        return path.read_bytes(), label
    except FileNotFoundError:
        raise ModelError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise ModelError(f"{label}: is a directory, expected a .tflite file") from None
    except OSError as exc:
        raise ModelError(f"{label}: cannot read ({exc.strerror or exc})") from None


def check_flatbuffer(data: bytes, label: str) -> None:
    """Cheap structural checks the flatbuffers object API does not do.

    Verifies the size, the `TFL3` identifier, and that the root table and its vtable lie
    inside the buffer, so that obvious garbage is reported precisely.
    """
    n = len(data)
    if n == 0:
        raise ModelError(f"{label}: empty file, expected a TFLite flatbuffer")
    if n < 8:
        raise ModelError(f"{label}: truncated: {n} bytes, a TFLite flatbuffer has at least 8")
    ident = bytes(data[4:8])
    if ident != FILE_IDENTIFIER:
        raise ModelError(
            f"{label}: not a TFLite flatbuffer (file identifier {ident!r}, expected {FILE_IDENTIFIER!r})"
        )
    (root,) = struct.unpack_from("<I", data, 0)
    if root < 8 or root + 4 > n:
        raise ModelError(
            f"{label}: truncated or corrupt: {n} bytes, root table offset {root} is outside the file"
        )
    (vt_rel,) = struct.unpack_from("<i", data, root)
    vtable = root - vt_rel
    if vtable < 0 or vtable + 4 > n:
        raise ModelError(
            f"{label}: truncated or corrupt: {n} bytes, root vtable at {vtable} is outside the file"
        )
    vt_size, table_size = struct.unpack_from("<HH", data, vtable)
    if vt_size < 4 or vt_size % 2 or vtable + vt_size > n or root + table_size > n:
        raise ModelError(f"{label}: truncated or corrupt: {n} bytes, root table does not fit in the file")


def parse_model(data: bytes, label: str) -> Any:
    """Return the model's fields (tflite_reader.ModelT), or raise one-line ModelError.

    Every offset, length and string is bounds-checked by tflite_reader, so a corrupt file
    is reported by the field and byte offset at fault, never by a parser internal
    (struct.error, IndexError, TypeError) as the flatbuffers object API would.
    """
    from hilbench.models.tflite_reader import read_model

    check_flatbuffer(data, label)
    try:
        model = read_model(data, label)
    except ModelError:
        raise
    except (MemoryError, RecursionError, OverflowError) as exc:  # pragma: no cover - guard
        raise ModelError(
            f"{label}: truncated or corrupt TFLite flatbuffer ({len(data)} bytes): "
            f"{type(exc).__name__} while reading it"
        ) from None
    _validate(model, label)
    return model


def _validate(model: Any, label: str) -> None:
    """Index and version checks, so later code may index lists without guarding."""
    if model.version != SUPPORTED_SCHEMA_VERSION:
        raise ModelError(
            f"{label}: TFLite schema version {model.version}, expected {SUPPORTED_SCHEMA_VERSION}"
        )
    if not model.subgraphs:
        raise ModelError(f"{label}: model has no subgraphs")
    opcodes = model.operatorCodes or []
    buffers = model.buffers or []
    for s, sg in enumerate(model.subgraphs):
        tensors = sg.tensors or []
        nt = len(tensors)
        where = f"{label}: subgraph {s}"
        for t_index, t in enumerate(tensors):
            if not 0 <= t.buffer < max(len(buffers), 1):
                raise ModelError(f"{where}: tensor {t_index} uses buffer {t.buffer} of {len(buffers)}")
        for i in _ints(sg.inputs) + _ints(sg.outputs):
            if not 0 <= i < nt:
                raise ModelError(f"{where}: input/output tensor {i} does not exist ({nt} tensors)")
        for o_index, op in enumerate(sg.operators or []):
            if not 0 <= op.opcodeIndex < len(opcodes):
                raise ModelError(
                    f"{where}: op {o_index} uses operator code {op.opcodeIndex} of {len(opcodes)}"
                )
            for i in _ints(op.inputs) + _ints(op.outputs):
                if not -1 <= i < nt:
                    raise ModelError(f"{where}: op {o_index} uses tensor {i} ({nt} tensors)")


def _ints(values: Iterable[int] | None) -> list[int]:
    return [] if values is None else [int(v) for v in values]


def _enum_names(cls: type) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


def _model_info(model: Any, data: bytes, label: str) -> ModelInfo:
    from hilbench.models.builder import load_schema

    schema = load_schema()
    op_names = _enum_names(schema.BuiltinOperator)
    type_names = _enum_names(schema.TensorType)
    buffers = model.buffers or []
    sg = model.subgraphs[0]

    tensors: list[TensorInfo] = []
    for i, t in enumerate(sg.tensors or []):
        q = t.quantization
        scale = tuple(float(s) for s in q.scale) if q is not None and q.scale is not None else ()
        zp = tuple(int(z) for z in q.zeroPoint) if q is not None and q.zeroPoint is not None else ()
        buf = buffers[t.buffer] if t.buffer < len(buffers) else None
        is_const = (
            t.buffer != 0
            and buf is not None
            and ((buf.data is not None and len(buf.data) > 0) or buf.size > 0)
        )
        tname = t.name.decode("utf-8", "replace") if isinstance(t.name, bytes) else (t.name or "")
        tensors.append(
            TensorInfo(
                index=i,
                name=tname,
                shape=tuple(int(d) for d in _ints(t.shape)),
                dtype=type_names.get(t.type, f"type{t.type}").lower(),
                scale=scale,
                zero_point=zp,
                quantized_dimension=int(q.quantizedDimension) if q is not None else 0,
                is_constant=bool(is_const),
                buffer=int(t.buffer),
            )
        )
        info = tensors[-1]
        have = len(buf.data) if buf is not None and buf.data is not None else 0
        need = info.nbytes
        if have and need is not None and have < need:
            raise ModelError(
                f"{label}: constant tensor {i} ({tname!r}, {info.dtype}{list(info.shape)}) "
                f"has {have} bytes of data, needs {need}"
            )

    ops: list[OpInfo] = []
    for i, op in enumerate(sg.operators or []):
        oc = model.operatorCodes[op.opcodeIndex]
        code = max(int(oc.builtinCode), int(oc.deprecatedBuiltinCode))
        name = op_names.get(code, f"BUILTIN_{code}")
        if name == "CUSTOM" and oc.customCode:
            custom = oc.customCode
            name = "CUSTOM:" + (custom.decode("utf-8", "replace") if isinstance(custom, bytes) else custom)
        inputs = tuple(_ints(op.inputs))
        outputs = tuple(_ints(op.outputs))
        ops.append(
            OpInfo(
                index=i,
                name=name,
                builtin_code=code,
                version=int(oc.version),
                inputs=inputs,
                outputs=outputs,
                macs=_macs(name, inputs, outputs, tensors),
            )
        )

    desc = model.description
    if isinstance(desc, bytes):
        desc = desc.decode("utf-8", "replace")
    return ModelInfo(
        source=label,
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        schema_version=int(model.version),
        description=desc or "",
        num_subgraphs=len(model.subgraphs),
        tensors=tuple(tensors),
        ops=tuple(ops),
        inputs=tuple(tensors[i] for i in _ints(sg.inputs)),
        outputs=tuple(tensors[i] for i in _ints(sg.outputs)),
    )


def _macs(name: str, inputs: tuple[int, ...], outputs: tuple[int, ...], tensors: list[TensorInfo]) -> int:
    """Multiply-accumulates of one op: output elements x reduction length.

    FULLY_CONNECTED: weights [out, in]            -> out_elements * in
    CONV_2D:         filter [O, KH, KW, I/groups] -> out_elements * KH * KW * I/groups
    DEPTHWISE_CONV_2D: filter [1, KH, KW, O]      -> out_elements * KH * KW
    """
    if name not in ("FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D"):
        return 0
    if len(inputs) < 2 or not outputs or inputs[1] < 0 or outputs[0] < 0:
        return 0
    w = tensors[inputs[1]].shape
    out = tensors[outputs[0]].num_elements
    if name == "FULLY_CONNECTED" and len(w) >= 1:
        return out * w[-1]
    if name == "CONV_2D" and len(w) == 4:
        return out * w[1] * w[2] * w[3]
    if name == "DEPTHWISE_CONV_2D" and len(w) == 4:
        return out * w[1] * w[2]
    return 0

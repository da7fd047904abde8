"""A bounds-checked reader of the TFLite flatbuffer fields hilbench inspects.

Why not the flatbuffers object API: the generated Python code does no verification, so a
corrupt or truncated file fails deep inside it with struct.error, IndexError, TypeError or
a MemoryError from a garbage vector length, and the user sees "unpack_from requires a
buffer of at least ..." about nothing they can find in their file. This reader checks
every table, vtable, offset, vector length and string against the file before reading it
and reports the first defect as one ModelError line naming the field (its path from the
root, e.g. `subgraphs[0].tensors[12].shape`) and the byte offset at fault.

It reads only what hilbench.models.inspect uses and returns plain objects whose attribute
names match the object API's (ModelT.operatorCodes, TensorT.zeroPoint, ...), so the
validation and summary code is the same either way. Field slots are those of the TFLite
schema (tensorflow/lite/schema/schema.fbs, version 3).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from hilbench.errors import ModelError

_I8 = struct.Struct("<b")
_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


@dataclass
class OperatorCodeT:
    deprecatedBuiltinCode: int = 0
    customCode: bytes | None = None
    version: int = 1
    builtinCode: int = 0


@dataclass
class QuantizationT:
    min: list[float] | None = None
    max: list[float] | None = None
    scale: list[float] | None = None
    zeroPoint: list[int] | None = None
    quantizedDimension: int = 0


@dataclass
class TensorT:
    shape: list[int] | None = None
    type: int = 0
    buffer: int = 0
    name: bytes | None = None
    quantization: QuantizationT | None = None


@dataclass
class OperatorT:
    opcodeIndex: int = 0
    inputs: list[int] | None = None
    outputs: list[int] | None = None


@dataclass
class SubGraphT:
    tensors: list[TensorT] = field(default_factory=list)
    inputs: list[int] | None = None
    outputs: list[int] | None = None
    operators: list[OperatorT] = field(default_factory=list)
    name: bytes | None = None


@dataclass
class BufferT:
    data: bytes | None = None
    offset: int = 0
    size: int = 0


@dataclass
class ModelT:
    version: int = 0
    operatorCodes: list[OperatorCodeT] = field(default_factory=list)
    subgraphs: list[SubGraphT] = field(default_factory=list)
    description: bytes | None = None
    buffers: list[BufferT] = field(default_factory=list)


@dataclass(frozen=True)
class _Table:
    pos: int
    vtable: int
    vt_size: int
    size: int
    path: str


class _Reader:
    """Checked reads from one flatbuffer; every failure is a one-line ModelError."""

    def __init__(self, data: bytes, label: str) -> None:
        self.data = data
        self.n = len(data)
        self.label = label

    def fail(self, path: str, pos: int, what: str) -> ModelError:
        return ModelError(
            f"{self.label}: truncated or corrupt TFLite flatbuffer ({self.n} bytes): "
            f"{path} at byte offset {pos}: {what}"
        )

    def need(self, pos: int, size: int, path: str) -> None:
        if pos < 0 or pos + size > self.n:
            raise self.fail(path, pos, f"{size} bytes needed, past the end of the file")

    def unpack(self, st: struct.Struct, pos: int, path: str) -> int:
        self.need(pos, st.size, path)
        return int(st.unpack_from(self.data, pos)[0])

    # -- tables ------------------------------------------------------------------------

    def table_at(self, pos: int, path: str) -> _Table:
        self.need(pos, 4, path)
        vtable = pos - self.unpack(_I32, pos, path)
        if vtable < 0 or vtable + 4 > self.n:
            raise self.fail(path, pos, f"its vtable at {vtable} is outside the file")
        vt_size = self.unpack(_U16, vtable, path + " (vtable)")
        size = self.unpack(_U16, vtable + 2, path + " (vtable)")
        if vt_size < 4 or vt_size % 2 or vtable + vt_size > self.n:
            raise self.fail(path, vtable, f"vtable size {vt_size} is invalid")
        if size < 4 or pos + size > self.n:
            raise self.fail(path, pos, f"table size {size} runs past the end of the file")
        return _Table(pos, vtable, vt_size, size, path)

    def field_pos(self, t: _Table, slot: int, name: str, width: int) -> int | None:
        """Absolute position of a field of `width` bytes, or None if it is absent."""
        voff = 4 + 2 * slot
        if voff + 2 > t.vt_size:
            return None
        off = self.unpack(_U16, t.vtable + voff, f"{t.path}.{name}")
        if off == 0:
            return None
        if off + width > t.size:
            raise self.fail(
                f"{t.path}.{name}",
                t.pos + off,
                f"field of {width} bytes lies outside its table ({t.size} bytes)",
            )
        return t.pos + off

    def scalar(self, t: _Table, slot: int, name: str, st: struct.Struct, default: int) -> int:
        pos = self.field_pos(t, slot, name, st.size)
        return default if pos is None else self.unpack(st, pos, f"{t.path}.{name}")

    def _target(self, t: _Table, slot: int, name: str) -> int | None:
        """Where an offset field (table, vector, string) points, or None if absent."""
        pos = self.field_pos(t, slot, name, 4)
        if pos is None:
            return None
        target = pos + self.unpack(_U32, pos, f"{t.path}.{name}")
        if target + 4 > self.n:
            raise self.fail(f"{t.path}.{name}", pos, f"points to {target}, outside the file")
        return target

    def table(self, t: _Table, slot: int, name: str) -> _Table | None:
        target = self._target(t, slot, name)
        return None if target is None else self.table_at(target, f"{t.path}.{name}")

    def vector(self, t: _Table, slot: int, name: str, elem: int) -> tuple[int, int] | None:
        """(start, length) of a vector field, checked to lie inside the file."""
        target = self._target(t, slot, name)
        if target is None:
            return None
        length = self.unpack(_U32, target, f"{t.path}.{name}")
        start = target + 4
        if length * elem > self.n - start:
            raise self.fail(
                f"{t.path}.{name}", target, f"vector of {length} x {elem} bytes runs past the end of the file"
            )
        return start, length

    def scalars(self, t: _Table, slot: int, name: str, fmt: str) -> list[int] | list[float] | None:
        elem = struct.calcsize("<" + fmt)
        v = self.vector(t, slot, name, elem)
        if v is None:
            return None
        start, length = v
        return list(struct.unpack_from(f"<{length}{fmt}", self.data, start))

    def ints(self, t: _Table, slot: int, name: str, fmt: str = "i") -> list[int] | None:
        """A vector of integers ("i" int32, "q" int64, "B" uint8)."""
        v = self.scalars(t, slot, name, fmt)
        return None if v is None else [int(x) for x in v]

    def floats(self, t: _Table, slot: int, name: str) -> list[float] | None:
        """A vector of float32."""
        v = self.scalars(t, slot, name, "f")
        return None if v is None else [float(x) for x in v]

    def raw(self, t: _Table, slot: int, name: str) -> bytes | None:
        v = self.vector(t, slot, name, 1)
        return None if v is None else bytes(self.data[v[0] : v[0] + v[1]])

    def tables(self, t: _Table, slot: int, name: str) -> list[_Table]:
        v = self.vector(t, slot, name, 4)
        if v is None:
            return []
        start, length = v
        out = []
        for i in range(length):
            pos = start + 4 * i
            path = f"{t.path}.{name}[{i}]"
            target = pos + self.unpack(_U32, pos, path)
            out.append(self.table_at(target, path))
        return out


def read_model(data: bytes, label: str) -> ModelT:
    """The fields of a TFLite model that hilbench uses, or a one-line ModelError.

    The caller has checked the file identifier and that the root table offset lies inside
    the file (inspect.check_flatbuffer); everything below the root is checked here.
    """
    r = _Reader(data, label)
    root = r.table_at(r.unpack(_U32, 0, "root offset"), "model")
    model = ModelT(version=r.scalar(root, 0, "version", _U32, 0))
    for oc in r.tables(root, 1, "operator_codes"):
        model.operatorCodes.append(
            OperatorCodeT(
                deprecatedBuiltinCode=r.scalar(oc, 0, "deprecated_builtin_code", _I8, 0),
                customCode=r.raw(oc, 1, "custom_code"),
                version=r.scalar(oc, 2, "version", _I32, 1),
                builtinCode=r.scalar(oc, 3, "builtin_code", _I32, 0),
            )
        )
    for sg in r.tables(root, 2, "subgraphs"):
        sub = SubGraphT(
            inputs=r.ints(sg, 1, "inputs"),
            outputs=r.ints(sg, 2, "outputs"),
            name=r.raw(sg, 4, "name"),
        )
        for t in r.tables(sg, 0, "tensors"):
            qt = r.table(t, 4, "quantization")
            quant = None
            if qt is not None:
                quant = QuantizationT(
                    min=r.floats(qt, 0, "min"),
                    max=r.floats(qt, 1, "max"),
                    scale=r.floats(qt, 2, "scale"),
                    zeroPoint=r.ints(qt, 3, "zero_point", "q"),
                    quantizedDimension=r.scalar(qt, 6, "quantized_dimension", _I32, 0),
                )
            sub.tensors.append(
                TensorT(
                    shape=r.ints(t, 0, "shape"),
                    type=r.scalar(t, 1, "type", _I8, 0),
                    buffer=r.scalar(t, 2, "buffer", _U32, 0),
                    name=r.raw(t, 3, "name"),
                    quantization=quant,
                )
            )
        for op in r.tables(sg, 3, "operators"):
            sub.operators.append(
                OperatorT(
                    opcodeIndex=r.scalar(op, 0, "opcode_index", _U32, 0),
                    inputs=r.ints(op, 1, "inputs"),
                    outputs=r.ints(op, 2, "outputs"),
                )
            )
        model.subgraphs.append(sub)
    model.description = r.raw(root, 3, "description")
    for b in r.tables(root, 4, "buffers"):
        model.buffers.append(
            BufferT(
                data=r.raw(b, 0, "data"),
                offset=r.scalar(b, 1, "offset", _U64, 0),
                size=r.scalar(b, 2, "size", _U64, 0),
            )
        )
    return model

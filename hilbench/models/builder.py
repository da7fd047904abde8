"""Write small int8 TFLite models in pure Python.

Why: tests need tiny models with known weights, and the demo workload must be regenerable
byte for byte on any machine without TensorFlow. The TFLite schema that tflite-micro ships
(`schema_py_generated`, flatbuffers object API) is enough to write a valid .tflite file.

Usage::

    b = ModelBuilder(description="two-layer MLP")
    x = b.add_tensor("input", [1, 64], "int8", scale=1 / 16, zero_point=-128)
    w = b.add_tensor("w", [32, 64], "int8", scale=0.01, zero_point=0, data=weights)
    ...
    b.add_op("FULLY_CONNECTED", [x, w, bias], [y], {"fused_activation_function": "RELU"})
    b.set_io(inputs=[x], outputs=[y])
    data = b.build()

Conventions followed (those of the TFLite converter): schema version 3, file identifier
`TFL3`, buffer 0 is the empty sentinel that every non-constant tensor points at, one buffer
per constant tensor. Constant data is 16-byte aligned so that kernels (ours on the DUT
included) may read int32 bias and int8 weights in place. The same sequence of calls always
produces the same bytes.
"""

from __future__ import annotations

import inspect as _pyinspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np

from hilbench.errors import ModelError

SCHEMA_VERSION = 3
FILE_IDENTIFIER = b"TFL3"
BUFFER_ALIGNMENT = 16
# Codes above this live only in OperatorCode.builtin_code; the deprecated int8 field holds
# this placeholder (schema: PLACEHOLDER_FOR_GREATER_OP_CODES).
_PLACEHOLDER_FOR_GREATER_OP_CODES = 127

DTYPES: dict[str, tuple[str, np.dtype[Any]]] = {
    # hilbench dtype name -> (schema TensorType member, little-endian numpy dtype)
    "int8": ("INT8", np.dtype("<i1")),
    "uint8": ("UINT8", np.dtype("<u1")),
    "int16": ("INT16", np.dtype("<i2")),
    "int32": ("INT32", np.dtype("<i4")),
    "int64": ("INT64", np.dtype("<i8")),
    "float32": ("FLOAT32", np.dtype("<f4")),
    "bool": ("BOOL", np.dtype("?")),
}

# Options table written for an op when the caller names none: the TFLite converter always
# writes one, and some runtimes read fields from it without a null check.
_OPTIONS_FOR_OP: dict[str, str] = {
    "FULLY_CONNECTED": "FullyConnectedOptions",
    "SOFTMAX": "SoftmaxOptions",
    "RESHAPE": "ReshapeOptions",
    "CONV_2D": "Conv2DOptions",
    "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "ADD": "AddOptions",
    "SUB": "SubOptions",
    "MUL": "MulOptions",
    "DIV": "DivOptions",
    "CONCATENATION": "ConcatenationOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "PAD": "PadOptions",
    "PADV2": "PadV2Options",
    "QUANTIZE": "QuantizeOptions",
    "DEQUANTIZE": "DequantizeOptions",
    "SQUEEZE": "SqueezeOptions",
    "STRIDED_SLICE": "StridedSliceOptions",
    "TRANSPOSE": "TransposeOptions",
    "LEAKY_RELU": "LeakyReluOptions",
    "HARD_SWISH": "HardSwishOptions",
    "ARG_MAX": "ArgMaxOptions",
    "ARG_MIN": "ArgMinOptions",
}

# Fields whose string values are names in a schema enum with a different name.
_ENUM_FOR_FIELD: dict[str, str] = {
    "fusedActivationFunction": "ActivationFunctionType",
    "padding": "Padding",
    "weightsFormat": "FullyConnectedOptionsWeightsFormat",
    "quantizedBiasType": "TensorType",
    "outputType": "TensorType",
    "inDataType": "TensorType",
    "outDataType": "TensorType",
    "idxOutType": "TensorType",
    "mode": "MirrorPadMode",
    "combiner": "CombinerType",
    "kernelType": "LSTMKernelType",
}

# Defaults that differ from the schema's zero default but are what every converter writes.
_DEFAULT_OPTIONS: dict[str, dict[str, Any]] = {
    "SOFTMAX": {"beta": 1.0},
    "CONV_2D": {"strideW": 1, "strideH": 1, "dilationWFactor": 1, "dilationHFactor": 1},
    "DEPTHWISE_CONV_2D": {
        "strideW": 1,
        "strideH": 1,
        "depthMultiplier": 1,
        "dilationWFactor": 1,
        "dilationHFactor": 1,
    },
}


@cache
def load_schema() -> ModuleType:
    """Return the TFLite schema module (flatbuffers object API) that tflite-micro ships.

    Imported lazily so `import hilbench` does not pay for it. ai-edge-litert ships the same
    generated module and is used when tflite-micro is absent.
    """
    try:
        from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema
    except ImportError:
        try:
            from ai_edge_litert import schema_py_generated as schema
        except ImportError as exc:
            raise ModelError(
                "the TFLite schema is unavailable: install tflite-micro (pip install tflite-micro)"
            ) from exc
    return schema


def _camel(name: str) -> str:
    """`fused_activation_function` -> `fusedActivationFunction` (object API attribute)."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _pascal(name: str) -> str:
    """`STRIDED_SLICE` -> `StridedSlice`; `Conv2D`-style names are kept."""
    if name.isupper() or "_" in name:
        return "".join(p.capitalize() for p in name.lower().split("_"))
    return name[:1].upper() + name[1:]


def _enum_members(cls: type) -> dict[str, int]:
    return {k: v for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


@cache
def _schema_enums() -> dict[str, dict[str, int]]:
    """Every enum class of the schema (classes whose public attributes are all ints)."""
    schema = load_schema()
    enums: dict[str, dict[str, int]] = {}
    for name, cls in vars(schema).items():
        if not _pyinspect.isclass(cls) or cls.__module__ != schema.__name__:
            continue
        public = {k: v for k, v in vars(cls).items() if not k.startswith("_")}
        if public and all(isinstance(v, int) for v in public.values()):
            enums[name] = _enum_members(cls)
    return enums


def _translate_enum(op: str, field: str, value: str) -> int:
    """Map an enum member name ("RELU", "SAME") to its integer for option `field`."""
    enums = _schema_enums()
    candidates = []
    if field in _ENUM_FOR_FIELD:
        candidates.append(_ENUM_FOR_FIELD[field])
    candidates.append(field[:1].upper() + field[1:])
    for enum_name in candidates:
        members = enums.get(enum_name)
        if members is not None:
            if value not in members:
                raise ModelError(
                    f"{op}: option {field}={value!r} is not a {enum_name} (one of {', '.join(members)})"
                )
            return members[value]
    owners = [name for name, members in enums.items() if value in members]
    if len(owners) == 1:
        return enums[owners[0]][value]
    raise ModelError(f"{op}: cannot tell which enum option {field}={value!r} belongs to")


def _options_object(op: str, union_name: str, options: Mapping[str, Any]) -> tuple[int, Any]:
    """Build `<union_name>T` from a snake_case dict; return (union type code, object)."""
    schema = load_schema()
    code = getattr(schema.BuiltinOptions, union_name, None)
    cls = getattr(schema, union_name + "T", None)
    if not isinstance(code, int) or cls is None:
        raise ModelError(f"{op}: unknown options table {union_name!r}")
    obj = cls()
    fields = dict(_DEFAULT_OPTIONS.get(op, {}))
    fields.update({_camel(k): v for k, v in options.items()})
    for field, value in fields.items():
        if not hasattr(obj, field):
            known = ", ".join(sorted(_snake(a) for a in vars(obj)))
            raise ModelError(f"{op}: {union_name} has no option {_snake(field)!r} (known: {known})")
        if isinstance(value, str):
            value = _translate_enum(op, field, value)
        elif isinstance(value, np.ndarray):
            value = [v.item() for v in value.ravel()]
        elif isinstance(value, (tuple, list)):
            value = [v.item() if isinstance(v, np.generic) else v for v in value]
        elif isinstance(value, np.generic):
            value = value.item()
        setattr(obj, field, value)
    return code, obj


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _AlignedBufferT:
    """A Buffer table whose data vector starts on a 16-byte boundary.

    The schema's own BufferT aligns data only to its element size (1 byte); the TFLite
    converter aligns to 16 so that int32 bias and SIMD kernels can read it in place.
    """

    def __init__(self, data: bytes | None) -> None:
        self.data = data

    def Pack(self, builder: Any) -> int:
        schema = load_schema()
        data_offset = None
        if self.data:
            n = len(self.data)
            builder.StartVector(1, n, BUFFER_ALIGNMENT)
            builder.head = builder.head - n
            builder.Bytes[builder.head : builder.head + n] = self.data
            data_offset = builder.EndVector()
        schema.BufferStart(builder)
        if data_offset is not None:
            schema.BufferAddData(builder, data_offset)
        return int(schema.BufferEnd(builder))


@dataclass
class _Tensor:
    name: str
    shape: list[int]
    dtype: str
    scale: list[float] | None
    zero_point: list[int] | None
    quantized_dimension: int
    buffer: int


@dataclass
class _Op:
    name: str
    code: int
    version: int
    inputs: list[int]
    outputs: list[int]
    options_type: int
    options: Any


class ModelBuilder:
    """Collects tensors and ops of one subgraph and serialises them as a .tflite model."""

    def __init__(self, description: str = "hilbench") -> None:
        self.description = description
        self._tensors: list[_Tensor] = []
        self._buffers: list[bytes | None] = [None]  # buffer 0: empty sentinel
        self._ops: list[_Op] = []
        self._inputs: list[int] = []
        self._outputs: list[int] = []

    # -- tensors -----------------------------------------------------------------------

    def add_tensor(
        self,
        name: str,
        shape: Sequence[int],
        dtype: str = "int8",
        scale: float | Sequence[float] | None = None,
        zero_point: int | Sequence[int] | None = None,
        quantized_dimension: int = 0,
        data: np.ndarray | None = None,
    ) -> int:
        """Add a tensor and return its index; `data` makes it a constant with its own buffer.

        `scale`/`zero_point` give per-tensor (scalar) or per-channel (list, along
        `quantized_dimension`) quantization; a missing zero point is 0.
        """
        if dtype not in DTYPES:
            raise ModelError(f"tensor {name!r}: dtype {dtype!r} not one of {', '.join(DTYPES)}")
        shape_list = [int(d) for d in shape]
        if any(d < 0 for d in shape_list):
            raise ModelError(f"tensor {name!r}: negative dimension in shape {shape_list}")
        scales = _as_list(scale, float)
        zps = _as_list(zero_point, int)
        if scales is None and zps is not None:
            raise ModelError(f"tensor {name!r}: zero_point given without scale")
        if scales is not None:
            if zps is None:
                zps = [0] * len(scales)
            if len(zps) == 1 and len(scales) > 1:
                zps = zps * len(scales)
            if len(zps) != len(scales):
                raise ModelError(f"tensor {name!r}: {len(scales)} scales but {len(zps)} zero points")
            if len(scales) > 1:
                if not 0 <= quantized_dimension < len(shape_list):
                    raise ModelError(
                        f"tensor {name!r}: quantized_dimension {quantized_dimension} "
                        f"outside shape {shape_list}"
                    )
                if shape_list[quantized_dimension] != len(scales):
                    raise ModelError(
                        f"tensor {name!r}: {len(scales)} scales for dimension "
                        f"{quantized_dimension} of size {shape_list[quantized_dimension]}"
                    )
        buffer = 0
        if data is not None:
            buffer = len(self._buffers)
            self._buffers.append(_tensor_bytes(name, shape_list, dtype, data))
        self._tensors.append(_Tensor(name, shape_list, dtype, scales, zps, quantized_dimension, buffer))
        return len(self._tensors) - 1

    # -- ops ---------------------------------------------------------------------------

    def add_op(
        self,
        op: str,
        inputs: Sequence[int],
        outputs: Sequence[int],
        options: Mapping[str, Any] | None = None,
        *,
        options_type: str | None = None,
        version: int = 1,
    ) -> int:
        """Add a builtin op (a `BuiltinOperator` name) and return its index.

        `options` is a snake_case dict mapped onto the op's `<Union>OptionsT` object; enum
        values may be given by name ("RELU", "SAME"). The options table is found from the
        op name (`_OPTIONS_FOR_OP`, else `<PascalName>Options` if the union has it) or named
        explicitly with `options_type` (e.g. "ReducerOptions"). An input index of -1 marks
        an omitted optional input (e.g. no bias).
        """
        schema = load_schema()
        code = getattr(schema.BuiltinOperator, op, None)
        if not isinstance(code, int):
            raise ModelError(f"unknown builtin operator {op!r}")
        for t in [*inputs, *outputs]:
            if not (t == -1 or 0 <= t < len(self._tensors)):
                raise ModelError(f"{op}: tensor index {t} does not exist")
        union = options_type or _OPTIONS_FOR_OP.get(op)
        if union is None and hasattr(schema.BuiltinOptions, _pascal(op) + "Options"):
            union = _pascal(op) + "Options"
        if union is None:
            if options:
                raise ModelError(f"{op}: no options table known; pass options_type=")
            opt_type, opt_obj = 0, None
        else:
            opt_type, opt_obj = _options_object(op, union, options or {})
        self._ops.append(
            _Op(op, code, version, [int(i) for i in inputs], [int(o) for o in outputs], opt_type, opt_obj)
        )
        return len(self._ops) - 1

    def set_io(self, inputs: Sequence[int], outputs: Sequence[int]) -> None:
        """Declare the subgraph's input and output tensors (in this order)."""
        for t in [*inputs, *outputs]:
            if not 0 <= t < len(self._tensors):
                raise ModelError(f"model input/output: tensor index {t} does not exist")
        self._inputs = [int(i) for i in inputs]
        self._outputs = [int(o) for o in outputs]

    # -- serialisation -----------------------------------------------------------------

    def build(self) -> bytes:
        """Serialise to .tflite bytes (deterministic for the same sequence of calls)."""
        import flatbuffers

        schema = load_schema()
        if not self._outputs:
            raise ModelError("model has no outputs: call set_io() before build()")

        opcode_index: dict[tuple[int, int], int] = {}
        opcodes: list[Any] = []
        operators = []
        for op in self._ops:
            key = (op.code, op.version)
            if key not in opcode_index:
                opcode_index[key] = len(opcodes)
                oc = schema.OperatorCodeT()
                oc.builtinCode = op.code
                oc.deprecatedBuiltinCode = min(op.code, _PLACEHOLDER_FOR_GREATER_OP_CODES)
                oc.version = op.version
                opcodes.append(oc)
            o = schema.OperatorT()
            o.opcodeIndex = opcode_index[key]
            o.inputs = list(op.inputs)
            o.outputs = list(op.outputs)
            o.builtinOptionsType = op.options_type
            o.builtinOptions = op.options
            operators.append(o)

        tensors = []
        for t in self._tensors:
            tt = schema.TensorT()
            tt.name = t.name
            tt.shape = list(t.shape)
            tt.type = getattr(schema.TensorType, DTYPES[t.dtype][0])
            tt.buffer = t.buffer
            if t.scale is not None:
                q = schema.QuantizationParametersT()
                q.scale = list(t.scale)
                q.zeroPoint = list(t.zero_point or [])
                q.quantizedDimension = t.quantized_dimension
                tt.quantization = q
            tensors.append(tt)

        sg = schema.SubGraphT()
        sg.tensors = tensors
        sg.inputs = list(self._inputs)
        sg.outputs = list(self._outputs)
        sg.operators = operators
        sg.name = "main"

        model = schema.ModelT()
        model.version = SCHEMA_VERSION
        model.description = self.description
        model.operatorCodes = opcodes
        model.subgraphs = [sg]
        model.buffers = [_AlignedBufferT(b) for b in self._buffers]

        fbb = flatbuffers.Builder(1024)
        fbb.Finish(model.Pack(fbb), file_identifier=FILE_IDENTIFIER)
        return bytes(fbb.Output())


def _as_list(value: Any, kind: type) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return [kind(v) for v in value.ravel().tolist()]
    if isinstance(value, (list, tuple)):
        return [kind(v) for v in value]
    return [kind(value)]


def _tensor_bytes(name: str, shape: list[int], dtype: str, data: np.ndarray) -> bytes:
    """Little-endian bytes of `data`, refusing silent truncation or a shape mismatch."""
    arr = np.asarray(data)
    target = DTYPES[dtype][1]
    if arr.size != int(np.prod(shape, dtype=np.int64)):
        raise ModelError(
            f"tensor {name!r}: data has {arr.size} elements, shape {shape} needs "
            f"{int(np.prod(shape, dtype=np.int64))}"
        )
    converted = arr.astype(target)
    if target.kind in "iub" and arr.dtype != target and not np.array_equal(converted, arr):
        raise ModelError(f"tensor {name!r}: data values do not fit dtype {dtype}")
    return converted.tobytes(order="C")

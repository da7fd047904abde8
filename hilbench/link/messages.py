"""Payload layouts, message types and status codes of protocol v1 (docs/protocol.md §3-4)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from enum import IntEnum


class Msg(IntEnum):
    HELLO = 0x01
    MODEL_BEGIN = 0x02
    MODEL_DATA = 0x03
    MODEL_END = 0x04
    SET_INPUT = 0x05
    INVOKE = 0x06
    GET_OUTPUT = 0x07
    PROFILE = 0x08
    RAW_ECHO = 0x09
    TENSOR = 0x0A
    MODEL_FLASH = 0x0B
    NAK = 0x7E
    BOOT = 0x7F


class Status(IntEnum):
    OK = 0
    BAD_VERSION = 1
    UNKNOWN_TYPE = 2
    BAD_LENGTH = 3
    BAD_STATE = 4
    OUT_OF_RANGE = 5
    MODEL_TOO_LARGE = 6
    MODEL_CRC = 7
    MODEL_INVALID = 8
    UNSUPPORTED_OP = 9
    UNSUPPORTED_TYPE = 10
    ARENA_TOO_SMALL = 11
    INVOKE_FAILED = 12
    TOO_MANY = 13


TIMER_KINDS = {
    1: "systick",
    2: "dwt_cycles",
    3: "riscv_mcycle",
    4: "riscv_mtime",
    5: "host_clock",
    6: "cmsdk_timer",
}

CAP_MODEL_UPLOAD = 1 << 0
CAP_FLASH_MODEL = 1 << 1
CAP_PROFILE = 1 << 2
CAP_TIMESTAMP_PIN = 1 << 3
CAP_RAW_ECHO = 1 << 4
CAP_NAK = 1 << 5  # the DUT sends NAK events (docs/protocol.md §2a)

TENSOR_TYPES = {0: "float32", 2: "int32", 3: "uint8", 4: "int64", 7: "int16", 9: "int8"}
NUMPY_DTYPES = {"float32": "<f4", "int32": "<i4", "uint8": "u1", "int64": "<i8", "int16": "<i2", "int8": "i1"}

NO_INDEX = 0xFFFF


class PayloadError(ValueError):
    """A DUT payload does not have the layout protocol v1 defines."""


class _Reader:
    """Bounds-checked little-endian reader over one payload."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, fmt: str) -> tuple:
        size = struct.calcsize("<" + fmt)
        if self.pos + size > len(self.data):
            raise PayloadError(
                f"{self.what}: payload of {len(self.data)} bytes ends at byte {self.pos}, need {size} more"
            )
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += size
        return values

    def string(self) -> str:
        (n,) = self.take("B")
        if self.pos + n > len(self.data):
            raise PayloadError(
                f"{self.what}: string of {n} bytes at byte {self.pos - 1} runs past the payload"
            )
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        return raw.decode("ascii", errors="replace")


@dataclass(frozen=True)
class Hello:
    """What the DUT says about itself; the host sizes chunks and converts ticks from it."""

    proto_version: int
    timer_kind: str
    max_payload: int
    rx_buffer_bytes: int
    arena_bytes: int
    model_capacity_bytes: int
    clock_hz: int
    timer_hz: int
    capabilities: int
    max_ops: int
    firmware_name: str
    firmware_version: str
    git_hash: str
    board: str
    core: str
    # Trailing fields (added within v1; 0 when an older DUT does not send them).
    flash_model_addr: int = 0
    flash_model_capacity: int = 0
    input_capacity: int = 0

    @classmethod
    def parse(cls, payload: bytes) -> Hello:
        r = _Reader(payload, "HELLO response")
        proto, timer_kind, max_payload = r.take("BBH")
        rx, arena, cap, clock, timer_hz, caps, max_ops = r.take("7I")
        name, version, git_hash, board, core = (r.string() for _ in range(5))
        flash_addr, flash_cap, input_cap = r.take("3I") if len(payload) - r.pos >= 12 else (0, 0, 0)
        return cls(
            proto,
            TIMER_KINDS.get(timer_kind, f"unknown({timer_kind})"),
            max_payload,
            rx,
            arena,
            cap,
            clock,
            timer_hz,
            caps,
            max_ops,
            name,
            version,
            git_hash,
            board,
            core,
            flash_addr,
            flash_cap,
            input_cap,
        )

    def has(self, capability: int) -> bool:
        return bool(self.capabilities & capability)


@dataclass(frozen=True)
class TensorDesc:
    """A model input or output as the DUT planned it."""

    type: str
    tensor_index: int
    nbytes: int
    scale: float
    zero_point: int
    shape: tuple[int, ...]

    @property
    def dtype(self) -> str:
        return NUMPY_DTYPES.get(self.type, "u1")


@dataclass(frozen=True)
class ModelDesc:
    """MODEL_END response: what the DUT needs to run the uploaded model."""

    arena_used: int
    n_ops: int
    n_tensors: int
    inputs: list[TensorDesc] = field(default_factory=list)
    outputs: list[TensorDesc] = field(default_factory=list)

    @classmethod
    def parse(cls, payload: bytes) -> ModelDesc:
        r = _Reader(payload, "MODEL_END response")
        arena, n_ops, n_tensors, n_in, n_out, _ = r.take("IHHBBH")
        descs = []
        for _ in range(n_in + n_out):
            type_, ndims, index, nbytes, scale, zp = r.take("BBHIfi")
            dims = r.take(f"{ndims}i") if ndims else ()
            descs.append(
                TensorDesc(TENSOR_TYPES.get(type_, f"type{type_}"), index, nbytes, scale, zp, tuple(dims))
            )
        return cls(arena, n_ops, n_tensors, descs[:n_in], descs[n_in:])


@dataclass(frozen=True)
class ErrorDetail:
    """The error payload every non-OK response carries."""

    status: Status | int
    op_index: int | None
    op_code: int | None
    value: int
    message: str

    @classmethod
    def parse(cls, status: int, payload: bytes) -> ErrorDetail:
        try:
            st: Status | int = Status(status)
        except ValueError:
            st = status
        try:
            r = _Reader(payload, "error payload")
            op_index, op_code, value = r.take("HHI")
            message = r.string()
        except PayloadError:
            return cls(st, None, None, 0, f"(malformed error payload of {len(payload)} bytes)")
        return cls(
            st,
            None if op_index == NO_INDEX else op_index,
            None if op_code == NO_INDEX else op_code,
            value,
            message,
        )

    def describe(self) -> str:
        name = self.status.name if isinstance(self.status, Status) else f"status {self.status}"
        where = f" at op {self.op_index}" if self.op_index is not None else ""
        return f"{name}{where}: {self.message}" if self.message else f"{name}{where}"


def parse_invoke(payload: bytes) -> list[int]:
    r = _Reader(payload, "INVOKE response")
    count, _ = r.take("HH")
    return list(r.take(f"{count}Q")) if count else []


def parse_profile(payload: bytes, expect_first: int) -> tuple[int, list[int]]:
    """PROFILE response: (operators in the model, ticks of the operators returned)."""
    r = _Reader(payload, "PROFILE response")
    n_ops, first, count, _ = r.take("HHHH")
    if first != expect_first:
        raise PayloadError(f"PROFILE response starts at op {first}, asked for {expect_first}")
    return n_ops, list(r.take(f"{count}Q")) if count else []

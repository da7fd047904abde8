"""Mutated real models through the host model inspector (hilbench.models.inspect).

Every outcome must be a ModelInfo or one ModelError line that starts with the file's label
and names the field or byte offset at fault; never a parser internal (struct.error,
"unpack_from requires a buffer ...", TypeError, IndexError) as the flatbuffers object API
produced before hilbench.models.tflite_reader checked every offset.
"""

from __future__ import annotations

import re
import struct
import sys
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hilbench.errors import ModelError
from hilbench.models.inspect import inspect_model
from hilbench.models.tflite_reader import _Reader
from tests.conftest import ROOT, SHARED

sys.path.insert(0, str(ROOT / "firmware" / "fuzz"))
import make_seeds  # noqa: E402

LABEL = "fuzz.tflite"
LEAKS = re.compile(
    r"unpack_from|struct\.error|TypeError|IndexError|KeyError|AttributeError|"
    r"UnicodeDecodeError|MemoryError|OverflowError|object has no attribute|"
    r"index out of range|NoneType"
)
# What a one-line model error names: a field path with its byte offset, or a checked fact.
NAMES_FIELD = re.compile(
    r"byte offset \d+|root (table|vtable)|file identifier|truncated: \d+ bytes|"
    r"empty file|schema version|no subgraphs|tensor -?\d+|op \d+|buffer \d+"
)
INTERESTING_U32 = [0, 1, 3, 4, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFC]


@cache
def base_models() -> dict[str, bytes]:
    models = dict(make_seeds.small_models())
    models["digits_mlp"] = (ROOT / "hilbench" / "demo" / "digits_mlp.tflite").read_bytes()
    mlperf = SHARED / "models" / "mlperf-tiny"
    if mlperf.is_dir():  # the MLPerf Tiny reference models, when the shared data is present
        for p in sorted(mlperf.glob("*.tflite")):
            models[p.stem] = p.read_bytes()
    return models


def check_outcome(data: bytes) -> None:
    try:
        info = inspect_model(data, name=LABEL)
    except ModelError as exc:
        msg = str(exc)
        assert "\n" not in msg, msg
        assert msg.startswith(f"{LABEL}: "), msg
        assert not LEAKS.search(msg), msg
        assert NAMES_FIELD.search(msg), msg
    else:
        assert info.size_bytes == len(data)
        assert info.to_dict()["sha256"] == info.sha256


mutation = st.one_of(
    st.tuples(st.just("byte"), st.integers(0, 1 << 30), st.integers(0, 255)),
    st.tuples(st.just("u32"), st.integers(0, 1 << 30), st.sampled_from(INTERESTING_U32)),
    st.tuples(st.just("cut"), st.integers(0, 1 << 30), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.integers(0, 1 << 30), st.integers(1, 64)),
    st.tuples(st.just("insert"), st.integers(0, 1 << 30), st.integers(1, 64)),
)


def mutate(data: bytes, ops: list[tuple[str, int, int]]) -> bytes:
    b = bytearray(data)
    for kind, pos, v in ops:
        if not b:
            break
        i = pos % len(b)
        if kind == "byte":
            b[i] = v
        elif kind == "u32":
            i -= i % 4  # flatbuffer offsets and lengths are 4-byte aligned
            b[i : i + 4] = struct.pack("<I", v)[: len(b) - i]
        elif kind == "cut":
            del b[max(i, 8) :]
        elif kind == "delete":
            del b[i : i + v]
        else:
            b[i:i] = bytes([v]) * v
    return bytes(b)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(base_models())), st.lists(mutation, min_size=1, max_size=6))
def test_mutated_real_models_give_model_info_or_one_line_model_error(name: str, ops: list) -> None:
    check_outcome(mutate(base_models()[name], ops))


@pytest.mark.parametrize("value", [0x00, 0xFF, 0x80, 0x7F])
def test_every_single_byte_of_a_model_overwritten(value: int) -> None:
    """Exhaustive: each byte of the fc model, in turn, set to value."""
    good = base_models()["fc"]
    for i in range(len(good)):
        check_outcome(good[:i] + bytes([value]) + good[i + 1 :])


@pytest.mark.parametrize("cut", range(8, 600, 7))
def test_truncations_of_a_model(cut: int) -> None:
    check_outcome(base_models()["conv"][:cut])


def _shape_vector_offset(data: bytes) -> int:
    """Byte offset of subgraphs[0].tensors[0].shape's length word (found with the reader)."""
    r = _Reader(data, "x")
    root = r.table_at(struct.unpack_from("<I", data, 0)[0], "model")
    tensor = r.tables(r.tables(root, 2, "subgraphs")[0], 0, "tensors")[0]
    target = r._target(tensor, 0, "shape")
    assert target is not None
    return target


def test_a_huge_vector_length_names_the_field_and_offset() -> None:
    """Before: `... TypeError/struct.error: unpack_from requires a buffer of ...`."""
    good = bytearray(base_models()["fc"])
    at = _shape_vector_offset(bytes(good))
    good[at : at + 4] = struct.pack("<I", 0x7FFFFFFF)
    with pytest.raises(ModelError) as err:
        inspect_model(bytes(good), name="fc.tflite")
    assert str(err.value) == (
        f"fc.tflite: truncated or corrupt TFLite flatbuffer ({len(good)} bytes): "
        f"model.subgraphs[0].tensors[0].shape at byte offset {at}: "
        f"vector of 2147483647 x 4 bytes runs past the end of the file"
    )


def test_an_offset_pointing_outside_the_file_names_the_field() -> None:
    good = bytearray(base_models()["fc"])
    r = _Reader(bytes(good), "x")
    root = r.table_at(struct.unpack_from("<I", good, 0)[0], "model")
    pos = r.field_pos(root, 2, "subgraphs", 4)
    assert pos is not None
    good[pos : pos + 4] = struct.pack("<I", 0xFFFFFF00)
    with pytest.raises(
        ModelError, match=rf"model\.subgraphs at byte offset {pos}: points to \d+, outside the file"
    ):
        inspect_model(bytes(good), name="fc.tflite")

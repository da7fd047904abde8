"""Property tests (hypothesis) of the host side of the link: COBS and the frame decoder.

Why: the decoder faces whatever a UART delivers (noise, cut frames, a DUT's boot text,
echoed bytes). It must never raise, must hand back exactly the good frames whatever the
chunking, and must resynchronise at the next 0x00 after any garbage or oversized frame.
"""

from __future__ import annotations

import struct
import zlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hilbench.link import cobs
from hilbench.link.frame import (
    HEADER,
    MIN_FRAME,
    Frame,
    FrameDecoder,
    encode,
    pack,
    unpack,
    wire_size,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

frames = st.builds(
    Frame,
    type=st.integers(0, 255),
    seq=st.integers(0, 0xFFFF),
    payload=st.binary(max_size=600),
    status=st.integers(0, 255),
    flags=st.integers(0, 255),
    version=st.integers(0, 255),
)
# Garbage between frames: anything without a 0x00 (a 0x00 in it would only start a new
# block early, which the delimiters around every frame already cover).
garbage = st.binary(max_size=80).map(lambda b: b.replace(b"\x00", b"\x01"))


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return pieces


@SETTINGS
@given(st.binary(max_size=2000))
def test_cobs_round_trip_and_no_zero(data: bytes) -> None:
    enc = cobs.encode(data)
    assert 0 not in enc
    assert len(enc) <= cobs.max_encoded_size(len(data))
    assert cobs.decode(enc) == data


@SETTINGS
@given(st.binary(max_size=600))
def test_cobs_decode_of_anything_is_bytes_or_cobs_error(data: bytes) -> None:
    try:
        out = cobs.decode(data)
    except cobs.CobsError as exc:
        assert "offset" in str(exc)
    else:
        assert isinstance(out, bytes) and len(out) <= len(data)


@SETTINGS
@given(frames)
def test_pack_unpack_round_trip(frame: Frame) -> None:
    body = pack(frame)
    assert unpack(body) == frame
    assert len(encode(frame)) <= wire_size(len(frame.payload))


@SETTINGS
@given(st.binary(max_size=300))
def test_unpack_of_anything_is_frame_or_value_error(body: bytes) -> None:
    try:
        f = unpack(body)
    except ValueError as exc:
        assert str(exc)
    else:
        assert len(body) >= MIN_FRAME and len(f.payload) == len(body) - MIN_FRAME


@SETTINGS
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_decoder_never_raises_on_arbitrary_bytes(chunks: list[bytes]) -> None:
    dec = FrameDecoder()
    for c in chunks:
        for f in dec.feed(c):
            assert isinstance(f, Frame)
            # A frame the decoder returns is one whose CRC and length checked out.
            assert unpack(pack(f)) == f
    assert dec.dropped >= 0


@SETTINGS
@given(
    st.lists(st.tuples(garbage, frames), min_size=1, max_size=8), st.lists(st.integers(0, 10**6), max_size=12)
)
def test_decoder_returns_exactly_the_frames_whatever_the_chunking(
    items: list[tuple[bytes, Frame]], cuts: list[int]
) -> None:
    stream = b"".join(g + b"\x00" + encode(f) for g, f in items)
    want = [f for _, f in items]
    whole = FrameDecoder().feed(stream)
    dec = FrameDecoder()
    chunked = [f for piece in _split(stream, cuts) for f in dec.feed(piece)]
    assert whole == want
    assert chunked == want


@SETTINGS
@given(frames, st.integers(1, 64))
def test_corrupting_any_byte_drops_the_frame_and_the_next_one_decodes(frame: Frame, pos: int) -> None:
    wire = bytearray(encode(frame)[:-1])
    i = pos % len(wire)
    wire[i] = wire[i] ^ 0x5A or 0x01  # never a 0x00: that would split the block
    nxt = Frame(type=1, seq=2, payload=b"next")
    dec = FrameDecoder()
    got = dec.feed(bytes(wire) + b"\x00" + encode(nxt))
    assert got == [nxt]
    assert dec.dropped == 1


@SETTINGS
@given(st.integers(1, 3000), st.integers(64, 1024))
def test_oversized_frame_is_dropped_and_decoding_resumes(extra: int, max_frame: int) -> None:
    dec = FrameDecoder(max_frame=max_frame)
    big = Frame(type=3, seq=1, payload=bytes(max_frame + extra))
    small = Frame(type=1, seq=2, payload=b"ok")
    got = dec.feed(encode(big) + encode(small))
    assert got == [small]
    assert dec.dropped == 1


def test_crc_is_zlib_crc32_over_header_and_payload() -> None:
    f = Frame(type=6, seq=7, payload=b"\x01\x00\x00\x00\x00\x00\x00\x00")
    body = pack(f)
    head = HEADER.pack(1, 6, 7, 8, 0, 0)
    assert body == head + f.payload + struct.pack("<I", zlib.crc32(head + f.payload))

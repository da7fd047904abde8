"""COBS and frame layer: encoding round trips and the resynchronisation rules."""

from __future__ import annotations

import random
import struct
import zlib

import pytest

from hilbench.link import cobs
from hilbench.link import frame as fr


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        b"\x00\x00",
        b"\x11\x22\x00\x33",
        bytes(range(1, 255)),
        bytes(range(1, 256)),
        bytes(range(256)) * 3,
        b"\xff" * 600,
    ],
)
def test_cobs_round_trip_known(data: bytes) -> None:
    enc = cobs.encode(data)
    assert 0 not in enc
    assert cobs.decode(enc) == data
    assert len(enc) <= cobs.max_encoded_size(len(data))


def test_cobs_known_vectors() -> None:
    # From Cheshire & Baker's paper / Wikipedia examples.
    assert cobs.encode(b"\x00") == b"\x01\x01"
    assert cobs.encode(b"\x00\x00") == b"\x01\x01\x01"
    assert cobs.encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"
    assert cobs.encode(b"\x11\x00\x00\x00") == b"\x02\x11\x01\x01\x01"
    assert cobs.encode(bytes(range(1, 255))) == b"\xff" + bytes(range(1, 255)) + b"\x01"


def test_cobs_random_round_trip() -> None:
    rng = random.Random(1)
    for _ in range(300):
        data = bytes(rng.choice([0, rng.randrange(256)]) for _ in range(rng.randrange(0, 1200)))
        assert cobs.decode(cobs.encode(data)) == data


def test_cobs_rejects_bad_code() -> None:
    with pytest.raises(cobs.CobsError):
        cobs.decode(b"\x05\x11")
    with pytest.raises(cobs.CobsError):
        cobs.decode(b"\x02\x00")


def test_frame_layout_matches_protocol_doc() -> None:
    f = fr.Frame(type=0x06, seq=0x1234, payload=b"\x01\x02", status=0, flags=0)
    body = fr.pack(f)
    assert body[:8] == bytes([1, 6, 0x34, 0x12, 2, 0, 0, 0])
    assert body[8:10] == b"\x01\x02"
    assert struct.unpack("<I", body[10:])[0] == zlib.crc32(body[:10])
    wire = fr.encode(f)
    assert wire.endswith(b"\x00") and wire.count(0) == 1


def test_decoder_resynchronises_after_garbage_and_drops_bad_crc() -> None:
    good1 = fr.Frame(1, 7, b"hello")
    good2 = fr.Frame(2, 8, bytes(300))
    bad = bytearray(fr.encode(fr.Frame(3, 9, b"xyz")))
    bad[3] ^= 0x40  # corrupt a byte inside the COBS block
    stream = b"\x13\x37garbage\xff" + b"\x00" + fr.encode(good1) + bytes(bad) + fr.encode(good2)
    dec = fr.FrameDecoder()
    got: list[fr.Frame] = []
    for i in range(0, len(stream), 5):  # arrive in small pieces
        got += dec.feed(stream[i : i + 5])
    assert [(f.type, f.seq, f.payload) for f in got] == [(1, 7, b"hello"), (2, 8, bytes(300))]
    assert dec.dropped == 2


def test_decoder_discards_oversized_frame_then_recovers() -> None:
    dec = fr.FrameDecoder(max_frame=64)
    frames = dec.feed(b"\x01" * 500 + b"\x00" + fr.encode(fr.Frame(1, 1, b"ok")))
    assert [f.payload for f in frames] == [b"ok"]
    assert dec.dropped == 1


def test_unpack_length_mismatch() -> None:
    body = bytearray(fr.pack(fr.Frame(1, 1, b"abc")))
    body[4] = 9
    body[-4:] = struct.pack("<I", zlib.crc32(bytes(body[:-4])))
    with pytest.raises(ValueError, match="length field"):
        fr.unpack(bytes(body))


def test_wire_efficiency_at_1k_payload() -> None:
    # 13 bytes of overhead plus COBS: the protocol's payload efficiency goal is >= 95 %.
    assert 1020 / fr.wire_size(1020) > 0.95

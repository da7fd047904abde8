"""Frames of protocol v1: 8-byte header, payload, CRC-32, COBS, 0x00 (docs/protocol.md §1).

The decoder is a stream parser: it is fed whatever bytes arrived and yields whole, checked
frames. Garbage, truncated frames and CRC failures are counted and dropped, never raised:
resynchronisation is simply "wait for the next 0x00".
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from hilbench.link import cobs

PROTOCOL_VERSION = 1
HEADER = struct.Struct("<BBHHBB")
HEADER_SIZE = HEADER.size  # 8
CRC_SIZE = 4
MIN_FRAME = HEADER_SIZE + CRC_SIZE
DELIMITER = b"\x00"

FLAG_RESPONSE = 0x01
FLAG_EVENT = 0x02
FLAG_REPLAY = 0x04


@dataclass(frozen=True)
class Frame:
    """One decoded frame."""

    type: int
    seq: int
    payload: bytes = b""
    status: int = 0
    flags: int = 0
    version: int = PROTOCOL_VERSION

    @property
    def is_response(self) -> bool:
        return bool(self.flags & FLAG_RESPONSE)

    @property
    def is_event(self) -> bool:
        return bool(self.flags & FLAG_EVENT)

    @property
    def is_replay(self) -> bool:
        return bool(self.flags & FLAG_REPLAY)


def pack(frame: Frame) -> bytes:
    """Header + payload + CRC, before COBS (what the CRC and the DUT's buffer see)."""
    if len(frame.payload) > 0xFFFF:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds the u16 length field")
    body = HEADER.pack(
        frame.version, frame.type, frame.seq & 0xFFFF, len(frame.payload), frame.status, frame.flags
    ) + bytes(frame.payload)
    return body + struct.pack("<I", zlib.crc32(body))


def encode(frame: Frame) -> bytes:
    """The bytes that go on the wire for frame, delimiter included."""
    return cobs.encode(pack(frame)) + DELIMITER


def wire_size(payload_len: int) -> int:
    """Wire bytes of a frame with payload_len payload bytes (worst case COBS)."""
    return cobs.max_encoded_size(HEADER_SIZE + payload_len + CRC_SIZE) + 1


def unpack(body: bytes) -> Frame:
    """Check and parse a COBS-decoded frame; raises ValueError naming the fault."""
    if len(body) < MIN_FRAME:
        raise ValueError(f"frame of {len(body)} bytes is shorter than {MIN_FRAME}")
    (crc,) = struct.unpack_from("<I", body, len(body) - CRC_SIZE)
    if zlib.crc32(body[:-CRC_SIZE]) != crc:
        raise ValueError("CRC mismatch")
    version, type_, seq, length, status, flags = HEADER.unpack_from(body)
    if length != len(body) - MIN_FRAME:
        raise ValueError(f"length field {length} but {len(body) - MIN_FRAME} payload bytes")
    payload = bytes(body[HEADER_SIZE : HEADER_SIZE + length])
    return Frame(type=type_, seq=seq, payload=payload, status=status, flags=flags, version=version)


@dataclass
class FrameDecoder:
    """Incremental decoder: feed() bytes, get back the good frames completed by them."""

    max_frame: int = 65536 + MIN_FRAME
    dropped: int = 0
    _buf: bytearray = field(default_factory=bytearray)
    _overflow: bool = False

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        start = 0
        while True:
            end = data.find(0, start)
            if end < 0:
                self._append(data[start:])
                return frames
            self._append(data[start:end])
            chunk, overflow = bytes(self._buf), self._overflow
            self._buf.clear()
            self._overflow = False
            start = end + 1
            if overflow:
                self.dropped += 1
                continue
            if not chunk:
                continue  # empty frame: a bare delimiter used for resync
            try:
                frames.append(unpack(cobs.decode(chunk)))
            except ValueError:
                self.dropped += 1

    def _append(self, data: bytes) -> None:
        if self._overflow:
            return
        if len(self._buf) + len(data) > cobs.max_encoded_size(self.max_frame):
            self._overflow = True
            self._buf.clear()
            return
        self._buf += data

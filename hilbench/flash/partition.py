"""The flash model partition: how a model larger than RAM is laid out in flash.

A 16-byte header, then the model: "HILM", u32 model size, u32 CRC-32 of the model,
u32 CRC-32 of the first 12 bytes (little-endian). The DUT checks all three against what
the host asks for (MODEL_FLASH) before it reads the model in place, so a stale partition
or a half-written one is refused, never run.
"""

from __future__ import annotations

import struct
import zlib

MAGIC = b"HILM"
HEADER_BYTES = 16


def partition_image(model: bytes) -> bytes:
    head = MAGIC + struct.pack("<II", len(model), zlib.crc32(model))
    return head + struct.pack("<I", zlib.crc32(head)) + model


def fits(model: bytes, capacity: int) -> bool:
    return HEADER_BYTES + len(model) <= capacity

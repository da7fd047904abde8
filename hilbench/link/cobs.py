"""Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999).

COBS removes every 0x00 from a frame at a cost of one byte per 254, so 0x00 can delimit
frames: a receiver that lost sync needs only wait for the next 0x00.
"""

from __future__ import annotations


class CobsError(ValueError):
    """The bytes are not a valid COBS encoding."""


def encode(data: bytes) -> bytes:
    """Encode data; the result contains no zero byte (the caller appends the delimiter)."""
    out = bytearray()
    code_pos = 0
    out.append(0)  # placeholder for the first code byte
    code = 1
    for byte in data:
        if byte == 0:
            out[code_pos] = code
            code_pos = len(out)
            out.append(0)
            code = 1
            continue
        out.append(byte)
        code += 1
        if code == 0xFF:
            out[code_pos] = code
            code_pos = len(out)
            out.append(0)
            code = 1
    out[code_pos] = code
    return bytes(out)


def decode(data: bytes) -> bytes:
    """Decode one COBS block (without its 0x00 delimiter)."""
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise CobsError(f"zero byte at offset {i} inside a COBS block")
        end = i + code
        if end > n:
            raise CobsError(f"code {code} at offset {i} runs past the block end ({n} bytes)")
        block = data[i + 1 : end]
        if 0 in block:
            raise CobsError(f"zero byte inside a COBS block at offset {i + 1 + block.index(0)}")
        out += block
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


def max_encoded_size(n: int) -> int:
    """Worst-case encoded size of n bytes, without the delimiter."""
    return n + n // 254 + 1

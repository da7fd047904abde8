"""A protocol-level double of the ESP32-C3 ROM serial bootloader, on a real pty.

It stands in for the one instrument CI lacks (an ESP32-C3 in download mode) and speaks
the ROM loader's wire protocol as Espressif documents it ("Serial Protocol", esptool
docs), so esptool itself, unchanged, is what talks to it:

- SLIP framing: frames between 0xC0 bytes, 0xC0 -> 0xDB 0xDC and 0xDB -> 0xDB 0xDD;
- a command is `u8 0x00, u8 op, u16 size, u32 checksum, data`; a response is
  `u8 0x01, u8 op, u16 size, u32 value, data, status` where the ESP32-C3 ROM's status is
  4 bytes (status, error, 0, 0);
- SYNC (0x08, payload 07 07 12 20 + 32 x 55) answered eight times, as the ROM does;
- GET_SECURITY_INFO (0x14) with chip id 5 (ESP32-C3), READ_REG / WRITE_REG (0x0A / 0x09)
  over a register file in which the SPI0 controller runs user commands far enough for
  RDID (JEDEC id of a 4 MB GigaDevice part) and RDSFDP (the "SFDP" signature);
- SPI_ATTACH (0x0D), SPI_SET_PARAMS (0x0B), CHANGE_BAUDRATE (0x0F);
- FLASH_BEGIN / FLASH_DATA / FLASH_END (0x02 / 0x03 / 0x04) into a 4 MiB flash bytearray,
  with the data checksum (XOR seeded 0xEF) checked; SPI_FLASH_MD5 (0x13) answering 32
  ASCII hex digits as the ROM does (the stub answers 16 raw bytes);
- any other op: status 1, error 0x05 ("received message is invalid"), as the ROM.

`tcp=True` puts it behind a TCP port (`rom.port` is a `socket://` URL), as a serial-to-TCP
bridge would. `stuck_bit=ADDR` models a worn flash cell (bit 0 at ADDR reads 0 whatever is written), so
a test can show the MD5 verify catches a bad write. `mode="garbage"` makes it spew noise instead (a port at the wrong baud rate or with a
running application on it); `mode="silent"` reads and never answers.
"""

from __future__ import annotations

import hashlib
import os
import random
import select
import socket
import struct
import threading
import tty
from dataclasses import dataclass, field

CHIP_ID_ESP32C3 = 5
FLASH_SIZE = 4 * 1024 * 1024
JEDEC_ID = 0x1640C8  # GigaDevice (0xC8), type 0x40, capacity 0x16 = 4 MB (RDID, byte 0 first)
SPI0_BASE = 0x60002000  # ESP32-C3 TRM: SPI0/1 (the flash controller) register block
SPI_CMD, SPI_ADDR, SPI_USR2, SPI_W0 = SPI0_BASE + 0x00, SPI0_BASE + 0x04, SPI0_BASE + 0x20, SPI0_BASE + 0x58
SPI_CMD_USR = 1 << 18
ROM_INVALID_RECV_MSG = 0x05
ROM_BAD_DATA_CHECKSUM = 0x07

OP_FLASH_BEGIN, OP_FLASH_DATA, OP_FLASH_END = 0x02, 0x03, 0x04
OP_SYNC, OP_WRITE_REG, OP_READ_REG = 0x08, 0x09, 0x0A
OP_SPI_SET_PARAMS, OP_SPI_ATTACH, OP_CHANGE_BAUDRATE = 0x0B, 0x0D, 0x0F
OP_SPI_FLASH_MD5, OP_GET_SECURITY_INFO = 0x13, 0x14


def slip_encode(payload: bytes) -> bytes:
    return b"\xc0" + payload.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


@dataclass
class RomState:
    flash: bytearray = field(default_factory=lambda: bytearray(b"\xff" * FLASH_SIZE))
    regs: dict[int, int] = field(default_factory=dict)
    ops: list[int] = field(default_factory=list)  # every command op received, in order
    writes: list[tuple[int, int]] = field(default_factory=list)  # FLASH_DATA (address, length)
    md5_requests: list[tuple[int, int]] = field(default_factory=list)
    erase_begin: int = 0
    block_size: int = 0
    flash_ended: bool = False


class EspRomDouble:
    """Run with `with EspRomDouble() as rom:`; esptool opens `rom.port`."""

    def __init__(self, mode: str = "rom", stuck_bit: int | None = None, tcp: bool = False) -> None:
        assert mode in ("rom", "silent", "garbage")
        self.mode = mode
        self.stuck_bit = stuck_bit  # a flash address whose bit 0 stays 0 (a worn cell): verify must catch it
        self._listener: socket.socket | None = None
        self._conn: socket.socket | None = None
        if tcp:  # the loader behind a serial-to-TCP bridge (ser2net, esp_rfc2217_server): socket://
            self._listener = socket.create_server(("127.0.0.1", 0))
            self.port = f"socket://127.0.0.1:{self._listener.getsockname()[1]}"
            self.master = self.slave = -1  # set when the client connects
        else:
            self.master, self.slave = os.openpty()
            tty.setraw(self.slave)  # no echo, no line discipline until esptool's pyserial opens it
            self.port = os.ttyname(self.slave)
        self.state = RomState()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="esp-rom-double", daemon=True)

    def __enter__(self) -> EspRomDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self._listener is not None:
            self._listener.close()
            if self._conn is not None:
                self._conn.close()
            return
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass

    # -- wire ------------------------------------------------------------------------
    def _send(self, op: int, value: int = 0, data: bytes = b"", status: int = 0, error: int = 0) -> None:
        body = data + bytes([status, error, 0, 0])
        pkt = struct.pack("<BBHI", 0x01, op, len(body), value) + body
        os.write(self.master, slip_encode(pkt))

    def _serve(self) -> None:
        if self._listener is not None:
            self._listener.settimeout(0.05)
            while self._conn is None and not self._stop.is_set():
                try:
                    self._conn, _ = self._listener.accept()
                except TimeoutError:
                    continue
            if self._conn is None:
                return
            self.master = self._conn.fileno()  # os.read / os.write work on a socket's fd too
        rng = random.Random(1234)
        frame = bytearray()
        in_frame = escaped = False
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if self.mode == "garbage":
                try:
                    os.write(self.master, bytes(rng.randrange(256) for _ in range(64)))
                except OSError:
                    pass
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the other side is closed between opens: keep serving
                self._stop.wait(0.02)
                continue
            if not chunk and self._conn is not None:  # the TCP client hung up
                return
            if self.mode != "rom":
                continue
            for b in chunk:
                if not in_frame:
                    if b == 0xC0:
                        in_frame, escaped = True, False
                        frame.clear()
                    continue
                if escaped:
                    frame.append({0xDC: 0xC0, 0xDD: 0xDB}.get(b, b))
                    escaped = False
                elif b == 0xDB:
                    escaped = True
                elif b == 0xC0:
                    if frame:
                        self._command(bytes(frame))
                        in_frame = False
                    # an empty frame: 0xC0 0xC0 means the previous frame's end and this one's start
                else:
                    frame.append(b)

    # -- the ROM loader ----------------------------------------------------------------
    def _command(self, pkt: bytes) -> None:
        if len(pkt) < 8 or pkt[0] != 0x00:
            return  # the ROM ignores what is not a request
        _, op, size, checksum = struct.unpack("<BBHI", pkt[:8])
        data = pkt[8 : 8 + size]
        st = self.state
        st.ops.append(op)
        if op == OP_SYNC:
            if data == b"\x07\x07\x12\x20" + b"\x55" * 32:
                for _ in range(8):
                    self._send(op, value=0x20120707)
        elif op == OP_GET_SECURITY_INFO:
            info = struct.pack("<IB7BII", 0, 0, *([0] * 7), CHIP_ID_ESP32C3, 0)
            self._send(op, data=info)
        elif op == OP_READ_REG:
            (addr,) = struct.unpack("<I", data[:4])
            self._send(op, value=st.regs.get(addr, 0))
        elif op == OP_WRITE_REG:
            addr, value, mask, _delay = struct.unpack("<IIII", data[:16])
            st.regs[addr] = (st.regs.get(addr, 0) & ~mask) | (value & mask)
            if addr == SPI_CMD and value & SPI_CMD_USR:
                self._spi_user_command()
            self._send(op)
        elif op in (OP_SPI_ATTACH, OP_SPI_SET_PARAMS, OP_CHANGE_BAUDRATE):
            self._send(op)
        elif op == OP_FLASH_BEGIN:
            erase_size, _blocks, block_size, offset = struct.unpack("<IIII", data[:16])
            if offset + erase_size > FLASH_SIZE:
                self._send(op, status=1, error=0x06)
                return
            st.flash[offset : offset + erase_size] = b"\xff" * erase_size
            st.erase_begin, st.block_size, st.flash_ended = offset, block_size, False
            self._send(op)
        elif op == OP_FLASH_DATA:
            length, seq, _, _ = struct.unpack("<IIII", data[:16])
            block = data[16 : 16 + length]
            calc = 0xEF
            for b in block:
                calc ^= b
            if calc != checksum or len(block) != length:
                self._send(op, status=1, error=ROM_BAD_DATA_CHECKSUM)
                return
            addr = st.erase_begin + seq * st.block_size
            st.flash[addr : addr + length] = block
            if self.stuck_bit is not None and addr <= self.stuck_bit < addr + length:
                st.flash[self.stuck_bit] &= 0xFE
            st.writes.append((addr, length))
            self._send(op)
        elif op == OP_FLASH_END:
            st.flash_ended = True
            self._send(op)
        elif op == OP_SPI_FLASH_MD5:
            addr, length, _, _ = struct.unpack("<IIII", data[:16])
            st.md5_requests.append((addr, length))
            digest = hashlib.md5(st.flash[addr : addr + length]).hexdigest().encode()
            self._send(op, data=digest)
        else:
            self._send(op, status=1, error=ROM_INVALID_RECV_MSG)

    def _spi_user_command(self) -> None:
        """SPI0 runs the user command in SPI_USR2's low byte; the result lands in W0."""
        regs = self.state.regs
        cmd = regs.get(SPI_USR2, 0) & 0xFF
        if cmd == 0x9F:  # RDID
            regs[SPI_W0] = JEDEC_ID
        elif cmd == 0x5A:  # RDSFDP at SPI_ADDR
            addr = regs.get(SPI_ADDR, 0)
            regs[SPI_W0] = {0x00: 0x50444653, 0x10: JEDEC_ID & 0xFF}.get(addr, 0xFF)
        regs[SPI_CMD] = regs.get(SPI_CMD, 0) & ~SPI_CMD_USR  # done

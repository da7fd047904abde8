"""A protocol session with one DUT: sequencing, pipelining, retries and the typed calls.

Reliability lives here, not in the callers: every call either returns a checked answer
or raises LinkError (the link is broken: exit 2) or DutError (the DUT refused: the
message names the op, tensor or offset at fault).
"""

from __future__ import annotations

import struct
import time
import zlib
from collections import deque
from dataclasses import dataclass, field

from hilbench.errors import HilbenchError, LinkError
from hilbench.link import frame as fr
from hilbench.link.messages import ErrorDetail, Hello, ModelDesc, Msg, Status, parse_invoke, parse_profile

# Responses that carry data must end a pipelined burst (docs/protocol.md §2).
_DATA_BEARING = {Msg.HELLO, Msg.MODEL_END, Msg.INVOKE, Msg.GET_OUTPUT, Msg.RAW_ECHO, Msg.PROFILE, Msg.TENSOR, Msg.MODEL_FLASH}
# Before HELLO is answered only this much payload is allowed.
_MIN_PAYLOAD = 256


class DutError(HilbenchError):
    """The DUT answered with a non-OK status; `detail` says why."""

    def __init__(self, request: Msg | int, detail: ErrorDetail) -> None:
        name = request.name if isinstance(request, Msg) else f"message type 0x{request:02x}"
        super().__init__(f"DUT refused {name}: {detail.describe()}")
        self.request = request
        self.detail = detail


@dataclass
class LinkStats:
    """Counters that benchmarks and tests read to prove the link's behaviour."""

    frames_sent: int = 0
    frames_received: int = 0
    retransmits: int = 0
    replays: int = 0
    payload_bytes_sent: int = 0
    wire_bytes_sent: int = 0


@dataclass
class _Pending:
    seq: int
    msg: Msg
    wire: bytes
    deadline: float = 0.0
    response: fr.Frame | None = None


@dataclass
class DutLink:
    """Host end of one DUT session over a Transport."""

    transport: object
    timeout: float = 2.0
    retries: int = 5
    window: int = 8
    hello: Hello | None = None
    stats: LinkStats = field(default_factory=LinkStats)

    def __post_init__(self) -> None:
        self._seq = 0
        self._decoder = fr.FrameDecoder()
        self._inbox: deque[fr.Frame] = deque()
        self._max_payload = _MIN_PAYLOAD

    # ---------------------------------------------------------------- session start

    def connect(self, deadline_s: float = 15.0, retry_every: float = 0.3) -> Hello:
        """Say HELLO until the DUT answers (a QEMU pty delivers first bytes 0.5-1 s late).

        Sends one 0x00 first so a DUT holding a partial frame resynchronises.
        """
        self.transport.write(fr.DELIMITER)
        end = time.monotonic() + deadline_s
        while True:
            seq = self._next_seq()
            self._send_raw(fr.encode(fr.Frame(Msg.HELLO, seq)), 0)
            reply = self._await(seq, min(retry_every, max(end - time.monotonic(), 0.01)), allow_boot=True)
            if reply is not None:
                break
            if time.monotonic() >= end:
                raise LinkError(
                    f"{self.transport.name}: no HELLO answer within {deadline_s:.0f} s "
                    "(is the firmware running and the port right?)"
                )
        self._check(Msg.HELLO, reply)
        hello = Hello.parse(reply.payload)
        if hello.proto_version != fr.PROTOCOL_VERSION:
            raise LinkError(
                f"{self.transport.name}: DUT speaks protocol v{hello.proto_version}, host speaks v{fr.PROTOCOL_VERSION}"
            )
        self.hello = hello
        self._max_payload = max(_MIN_PAYLOAD, hello.max_payload)
        return hello

    @property
    def max_payload(self) -> int:
        return self._max_payload

    # ---------------------------------------------------------------- typed calls

    def load_model(self, model: bytes) -> ModelDesc:
        """Upload a model into DUT RAM and have the DUT validate and plan it."""
        self.request(Msg.MODEL_BEGIN, struct.pack("<II", len(model), zlib.crc32(model)))
        chunk = self._max_payload - 4
        burst = [
            (Msg.MODEL_DATA, struct.pack("<I", off) + model[off : off + chunk])
            for off in range(0, len(model), chunk)
        ]
        burst.append((Msg.MODEL_END, b""))
        replies = self.pipeline(burst)
        return ModelDesc.parse(replies[-1].payload)

    def load_flash_model(self, model: bytes) -> ModelDesc:
        """Use the model the flasher wrote to the DUT's flash partition (MODEL_FLASH)."""
        reply = self.request(Msg.MODEL_FLASH, struct.pack("<II", len(model), zlib.crc32(model)))
        return ModelDesc.parse(reply.payload)

    def set_input(self, data: bytes, index: int = 0, then: list[tuple[Msg, bytes]] | None = None) -> list[fr.Frame]:
        """Write an input tensor in chunks; `then` appends requests to the same burst."""
        chunk = self._max_payload - 8
        burst = [
            (Msg.SET_INPUT, struct.pack("<BxxxI", index, off) + data[off : off + chunk])
            for off in range(0, len(data), chunk)
        ] or [(Msg.SET_INPUT, struct.pack("<BxxxI", index, 0))]
        return self.pipeline(burst + (then or []))

    def invoke(self, count: int = 1, warmup: int = 0) -> list[int]:
        """Run count timed inferences after warmup untimed ones; returns ticks each."""
        per_call = (self._max_payload - 4) // 8
        ticks: list[int] = []
        first = True
        while count > 0:
            n = min(count, per_call)
            reply = self.request(Msg.INVOKE, struct.pack("<HHI", n, warmup if first else 0, 0))
            ticks += parse_invoke(reply.payload)
            count -= n
            first = False
        return ticks

    def run_once(self, data: bytes, index: int = 0) -> int:
        """Set input then one timed inference, pipelined in one burst; returns its ticks."""
        replies = self.set_input(data, index, then=[(Msg.INVOKE, struct.pack("<HHI", 1, 0, 0))])
        (ticks,) = parse_invoke(replies[-1].payload)
        return ticks

    def profile(self) -> list[int]:
        """Ticks of each operator for one inference on the current input (PROFILE)."""
        ticks: list[int] = []
        first, total = 0, None
        while total is None or first < total:
            reply = self.request(Msg.PROFILE, struct.pack("<HH", first, 0xFFFF))
            total, got = parse_profile(reply.payload, first)
            if not got and first < total:
                raise LinkError(f"{self.transport.name}: PROFILE returned no operators at {first} of {total}")
            ticks += got
            first += len(got)
        return ticks

    def tensor(self, index: int, run_until: int | None = None) -> tuple[int, bytes]:
        """(TFLite type, bytes) of any tensor; with run_until, after running ops 0..run_until
        on the current input first (TENSOR; for per-layer comparison, never timed)."""
        out = bytearray()
        total: int | None = None
        ttype = 0
        while total is None or len(out) < total:
            until = 0xFFFF if (run_until is None or total is not None) else run_until
            reply = self.request(Msg.TENSOR, struct.pack("<HHIH", index, until, len(out), self._max_payload - 8))
            if len(reply.payload) < 8:
                raise LinkError(f"{self.transport.name}: TENSOR response of {len(reply.payload)} bytes")
            ttype, _, _, total = struct.unpack_from("<BBHI", reply.payload)
            chunk = reply.payload[8:]
            if not chunk and len(out) < total:
                raise LinkError(f"{self.transport.name}: TENSOR returned no data at offset {len(out)} of {total}")
            out += chunk
        return ttype, bytes(out)

    def get_output(self, nbytes: int, index: int = 0) -> bytes:
        out = bytearray()
        while len(out) < nbytes:
            n = min(nbytes - len(out), self._max_payload)
            reply = self.request(Msg.GET_OUTPUT, struct.pack("<BxxxIH", index, len(out), n))
            if not reply.payload:
                raise LinkError(f"{self.transport.name}: GET_OUTPUT returned no data at offset {len(out)}")
            out += reply.payload
        return bytes(out[:nbytes])

    def raw_echo(self, data: bytes, deadline_s: float = 120.0) -> bytes:
        """RAW_ECHO: what the bare UART carries, for benchmarks/link_throughput.py."""
        self.request(Msg.RAW_ECHO, struct.pack("<I", len(data)))
        got = bytearray()
        end = time.monotonic() + deadline_s
        sent = 0
        step = 256  # interleave writes and reads: the echo must drain or both sides block
        while len(got) < len(data):
            if time.monotonic() > end:
                raise LinkError(f"{self.transport.name}: RAW_ECHO returned {len(got)} of {len(data)} bytes")
            if sent < len(data) and sent - len(got) < 16 * step:
                self.transport.write(data[sent : sent + step])
                sent += min(step, len(data) - sent)
                got += self.transport.read(0.0)
            else:
                got += self.transport.read(0.5)
        return bytes(got)

    # ---------------------------------------------------------------- engine

    def request(self, msg: Msg, payload: bytes = b"") -> fr.Frame:
        return self.pipeline([(msg, payload)])[0]

    def pipeline(self, requests: list[tuple[Msg, bytes]]) -> list[fr.Frame]:
        """Send requests with up to `window` outstanding; return their responses in order.

        A request acknowledged only implicitly (a later response arrived first, see
        docs/protocol.md §2) gets an empty OK frame in the result.
        """
        for i, (msg, payload) in enumerate(requests):
            if len(payload) > self._max_payload:
                raise ValueError(f"{msg.name} payload {len(payload)} > max_payload {self._max_payload}")
            if msg in _DATA_BEARING and i != len(requests) - 1:
                raise ValueError(f"{msg.name} carries data and must end the burst")
        results: list[fr.Frame | None] = [None] * len(requests)
        outstanding: deque[tuple[int, _Pending]] = deque()
        next_i = 0
        attempts = 0
        while next_i < len(requests) or outstanding:
            while next_i < len(requests) and len(outstanding) < self.window:
                msg, payload = requests[next_i]
                seq = self._next_seq()
                pend = _Pending(seq, msg, fr.encode(fr.Frame(msg, seq, payload)))
                self._send_raw(pend.wire, len(payload))
                pend.deadline = time.monotonic() + self.timeout
                outstanding.append((next_i, pend))
                next_i += 1
            idx, oldest = outstanding[0]
            reply = self._receive(max(oldest.deadline - time.monotonic(), 0.0))
            if reply is None:
                attempts += 1
                if attempts > self.retries:
                    raise LinkError(
                        f"{self.transport.name}: no answer to {oldest.msg.name} (seq {oldest.seq}) "
                        f"after {self.retries} retransmissions"
                    )
                for _, pend in outstanding:  # go-back-N
                    self.stats.retransmits += 1
                    self._send_raw(pend.wire, 0)
                    pend.deadline = time.monotonic() + self.timeout
                continue
            seqs = [p.seq for _, p in outstanding]
            if reply.seq not in seqs:
                continue  # a stale replay of something already settled
            attempts = 0
            if reply.is_replay:
                self.stats.replays += 1
            while outstanding:
                i, pend = outstanding.popleft()
                if pend.seq == reply.seq:
                    results[i] = reply
                    self._check(pend.msg, reply)
                    break
                results[i] = fr.Frame(pend.msg, pend.seq, b"", flags=fr.FLAG_RESPONSE)
        return [r for r in results if r is not None]

    def _receive(self, timeout: float) -> fr.Frame | None:
        end = time.monotonic() + timeout
        while True:
            while self._inbox:
                frame = self._inbox.popleft()
                if frame.is_event and frame.type == Msg.BOOT:
                    raise LinkError(f"{self.transport.name}: the DUT reset during the session (BOOT event)")
                if frame.is_response:
                    return frame
            remaining = end - time.monotonic()
            if remaining <= 0:
                return None
            data = self.transport.read(remaining)
            if data:
                for frame in self._decoder.feed(data):
                    self.stats.frames_received += 1
                    self._inbox.append(frame)

    def _await(self, seq: int, timeout: float, allow_boot: bool) -> fr.Frame | None:
        end = time.monotonic() + timeout
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                return None
            data = self.transport.read(remaining)
            for frame in self._decoder.feed(data):
                self.stats.frames_received += 1
                if frame.is_event and allow_boot:
                    continue
                if frame.is_response and frame.seq == seq:
                    return frame

    def _check(self, msg: Msg, reply: fr.Frame) -> None:
        if reply.status != Status.OK:
            raise DutError(msg, ErrorDetail.parse(reply.status, reply.payload))

    def _send_raw(self, wire: bytes, payload_len: int) -> None:
        self.stats.frames_sent += 1
        self.stats.payload_bytes_sent += payload_len
        self.stats.wire_bytes_sent += len(wire)
        self.transport.write(wire)

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

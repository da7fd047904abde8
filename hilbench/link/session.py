"""A protocol session with one DUT: sequencing, pipelining, retries and the typed calls.

Reliability lives here, not in the callers: every call either returns a checked answer
or raises LinkError (the link is broken: exit 2) or DutError (the DUT refused: the
message names the op, tensor or offset at fault).

The link adapts to the line it finds (docs/protocol.md §2a, hilbench.link.adapt): window,
frame size and timeouts shrink on loss and grow back, a NAK from the DUT or a damaged
response makes the host go back at once instead of waiting out a timeout, and every
retransmission is counted in `stats`. What never changes is §2's exactly-once rule.
"""

from __future__ import annotations

import logging
import struct
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from hilbench.errors import HilbenchError, LinkError
from hilbench.link import frame as fr
from hilbench.link.adapt import AimdController, RtoTable
from hilbench.link.messages import ErrorDetail, Hello, ModelDesc, Msg, Status, parse_invoke, parse_profile
from hilbench.link.transport import Transport

log = logging.getLogger(__name__)

# Responses that carry data must end a pipelined burst (docs/protocol.md §2).
_DATA_BEARING = {
    Msg.HELLO,
    Msg.MODEL_END,
    Msg.INVOKE,
    Msg.GET_OUTPUT,
    Msg.RAW_ECHO,
    Msg.PROFILE,
    Msg.TENSOR,
    Msg.MODEL_FLASH,
}
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
    """Counters that benchmarks, tests and the run's events read to prove the link's behaviour.

    `frames` counts request frames sent for the first time, `frames_sent` every frame put
    on the wire (so retransmissions and HELLO retries are the difference); `timeouts` and
    `naks` are the two ways a loss is noticed; `window` and `payload` are the adaptive
    link's current sizes, `min_*` the smallest it went to, `adaptations` how often they
    changed (docs/protocol.md §2a).
    """

    frames_sent: int = 0
    frames_received: int = 0
    retransmits: int = 0
    replays: int = 0
    payload_bytes_sent: int = 0
    wire_bytes_sent: int = 0
    frames: int = 0
    timeouts: int = 0
    naks: int = 0
    damaged: int = 0  # responses that arrived damaged (CRC, COBS, length)
    window: int = 0
    payload: int = 0
    min_window: int = 0
    min_payload: int = 0
    adaptations: int = 0

    @property
    def retransmit_rate(self) -> float:
        """Retransmitted frames per first transmission (0.0 on a clean link)."""
        return self.retransmits / self.frames if self.frames else 0.0

    def losses(self) -> str:
        """How losses were noticed, and the sizes the link works at."""
        return (
            f"{self.timeouts} timeouts, {self.naks} NAKs, {self.damaged} damaged responses; "
            f"window {self.window}, payload {self.payload} B now, smallest {self.min_window} / {self.min_payload} B"
        )

    def summary(self) -> str:
        """One line for a log or a benchmark."""
        return (
            f"{self.retransmits} retransmitted of {self.frames} frames ({100 * self.retransmit_rate:.2f} %); "
            + self.losses()
        )


@dataclass
class Chunked:
    """Data too large for one frame, split at the link's payload size *when sent*.

    `head(offset)` is the request header of the chunk at that data offset (`head_len`
    bytes). Cutting lazily lets a link that shrank its frames mid-upload send the rest in
    smaller frames, and lets a frame still unanswered after a loss be cut shorter before it
    is sent again. The DUT accepts any chunking: every chunk names its own offset and is a
    plain copy there (docs/protocol.md §3, MODEL_DATA and SET_INPUT), so writing a byte
    twice, in any order, leaves the same result.
    """

    msg: Msg
    data: bytes
    head: Callable[[int], bytes]
    head_len: int


_Range = tuple[Chunked, int, int]  # (item, first byte, end)


@dataclass
class _Pending:
    seq: int
    msg: Msg
    wire: bytes
    work: int = 1
    sent_at: float = 0.0
    deadline: float = 0.0
    retransmitted: bool = False
    resent_at: float = 0.0
    queued: int = 0  # wire bytes unanswered when it was sent, its own included
    requeued: int = 0  # the same when it was last sent again
    chunk: _Range | None = None  # the bytes a chunk frame carries


class _Source:
    """The frames of one burst not sent yet, cut from its items at the size asked for."""

    def __init__(self, items: Sequence[tuple[Msg, bytes] | Chunked]) -> None:
        self._q: deque[tuple[Msg, bytes] | _Range] = deque()
        for item in items:
            self._q.append((item, 0, len(item.data)) if isinstance(item, Chunked) else item)

    @property
    def done(self) -> bool:
        return not self._q

    def next_is_chunk(self) -> bool:
        return isinstance(self._q[0][0], Chunked)

    def take(self, payload_size: int) -> tuple[Msg, bytes, _Range | None]:
        entry = self._q[0]
        if isinstance(entry[0], Chunked):
            item, off, end = entry
            n = min(end - off, max(1, payload_size - item.head_len))
            if off + n >= end:
                self._q.popleft()
            else:
                self._q[0] = (item, off + n, end)
            return item.msg, item.head(off) + item.data[off : off + n], (item, off, off + n)
        self._q.popleft()
        msg, payload = entry
        return msg, payload, None

    def push_front(self, ranges: list[_Range]) -> None:
        for r in reversed(ranges):
            self._q.appendleft(r)


def _work(msg: Msg, payload: bytes) -> int:
    """Inferences a request runs (its round trip grows with them): INVOKE's count + warmup."""
    if msg == Msg.INVOKE and len(payload) >= 4:
        count, warmup = struct.unpack_from("<HH", payload)
        return max(1, count + warmup)
    return 1


# A link event: (kind, detail, count); kind "link_adapt" (hilbench.results.events).
EventSink = Callable[[str, str, int], None]

# Frames in a row without a loss before the link stops holding back a burst's last request.
CAREFUL_FRAMES = 64


# What _receive hands the engine besides a response.
@dataclass(frozen=True)
class _Nak:
    seq: int  # the last request the DUT executed


_DAMAGED = "damaged"


@dataclass
class DutLink:
    """Host end of one DUT session over a Transport."""

    transport: Transport
    timeout: float = 2.0  # the first wait for an answer, before any round trip is measured
    retries: int = 5  # give up after this many fruitless rounds *and* silence_limit_s without progress
    window: int = 8  # the largest window; the adaptive link works below it
    hello: Hello | None = None
    stats: LinkStats = field(default_factory=LinkStats)
    adaptive: bool = True  # False: protocol v1's fixed window, max_payload frames, fixed timeout
    on_event: EventSink | None = None  # receives ("link_adapt", detail, count) per adaptation episode
    rto_floor: float = 0.02

    def __post_init__(self) -> None:
        self._seq = 0
        self._decoder = fr.FrameDecoder()
        self._inbox: deque[fr.Frame | str] = deque()
        self._max_payload = _MIN_PAYLOAD
        self._ctl = AimdController(max_window=self.window, max_payload=_MIN_PAYLOAD)
        self._rto = RtoTable(initial=self.timeout, floor=min(self.rto_floor, self.timeout))
        self._streak = 0  # frames answered since the last loss (see `careful`)
        self._episode: dict[str, int] | None = None
        self._sync_stats()

    @property
    def careful(self) -> bool:
        """Until CAREFUL_FRAMES frames in a row got through, a burst's last request
        (MODEL_END, INVOKE) waits until the chunks before it are answered: only then can a
        loss re-cut those chunks smaller (_recut). A clean line pays one round trip per
        burst for its first few dozen frames, then pipelines fully; a line that loses a
        frame is careful again."""
        return self.adaptive and self._streak < CAREFUL_FRAMES

    @property
    def silence_limit_s(self) -> float:
        """How long the link waits with no answer at all before it reports the DUT silent."""
        return float(self.timeout) * (int(self.retries) + 1)

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
            sent = time.monotonic()
            reply = self._await(seq, min(retry_every, max(end - time.monotonic(), 0.01)), allow_boot=True)
            if reply is not None:
                self._rto.set_hello(
                    time.monotonic() - sent, fr.wire_size(0) + fr.wire_size(len(reply.payload))
                )
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
        self._ctl.reset_limits(self._max_payload, self.window)
        self.stats.min_window = self.stats.min_payload = 0  # the smallest since HELLO, not the pre-HELLO 256
        self._sync_stats()
        return hello

    @property
    def max_payload(self) -> int:
        """The DUT's limit (HELLO); no frame is ever larger."""
        return self._max_payload

    @property
    def payload_size(self) -> int:
        """Payload bytes per frame the link uses now (<= max_payload; less on a noisy line).
        Requests that ask for data (GET_OUTPUT, TENSOR, PROFILE, INVOKE's ticks) ask for at
        most this much, so answers shrink with the line too."""
        return self._ctl.payload if self.adaptive else self._max_payload

    # ---------------------------------------------------------------- typed calls

    def load_model(self, model: bytes) -> ModelDesc:
        """Upload a model into DUT RAM and have the DUT validate and plan it."""
        self.request(Msg.MODEL_BEGIN, struct.pack("<II", len(model), zlib.crc32(model)))
        data = Chunked(Msg.MODEL_DATA, model, lambda off: struct.pack("<I", off), 4)
        replies = self.pipeline([data, (Msg.MODEL_END, b"")])
        return ModelDesc.parse(replies[-1].payload)

    def load_flash_model(self, model: bytes) -> ModelDesc:
        """Use the model the flasher wrote to the DUT's flash partition (MODEL_FLASH)."""
        reply = self.request(Msg.MODEL_FLASH, struct.pack("<II", len(model), zlib.crc32(model)))
        return ModelDesc.parse(reply.payload)

    def set_input(
        self, data: bytes, index: int = 0, then: list[tuple[Msg, bytes]] | None = None
    ) -> list[fr.Frame]:
        """Write an input tensor in chunks; `then` appends requests to the same burst."""
        chunks = Chunked(Msg.SET_INPUT, data, lambda off: struct.pack("<BxxxI", index, off), 8)
        return self.pipeline([chunks, *(then or [])])

    def invoke(self, count: int = 1, warmup: int = 0) -> list[int]:
        """Run count timed inferences after warmup untimed ones; returns ticks each."""
        ticks: list[int] = []
        first = True
        while count > 0:
            per_call = max(1, (self.payload_size - 4) // 8)
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
            reply = self.request(Msg.PROFILE, struct.pack("<HH", first, max(1, (self.payload_size - 8) // 8)))
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
            reply = self.request(
                Msg.TENSOR, struct.pack("<HHIH", index, until, len(out), max(1, self.payload_size - 8))
            )
            if len(reply.payload) < 8:
                raise LinkError(f"{self.transport.name}: TENSOR response of {len(reply.payload)} bytes")
            ttype, _, _, total = struct.unpack_from("<BBHI", reply.payload)
            chunk = reply.payload[8:]
            if not chunk and len(out) < total:
                raise LinkError(
                    f"{self.transport.name}: TENSOR returned no data at offset {len(out)} of {total}"
                )
            out += chunk
        return ttype, bytes(out)

    def get_output(self, nbytes: int, index: int = 0) -> bytes:
        out = bytearray()
        while len(out) < nbytes:
            n = min(nbytes - len(out), self.payload_size)
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

    def pipeline(self, requests: Sequence[tuple[Msg, bytes] | Chunked]) -> list[fr.Frame]:
        """Send requests with up to `window` outstanding; return one response per frame sent,
        in order (a Chunked item gives one per chunk; callers read the last).

        A request acknowledged only implicitly (a later response arrived first, see
        docs/protocol.md §2) gets an empty OK frame in the result. On a loss (a timeout, a
        NAK, a damaged response) every outstanding frame is sent again in order with its
        number (go-back-N, so the DUT still executes each exactly once); what adapts is how
        many frames are outstanding, how large frames are cut and how long the host waits.
        """
        for i, item in enumerate(requests):
            msg = item.msg if isinstance(item, Chunked) else item[0]
            if not isinstance(item, Chunked) and len(item[1]) > self._max_payload:
                raise ValueError(f"{msg.name} payload {len(item[1])} > max_payload {self._max_payload}")
            if msg in _DATA_BEARING and i != len(requests) - 1:
                raise ValueError(f"{msg.name} carries data and must end the burst")
        source = _Source(requests)
        results: list[fr.Frame | None] = []
        outstanding: deque[tuple[int, _Pending]] = deque()
        rounds = backoff = 0
        last_progress = time.monotonic()
        went_back: tuple[int, float] | None = None  # (NAK seq, when) of the last go-back on a NAK
        while not source.done or outstanding:
            self._send_more(source, outstanding, results, backoff)
            _, oldest = outstanding[0]
            got = self._receive(max(oldest.deadline - time.monotonic(), 0.0))
            now = time.monotonic()
            if got is None:  # the oldest frame timed out
                rounds += 1
                stalled = now - last_progress
                if rounds > self.retries and stalled >= self.silence_limit_s:
                    self._close_episode()
                    raise LinkError(
                        f"{self.transport.name}: no answer to {oldest.msg.name} (seq {oldest.seq}) "
                        f"after {rounds - 1} retransmissions over {stalled:.1f} s "
                        f"({self.stats.retransmits} retransmitted of {self.stats.frames} frames in this session)"
                    )
                self.stats.timeouts += 1
                log.debug(
                    "%s: timeout of %s seq %d (work %d) after %.3f s, %d outstanding",
                    self.transport.name,
                    oldest.msg.name,
                    oldest.seq,
                    oldest.work,
                    now - max(oldest.sent_at, oldest.resent_at),
                    len(outstanding),
                )
                backoff += 1
                self._go_back(outstanding, source, backoff)
                continue
            if isinstance(got, str):  # _DAMAGED
                # A response (or NAK) was lost. With one frame outstanding it was that
                # frame's: go back now. Otherwise a later response may still acknowledge
                # it; if none comes soon, go back without waiting out the whole timeout.
                if len(outstanding) == 1:
                    self._go_back(outstanding, source, backoff)
                else:
                    soon = now + max(self._rto.floor, 0.25 * self._timeout_for(oldest.msg, oldest.work, 0))
                    oldest.deadline = min(oldest.deadline, soon)
                continue
            if isinstance(got, _Nak):
                seq = got.seq
                self._ack_before(seq, outstanding, results)
                if not outstanding:
                    continue
                hold = self._timeout_for(outstanding[0][1].msg, outstanding[0][1].work, 0) / 2
                if went_back and went_back[0] == seq and now - went_back[1] < hold:
                    continue  # caused by frames sent before the last go-back: already handled
                went_back = (seq, now)
                self.stats.naks += 1
                self._go_back(outstanding, source, backoff)
                continue
            reply = got
            if all(p.seq != reply.seq for _, p in outstanding):
                continue  # a stale replay of something already settled
            rounds = backoff = 0
            last_progress = now
            if reply.is_replay:
                self.stats.replays += 1
            acked = 0
            while outstanding:
                i, pend = outstanding.popleft()
                acked += 1
                if pend.seq == reply.seq:
                    results[i] = reply
                    if not pend.retransmitted:  # Karn: a retransmitted frame's round trip is ambiguous
                        self._rto.sample(pend.msg, pend.work, now - pend.sent_at, pend.queued)
                    elif not self._rto.learned(pend.msg, pend.work) and not reply.is_replay:
                        # ...but on a line that loses most first copies Karn alone never
                        # learns a round trip: bootstrap from the copy sent last.
                        self._rto.sample(pend.msg, pend.work, now - pend.resent_at, pend.requeued)
                    self._check(pend.msg, reply)
                    break
                results[i] = fr.Frame(pend.msg, pend.seq, b"", flags=fr.FLAG_RESPONSE)
            self._streak += acked
            if self.adaptive:
                self._adapt(self._ctl.on_acked(acked))
        return [r for r in results if r is not None]

    def _send_more(
        self,
        source: _Source,
        outstanding: deque[tuple[int, _Pending]],
        results: list[fr.Frame | None],
        backoff: int,
    ) -> None:
        """Put new frames on the wire while the window has room.

        While `careful`, a request after chunks (MODEL_END, INVOKE) waits until every chunk
        before it is answered: only then may a loss re-cut those chunks, whose remainders
        are sent after everything outstanding (see _recut)."""
        window = self._ctl.window if self.adaptive else self.window
        while not source.done and len(outstanding) < window:
            if (
                self.careful
                and outstanding
                and not source.next_is_chunk()
                and any(p.chunk is not None for _, p in outstanding)
            ):
                return
            msg, payload, chunk = source.take(self.payload_size)
            seq = self._next_seq()
            work = _work(msg, payload)
            pend = _Pending(seq, msg, fr.encode(fr.Frame(msg, seq, payload)), work=work, chunk=chunk)
            self._send_raw(pend.wire, len(payload))
            self.stats.frames += 1
            pend.sent_at = time.monotonic()
            pend.queued = len(pend.wire) + sum(len(p.wire) for _, p in outstanding)
            pend.deadline = pend.sent_at + self._timeout_for(msg, work, backoff, pend.queued)
            results.append(None)
            outstanding.append((len(results) - 1, pend))

    def _go_back(self, outstanding: deque[tuple[int, _Pending]], source: _Source, backoff: int) -> None:
        """A loss: shrink, re-cut what may be re-cut, send every outstanding frame again."""
        self._streak = 0
        if self.adaptive:
            self._adapt(self._ctl.on_loss())
            self._recut(outstanding, source)
        queued = 0
        for _, pend in outstanding:  # same frames, same numbers, in order
            self.stats.retransmits += 1
            self._send_raw(pend.wire, 0)
            queued += len(pend.wire)
            pend.requeued = queued
            pend.retransmitted = True
            pend.resent_at = time.monotonic()
            pend.deadline = time.monotonic() + self._timeout_for(pend.msg, pend.work, backoff, queued)

    def _recut(self, outstanding: deque[tuple[int, _Pending]], source: _Source) -> None:
        """Cut outstanding chunk frames larger than the new payload size down to it before
        they are sent again, so a 1 KB frame need not get through a line that passes 100 B.

        Each keeps its number and offset and carries a prefix of its bytes; the rest goes
        back to the source, to be sent as new frames. Safe because a chunk is a copy to an
        offset and the DUT executes a number at most once: whether it already executed the
        long original (then it replays or drops the prefix) or executes the prefix, every
        byte ends up written, some twice, with the same value. Only chunks behind the last
        outstanding non-chunk request are cut: a request after them (MODEL_END, INVOKE) must
        not run before their remainders (while `careful`, _send_more keeps it back)."""
        last_fixed = max((k for k, (_, p) in enumerate(outstanding) if p.chunk is None), default=-1)
        remainders: list[_Range] = []
        for k, (_, pend) in enumerate(outstanding):
            if k <= last_fixed or pend.chunk is None:
                continue
            item, off, end = pend.chunk
            keep = max(1, self.payload_size - item.head_len)
            if end - off <= keep:
                continue
            pend.wire = fr.encode(fr.Frame(pend.msg, pend.seq, item.head(off) + item.data[off : off + keep]))
            pend.chunk = (item, off, off + keep)
            remainders.append((item, off + keep, end))
        source.push_front(remainders)

    def _ack_before(
        self, seq: int, outstanding: deque[tuple[int, _Pending]], results: list[fr.Frame | None]
    ) -> None:
        """A NAK says the DUT executed everything up to `seq`: the outstanding frames
        before it are acknowledged (as a later response would, §2); `seq` itself is not,
        its response was lost and is replayed when it is sent again."""
        seqs = [p.seq for _, p in outstanding]
        if seq not in seqs:
            return
        for _ in range(seqs.index(seq)):
            i, pend = outstanding.popleft()
            results[i] = fr.Frame(pend.msg, pend.seq, b"", flags=fr.FLAG_RESPONSE)

    def _timeout_for(self, msg: Msg, work: int, backoff: int, queued_bytes: int = 0) -> float:
        if not self.adaptive:
            return self.timeout
        return self._rto.rto(msg, work, backoff, queued_bytes)

    # ---------------------------------------------------------------- adaptation events

    def _sync_stats(self) -> None:
        st = self.stats
        st.window = self._ctl.window if self.adaptive else self.window
        st.payload = self.payload_size
        st.min_window = min(st.min_window or st.window, st.window)
        st.min_payload = min(st.min_payload or st.payload, st.payload)
        st.adaptations = self._ctl.adaptations

    def _adapt(self, changed: bool) -> None:
        """Bookkeeping after the controller moved. Events are per episode, not per frame:
        one when the link first shrinks from its full size, one when it is back there (or
        when the session ends still shrunk, `flush_events`)."""
        if not changed:
            return
        self._sync_stats()
        st, ctl = self.stats, self._ctl
        full = ctl.window >= ctl.max_window and ctl.payload >= ctl.max_payload
        if self._episode is None and not full:
            self._episode = {
                "retransmits": st.retransmits,
                "frames": st.frames,
                "adaptations": st.adaptations - 1,
                "min_window": ctl.window,
                "min_payload": ctl.payload,
            }
            self._emit(
                f"lost frames: shrank to window {ctl.window} (of {ctl.max_window}), "
                f"payload {ctl.payload} B (of {ctl.max_payload})",
                1,
            )
        elif self._episode is not None:
            ep = self._episode
            ep["min_window"] = min(ep["min_window"], ctl.window)
            ep["min_payload"] = min(ep["min_payload"], ctl.payload)
            if full:
                self._close_episode(recovered=True)

    def _close_episode(self, recovered: bool = False) -> None:
        ep, self._episode = self._episode, None
        if ep is None:
            return
        st, ctl = self.stats, self._ctl
        how = (
            f"grew back to window {ctl.window}, payload {ctl.payload} B"
            if recovered
            else f"still at window {ctl.window}, payload {ctl.payload} B"
        )
        self._emit(
            f"{how}; smallest window {ep['min_window']}, payload {ep['min_payload']} B; "
            f"{st.retransmits - ep['retransmits']} retransmitted of {st.frames - ep['frames']} frames",
            st.adaptations - ep["adaptations"],
        )

    def flush_events(self) -> None:
        """End of a job or session: report an adaptation episode that is still open."""
        self._close_episode()

    def _emit(self, detail: str, count: int) -> None:
        if self.on_event is not None:
            self.on_event("link_adapt", f"{self.transport.name}: {detail}", count)

    def _receive(self, timeout: float) -> fr.Frame | _Nak | str | None:
        """The next response, NAK (`_Nak`) or damaged-frame mark (`_DAMAGED`), or None on timeout."""
        end = time.monotonic() + timeout
        while True:
            while self._inbox:
                frame = self._inbox.popleft()
                if isinstance(frame, str):
                    return frame
                if frame.is_event and frame.type == Msg.BOOT:
                    raise LinkError(f"{self.transport.name}: the DUT reset during the session (BOOT event)")
                if frame.is_event and frame.type == Msg.NAK:
                    return _Nak(frame.seq)
                if frame.is_response:
                    return frame
            remaining = end - time.monotonic()
            if remaining <= 0:
                return None
            data = self.transport.read(remaining)
            if data:
                damaged = self._decoder.dropped
                for frame in self._decoder.feed(data):
                    self.stats.frames_received += 1
                    self._inbox.append(frame)
                if self._decoder.dropped > damaged:
                    self.stats.damaged += self._decoder.dropped - damaged
                    self._inbox.append(_DAMAGED)

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
        """One frame on the wire, after a delimiter: if the line ate the previous frame's
        closing 0x00, this one still starts clean, and the DUT sees one damaged frame (and
        NAKs it) instead of waiting for a delimiter that is not coming."""
        wire = fr.DELIMITER + wire
        self.stats.frames_sent += 1
        self.stats.payload_bytes_sent += payload_len
        self.stats.wire_bytes_sent += len(wire)
        self.transport.write(wire)

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq

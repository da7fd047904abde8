"""How the host adapts its go-back-N link to the line it finds (docs/protocol.md §2a).

A fixed window of 8 frames of ~1 KB is right for a clean line and hopeless on a noisy
one: at a 0.1 % byte error rate a 1 KB frame survives only 35 % of the time, and every
loss costs a timeout plus resending the whole window. So the host does what TCP does:

- **AIMD** (additive increase, multiplicative decrease) on two knobs, the window (frames
  outstanding) and the payload size (bytes per frame). On a loss both halve, down to a
  window of 1 and `min_payload`; after every `window` frames acknowledged without a loss
  the window grows by one frame and the payload by a quarter of itself, never past the
  maximum the DUT announced in HELLO (`max_payload`) or the configured window. Growing
  the payload in proportion, not by a fixed share of the maximum, keeps a line at 1 %
  byte errors near its best frame size (~1/error rate bytes) instead of overshooting.
- **Retransmission timeout** from measured round-trip times (Jacobson/Karels, RFC 6298:
  `rto = srtt + 4 * rttvar`), one estimator per message type because an INVOKE's answer
  waits for an inference and a SET_INPUT's does not; Karn's rule (no sample from a
  retransmitted frame); the timeout doubles on every consecutive loss (backoff), and falls
  back once a frame gets through.

Only sizes and timing adapt: which frames are sent again, and the DUT's exactly-once
rule, are those of docs/protocol.md §2, unchanged. The classes here are pure logic (no
I/O), so the adaptation is unit-tested without a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Smallest payload the host shrinks to: a 64-byte payload is still 80 % of its wire
# frame's bytes (13 bytes of framing, 4-8 bytes of offset header), and at a 1 % byte
# error rate nearly half of such frames arrive intact.
MIN_PAYLOAD = 64


@dataclass
class AimdController:
    """Window and payload size of the link, halved on loss and grown back on success."""

    max_window: int = 8
    max_payload: int = 256  # the DUT's, from HELLO
    min_payload: int = MIN_PAYLOAD
    window: int = 0  # current; 0 means start at max_window
    payload: int = 0  # current; 0 means start at max_payload
    adaptations: int = 0  # how many times window or payload changed
    _acked_since_change: int = 0

    def __post_init__(self) -> None:
        self.max_window = max(1, self.max_window)
        self.min_payload = min(self.min_payload, self.max_payload)
        self.window = self.window or self.max_window
        self.payload = self.payload or self.max_payload
        self.window = min(max(self.window, 1), self.max_window)
        self.payload = min(max(self.payload, self.min_payload), self.max_payload)

    def reset_limits(self, max_payload: int, max_window: int | None = None) -> None:
        """New limits (HELLO answered); starts again at them, as a fresh session does."""
        self.max_payload = max_payload
        self.min_payload = min(MIN_PAYLOAD, max_payload)
        if max_window is not None:
            self.max_window = max(1, max_window)
        self.window, self.payload = self.max_window, self.max_payload
        self._acked_since_change = 0

    def on_loss(self) -> bool:
        """A frame was not answered in time: halve both knobs. True if either changed."""
        window = max(1, self.window // 2)
        payload = max(self.min_payload, self.payload // 2)
        self._acked_since_change = 0
        return self._set(window, payload)

    def on_acked(self, frames: int = 1) -> bool:
        """frames were acknowledged with no loss: grow after a window's worth of them."""
        self._acked_since_change += frames
        if self._acked_since_change < self.window:
            return False
        if self.window >= self.max_window and self.payload >= self.max_payload:
            self._acked_since_change = 0
            return False
        self._acked_since_change = 0
        step = max(16, self.payload // 4)  # +25 %: back to a 4 KB frame from 64 B in ~15 clean windows
        return self._set(min(self.max_window, self.window + 1), min(self.max_payload, self.payload + step))

    def _set(self, window: int, payload: int) -> bool:
        changed = (window, payload) != (self.window, self.payload)
        self.window, self.payload = window, payload
        if changed:
            self.adaptations += 1
        return changed


# The backoff multiplies the timeout by at most this: at a 1 % byte error rate a round
# fails ~60 % of the time, so ten failures in a row are routine, and an uncapped backoff
# would spend them waiting. A dead line is still detected: the session gives up after
# `DutLink.silence_limit_s` with no progress.
MAX_BACKOFF = 8.0


@dataclass
class RttEstimator:
    """Retransmission timeout of one kind of request (RFC 6298, with a floor and a ceiling)."""

    initial: float = 2.0  # before any sample
    floor: float = 0.05  # scheduling jitter of a loaded host is tens of ms
    srtt: float | None = None
    rttvar: float = 0.0

    def sample(self, rtt: float) -> None:
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - rtt)
            self.srtt = 0.875 * self.srtt + 0.125 * rtt

    def rto(self, backoff: int = 0, unseen: float | None = None) -> float:
        """The timeout after `backoff` consecutive timeouts (x1.5 each: losses here are
        corruption far more often than a busy DUT, and waiting is what costs time).
        Capped at the larger of `initial` and twice the smoothed round trip, so a request
        that always takes longer than `initial` (a long INVOKE) is not resent forever."""
        if self.srtt is None:
            base = self.initial if unseen is None else unseen
            ceiling = max(self.initial, base)
        else:
            base = self.srtt + max(4 * self.rttvar, self.floor)
            ceiling = max(self.initial, 2 * base)
        return min(ceiling, max(self.floor, base) * min(1.5**backoff, MAX_BACKOFF))


# Requests the DUT answers without computing (a copy or a lookup): before the first RTT
# sample of such a kind its timeout is guessed from HELLO's round trip instead of the long
# initial one, so a line that loses the first frames does not wait 2 s for each.
CHEAP_TYPES = frozenset(
    {0x02, 0x03, 0x05, 0x07, 0x09}
)  # MODEL_BEGIN, MODEL_DATA, SET_INPUT, GET_OUTPUT, RAW_ECHO


# The first guess of the line's time per byte comes from HELLO's round trip, which is too
# short a sample to trust: it is taken as no faster than 115200 baud (87 us a byte; an
# emulated UART carries ~67 us) and no slower than 9600 baud (1 ms), and used with a
# margin of 3 instead of 1.5 until a few frames have measured the line.
FASTEST_GUESS_BYTE_TIME = 10 / 115200
SLOWEST_BYTE_TIME = 1e-3
LEARNED_AFTER = 4


@dataclass
class RtoTable:
    """The retransmission timeout of a frame: what its kind of request takes, plus what
    the line takes to carry the bytes queued ahead of its answer.

    A round trip on a slow UART is mostly queueing: with 8 frames of 1 KB outstanding on an
    emulated UART (~15 KB/s) the last is answered ~0.55 s after it was sent, the first after
    70 ms. So the line's time per byte (`byte_time`, smoothed from samples of cheap
    requests) is kept apart from each kind's own time (an RttEstimator of what is left of
    its round trips), and a frame's timeout is `kind's rto + 1.5 x queued bytes x
    byte_time`. A kind is (message type, work), work being the inferences an INVOKE runs
    (1 for everything else), because an INVOKE of 70 inferences answers 70 times later than
    one of 1; an unseen INVOKE size borrows the per-inference time of a seen one, scaled,
    with a margin of two."""

    initial: float = 2.0
    floor: float = 0.05
    hello_rtt: float | None = None
    byte_time: float | None = None  # seconds per wire byte: from HELLO, then from samples
    byte_samples: int = 0
    _by_kind: dict[tuple[int, int], RttEstimator] = field(default_factory=dict)

    def set_hello(self, rtt: float, wire_bytes: int) -> None:
        self.hello_rtt = rtt
        self.byte_time = min(max(rtt / max(wire_bytes, 1), FASTEST_GUESS_BYTE_TIME), SLOWEST_BYTE_TIME)

    def get(self, msg: int, work: int = 1) -> RttEstimator:
        est = self._by_kind.get((msg, work))
        if est is None:
            est = self._by_kind[(msg, work)] = RttEstimator(self.initial, self.floor)
        return est

    def sample(self, msg: int, work: int, rtt: float, queued_bytes: int) -> None:
        """One measured round trip of a frame sent with `queued_bytes` unanswered ahead of
        and including it."""
        if msg in CHEAP_TYPES and queued_bytes >= 256:
            per_byte = rtt / queued_bytes  # an upper bound: the DUT's own time is in it
            if self.byte_time is None or self.byte_samples == 0:
                self.byte_time = per_byte
            else:
                self.byte_time = 0.875 * self.byte_time + 0.125 * per_byte
            self.byte_samples += 1
        carry = queued_bytes * (self.byte_time or 0.0)
        self.get(msg, work).sample(max(rtt - carry, 0.0))

    def learned(self, msg: int, work: int = 1) -> bool:
        return self.get(msg, work).srtt is not None

    def rto(self, msg: int, work: int = 1, backoff: int = 0, queued_bytes: int = 0) -> float:
        est = self.get(msg, work)
        unseen = None
        if est.srtt is None:
            if msg in CHEAP_TYPES and self.hello_rtt is not None:
                unseen = max(2 * self.floor, 2 * self.hello_rtt)
            else:
                seen = [(w, e.srtt) for (m, w), e in self._by_kind.items() if m == msg and e.srtt is not None]
                if seen:
                    w, srtt = max(seen)
                    unseen = 2 * srtt * max(work, 1) / max(w, 1) + self.floor
        margin = 1.5 if self.byte_samples >= LEARNED_AFTER else 3.0
        carry = margin * queued_bytes * (self.byte_time or 0.0)
        factor = min(1.5**backoff, MAX_BACKOFF)
        return est.rto(backoff, unseen) + carry * factor

"""A Transport with a FaultInjector inside: the proxy's faults without the proxy.

For tests and benchmarks that drive the firmware built for the host (ProcessTransport)
in-process: same injector, same seeded byte positions, no pty or thread in between.
Stalls (`delay`) are served by sleeping before the write or holding read bytes back.
"""

from __future__ import annotations

import time

from hilbench.faults.inject import Direction, FaultInjector
from hilbench.link.transport import Transport


class FaultyTransport:
    def __init__(self, inner: Transport, injector: FaultInjector) -> None:
        self.inner = inner
        self.injector = injector
        self.name = f"{inner.name} (faults, seed {injector.seed})"
        self._held: list[tuple[float, bytes]] = []

    def write(self, data: bytes) -> None:
        for due, chunk in self.injector.process(Direction.TO_BOARD, data, time.monotonic()):
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.inner.write(chunk)

    def read(self, timeout: float) -> bytes:
        end = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            if self._held and self._held[0][0] <= now:
                out = bytearray()
                while self._held and self._held[0][0] <= now:
                    out += self._held.pop(0)[1]
                return bytes(out)
            wait = end - now
            if self._held:
                wait = min(wait, self._held[0][0] - now)
            if wait <= 0 and now >= end:
                return b""
            data = self.inner.read(max(wait, 0.0))
            if data:
                self._held += self.injector.process(Direction.TO_HOST, data, time.monotonic())

    def close(self) -> None:
        self.inner.close()

"""Fault injection for hilbench links (docs/faults.md).

`inject` decides, byte by byte and from a seed, what a faulty line does to a stream
(bit flips, drops, duplicates, stalls, a cut line); `proxy` puts that between hilbench
and any board as a pty or a loopback TCP relay (`hilbench proxy`); `transport` wraps a
Transport in-process for tests and benchmarks.
"""

from hilbench.faults.inject import Direction, FaultCounters, FaultInjector, FaultSpec

__all__ = ["Direction", "FaultCounters", "FaultInjector", "FaultSpec"]

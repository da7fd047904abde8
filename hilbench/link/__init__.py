"""Host side of the hilbench DUT protocol (docs/protocol.md).

Layers, bottom up: `cobs` (byte stuffing), `frame` (header, CRC-32, stream decoder),
`messages` (payload layouts and status codes), `transport` (a byte pipe: serial port,
QEMU pty, TCP socket, subprocess), `session` (sequence numbers, pipelining, retries, and
the typed calls: hello, load_model, set_input, invoke, get_output).
"""

from hilbench.link.session import DutLink

__all__ = ["DutLink"]

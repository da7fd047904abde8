"""hilbench: hardware-in-the-loop benchmarking for TinyML.

Flashes firmware, uploads a model, streams test vectors to a device under test (a real
board, or an emulated one under QEMU), and returns latency, accuracy and fidelity as
pandas tables and a Parquet history.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

"""`hilbench boards detect`: find the boards, bridges, probes and accelerators plugged into
this host and say how to name each one in boards.toml so the name survives a re-plug.

One module per job: `known` holds the table of USB ids, `scan` reads the host (pyserial,
the USB bus in sysfs, pyocd when installed), `toml_out` writes boards.toml entries, `cli`
prints. See docs/boards/detect.md.
"""

from hilbench.boards_detect.known import KNOWN_DEVICES, KnownDevice, match
from hilbench.boards_detect.scan import Detected, ProbeScan, Scan

__all__ = ["KNOWN_DEVICES", "Detected", "KnownDevice", "ProbeScan", "Scan", "match"]

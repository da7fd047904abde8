"""One-line warnings on stderr, each said once per process.

The store meets damaged run directories and skips runs that cannot serve as a baseline;
the user must hear about each in one line ("hilbench: warning: ..."), but hearing it five
times because five commands of one invocation walked the store is noise.
"""

from __future__ import annotations

import sys
import threading

_said: set[str] = set()
_lock = threading.Lock()


def warn(message: str) -> None:
    """Print `hilbench: warning: <message>` on stderr, unless this process already did."""
    with _lock:
        if message in _said:
            return
        _said.add(message)
    print(f"hilbench: warning: {message}", file=sys.stderr, flush=True)

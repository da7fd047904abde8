"""Remove QEMU temporary directories that a killed hilbench left behind.

A hilbench that gets SIGKILL cannot remove its `hilbench-qemu-*` directory (QMP socket);
QEMU itself dies with it (PR_SET_PDEATHSIG, hilbench.flash.qemu). The next run removes
such directories: one whose QMP socket no process listens on, and that is older than a
QEMU start can take, is stale. A live QEMU of a parallel run answers on its socket and
is left alone.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from pathlib import Path

PREFIX = "hilbench-qemu-"
MIN_AGE_S = 120.0  # longer than any QEMU start (start_timeout 15 s) before the socket exists


def _listening(sock_path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        try:
            s.connect(str(sock_path))
        except OSError:
            return False
    return True


def remove_stale_qemu_dirs(tmp: Path | None = None, min_age_s: float = MIN_AGE_S) -> list[Path]:
    """Remove this user's stale QEMU temporary directories; returns those removed."""
    root = Path(tmp or tempfile.gettempdir())
    removed = []
    now = time.time()
    try:
        candidates = list(root.glob(f"{PREFIX}*"))
    except OSError:
        return []
    for d in candidates:
        try:
            st = d.lstat()
            if not d.is_dir() or d.is_symlink() or st.st_uid != _uid() or now - st.st_mtime < min_age_s:
                continue
            sock = d / "qmp.sock"
            if sock.exists() and _listening(sock):
                continue
            shutil.rmtree(d)
            removed.append(d)
        except OSError:
            continue
    return removed


def _uid() -> int:
    import os

    return os.getuid()

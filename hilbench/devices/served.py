"""Which serial addresses on this machine carry an emulated board (`hilbench serve`).

Why: a `kind = "mcu"` board whose `port` is `hilbench serve`'s pty (directly or through
`hilbench proxy`) runs our firmware under QEMU, and its HELLO says `systick` like the
real MPS2 FPGA board would. Nothing on the link tells the two apart, so without help
the run would label instruction counts as silicon cycles. `serve` announces its pty
here (board, QEMU machine, -icount shift) and `proxy` announces its host-side address as
a relay of its `--to`; McuDevice looks its port up and, when the chain ends at a served
QEMU, times the run exactly as EmulatedDevice does (`qemu_icount`, emulated).

One small JSON file per address in `<lock dir>/served/`, removed on exit; a file whose
process is gone (killed -9) is ignored, so a stale one never mislabels a later port
that happens to get the same /dev/pts number.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from hilbench.locks import lock_dir

_SAFE = re.compile(r"[^A-Za-z0-9_.+-]+")
_LOCAL = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


def normalize(address: str) -> str:
    """One spelling per address: a device path's real path, a loopback URL with 127.0.0.1."""
    if "://" not in address:
        return os.path.realpath(address)
    parsed = urlparse(address)
    if parsed.hostname in _LOCAL and parsed.port is not None:
        return f"{parsed.scheme}://127.0.0.1:{parsed.port}"
    return address


def _file(address: str) -> Path:
    return lock_dir() / "served" / (_SAFE.sub("_", normalize(address)) + ".json")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def announced(address: str, info: dict[str, Any]) -> Iterator[None]:
    """Announce address (with info) while the block runs."""
    path = _file(address)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps({"address": normalize(address), "pid": os.getpid(), **info}))
    os.replace(tmp, path)
    try:
        yield
    finally:
        try:
            if json.loads(path.read_text()).get("pid") == os.getpid():
                path.unlink()
        except (OSError, ValueError):
            pass


def lookup(address: str, _depth: int = 0) -> dict[str, Any] | None:
    """What serves address: the announcement at the end of its relay chain, or None."""
    try:
        info = json.loads(_file(address).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(info, dict) or not _alive(int(info.get("pid", 0) or 0)) or info.get("pid") == 0:
        return None
    via = info.get("via")
    if via is not None:
        return lookup(str(via), _depth + 1) if _depth < 8 else None
    return info

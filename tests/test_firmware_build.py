"""The firmware image is cached: rebuilt when a source changes, left alone otherwise."""

from __future__ import annotations

import os
import time

from hilbench import firmware
from tests.conftest import need_tool


def test_image_rebuilt_only_when_sources_change() -> None:
    need_tool("gcc")
    need_tool("make")
    image = firmware.build_image("host")
    first = image.stat().st_mtime_ns
    assert firmware.build_image("host").stat().st_mtime_ns == first, "rebuilt with nothing changed"
    src = firmware.firmware_dir() / "dut" / "hil_crc32.c"
    st = src.stat()
    time.sleep(0.02)
    os.utime(src)  # as if edited
    try:
        assert firmware.build_image("host").stat().st_mtime_ns > first, "not rebuilt after a source changed"
    finally:
        os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))

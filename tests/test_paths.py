"""hilbench.paths: the cache directory's precedence, and a checkout building in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from hilbench import firmware, paths
from tests.conftest import ROOT


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HILBENCH_CACHE_DIR", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert paths.cache_dir() == tmp_path / "home" / ".cache" / "hilbench"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.cache_dir() == tmp_path / "xdg" / "hilbench"
    monkeypatch.setenv("HILBENCH_CACHE_DIR", str(tmp_path / "mine"))
    assert paths.cache_dir() == tmp_path / "mine"


def test_checkout_builds_in_its_firmware_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Imported from the checkout (these tests), the sources and builds are the repo's own,
    whatever the cache says, so `make -C firmware` and hilbench share one build tree."""
    monkeypatch.delenv("HILBENCH_FIRMWARE_DIR", raising=False)
    monkeypatch.setenv("HILBENCH_CACHE_DIR", str(tmp_path))
    assert not paths.is_installed()
    assert paths.firmware_dir() == ROOT / "firmware"
    assert paths.build_root() == ROOT / "firmware" / "build"
    assert (
        firmware.image_path("mps2-an386") == ROOT / "firmware" / "build" / "mps2-an386" / "hilbench-dut.elf"
    )
    assert paths.packaged_boards_file() == ROOT / "boards.toml"


def test_firmware_dir_override_builds_in_that_tree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HILBENCH_FIRMWARE_DIR", str(tmp_path / "fw"))
    assert paths.firmware_dir() == tmp_path / "fw"
    assert firmware.image_path("host") == tmp_path / "fw" / "build" / "host" / "hilbench-dut"

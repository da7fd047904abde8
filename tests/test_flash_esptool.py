"""esptool, unchanged, against a protocol-level double of the ESP32-C3 ROM bootloader on
a real pty (tests/esp_rom_double.py): the image lands byte for byte, write_flash's MD5
verify runs, a second flash of the same image is skipped by SPI_FLASH_MD5, and a port
with nothing or with noise on the other end gives one clear line within the timeout."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("esptool", reason="esptool is in the `boards` extra: pip install -e .[boards]")

from hilbench.config.flash import FlashConfig
from hilbench.flash.base import Flasher, FlashError
from hilbench.flash.esptool import EsptoolFlasher
from tests.clihelp import assert_one_line_error, run_cli
from tests.esp_rom_double import OP_FLASH_BEGIN, OP_FLASH_DATA, OP_FLASH_END, OP_SPI_FLASH_MD5, EspRomDouble

ADDR = 0x10000


def pty_opts(**kw: Any) -> FlashConfig:
    """A pty has no DTR/RTS to reset the chip with: connect to the loader as it is."""
    return FlashConfig(before="no-reset", after="no-reset", **kw)


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "hilbench-dut.bin"
    path.write_bytes(os.urandom(3 * 1024 + 7))  # not a multiple of the 1 KiB block nor of 4
    return path


def test_flash_writes_verifies_and_then_skips(image: Path) -> None:
    data = image.read_bytes()
    with EspRomDouble() as rom:
        flasher = EsptoolFlasher("esp32c3-devkit", rom.port, pty_opts(timeout_s=30))
        assert isinstance(flasher, Flasher)
        result = flasher.flash(image, ADDR)
        st = rom.state
        assert (result.skipped, result.verified, result.address) == (False, True, ADDR)
        assert bytes(st.flash[ADDR : ADDR + len(data)]) == data
        assert (
            st.flash[ADDR + len(data) : ADDR + len(data) + 1] == b"\xff"
        )  # padded with 0xFF, as esptool does
        assert st.ops.count(OP_FLASH_DATA) == 4 and OP_FLASH_BEGIN in st.ops
        # write_flash's verify: an MD5 of exactly the written region after the last block
        last_data = len(st.ops) - 1 - st.ops[::-1].index(OP_FLASH_DATA)
        assert OP_SPI_FLASH_MD5 in st.ops[last_data:]
        assert st.md5_requests[-1] == (ADDR, len(data) + 1)  # padded to 4 bytes
        assert any("Hash of data verified" in line for line in flasher.log)

        writes_before = len(st.writes)
        again = flasher.flash(image, ADDR)
        assert again.skipped and len(st.writes) == writes_before  # nothing rewritten
        assert flasher.matches(image, ADDR) is True
        assert "already on the board" in again.summary()

        changed = image.with_name("changed.bin")
        changed.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
        assert flasher.matches(changed, ADDR) is False
        forced = flasher.flash(image, ADDR, force=True)
        assert not forced.skipped and len(st.writes) > writes_before
        assert OP_FLASH_END not in st.ops  # ROM path without reboot: esptool never leaves the loader


def test_socket_url_port(image: Path) -> None:
    """A socket:// port (a serial-to-TCP bridge): esptool connects without reset lines."""
    with EspRomDouble(tcp=True) as rom:
        assert rom.port.startswith("socket://127.0.0.1:")
        flasher = EsptoolFlasher("c3-remote", rom.port, FlashConfig(chip="esp32c3", timeout_s=30))
        result = flasher.flash(image, ADDR)
        assert not result.skipped and result.verified
        assert bytes(rom.state.flash[ADDR : ADDR + image.stat().st_size]) == image.read_bytes()


def test_missing_esptool_names_the_extra(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from hilbench.errors import ToolMissingError

    monkeypatch.setitem(sys.modules, "esptool", None)  # as if not installed: import raises ImportError
    with pytest.raises(
        ToolMissingError, match=r"needs the esptool Python package.*pip install hilbench\[boards\]"
    ):
        EsptoolFlasher("c3", "/dev/null", pty_opts()).flash(image)


def test_a_bad_write_fails_the_md5_verify(tmp_path: Path) -> None:
    image = tmp_path / "ones.bin"
    image.write_bytes(b"\xff" * 2048)
    with EspRomDouble(stuck_bit=ADDR + 1500) as rom:
        flasher = EsptoolFlasher("c3", rom.port, pty_opts(timeout_s=30))
        with pytest.raises(FlashError) as err:
            flasher.flash(image, ADDR, force=True)
        line = str(err.value)
        assert "\n" not in line and line.startswith(f"board 'c3': esptool on {rom.port}: ")
        assert "MD5" in line or "verif" in line.lower(), line


def test_elf_image_is_refused_with_the_fix(tmp_path: Path) -> None:
    elf = tmp_path / "hilbench-dut.elf"
    elf.write_bytes(b"\x7fELF" + bytes(60))
    with pytest.raises(FlashError, match=r"board 'c3'.*ELF file.*elf2image"):
        EsptoolFlasher("c3", "/dev/null", pty_opts()).flash(elf)


@pytest.mark.parametrize(
    "mode, needle", [("silent", "No serial data received"), ("garbage", "Failed to connect")]
)
def test_nothing_or_garbage_on_the_port_is_one_clear_line(image: Path, mode: str, needle: str) -> None:
    with EspRomDouble(mode) as rom:
        flasher = EsptoolFlasher("esp32c3-devkit", rom.port, FlashConfig(timeout_s=30))
        t0 = time.monotonic()
        with pytest.raises(FlashError) as err:
            flasher.flash(image, ADDR)
        elapsed = time.monotonic() - t0
        line = str(err.value)
        assert "\n" not in line and line.startswith(f"board 'esp32c3-devkit': esptool on {rom.port}: ")
        assert needle in line, line
        assert elapsed < 30
        assert rom.state.writes == []


def test_timeout_ends_a_session_that_never_answers(image: Path) -> None:
    with EspRomDouble("silent") as rom:
        flasher = EsptoolFlasher("c3", rom.port, FlashConfig(timeout_s=1.0))
        t0 = time.monotonic()
        with pytest.raises(FlashError, match=r"no result within the timeout \(1 s\)"):
            flasher.flash(image, ADDR)
        assert time.monotonic() - t0 < 10


def test_hilbench_flash_cli_esptool(tmp_path: Path, image: Path) -> None:
    with EspRomDouble() as rom:
        boards = tmp_path / "boards.toml"
        boards.write_text(f"""
[boards.c3]
kind = "mcu"
core = "riscv32imc"
clock_hz = 160_000_000
port = "{rom.port}"
flasher = "esptool"
flash = {{ chip = "esp32c3", before = "no-reset", after = "no-reset", address = 0x10000, timeout_s = 30 }}
""")
        env = {"HILBENCH_LOCK_DIR": str(tmp_path / "locks")}
        r = run_cli("flash", "--board", "c3", "--boards", str(boards), str(image), env=env, timeout=120)
        assert r.code == 0, r.stderr
        assert "hilbench flash: c3: hilbench-dut.bin at 0x10000 written with esptool" in r.stdout
        assert "verified" in r.stdout and r.stderr.strip() == ""
        assert bytes(rom.state.flash[ADDR : ADDR + image.stat().st_size]) == image.read_bytes()
        r = run_cli("flash", "--board", "c3", "--boards", str(boards), str(image), env=env, timeout=120)
        assert r.code == 0 and "already on the board (esptool); write skipped" in r.stdout, (
            r.stdout + r.stderr
        )
        r = run_cli("flash", "--board", "c3", "--boards", str(boards), str(tmp_path / "nope.bin"), env=env)
        assert_one_line_error(r, "board 'c3'", "no image file", "nope.bin")


def test_hilbench_run_flashes_when_needed_then_talks_to_the_board(tmp_path: Path, image: Path) -> None:
    """`hilbench run` on a board with a flasher writes its image first, through the same
    flasher (the ROM double's flash holds it afterwards), and only then opens the port. The
    double is a ROM loader, not hilbench firmware, so the run then fails at HELLO with one
    line naming the board: the flash happened and a silent board never reads as a result."""
    with EspRomDouble() as rom:
        boards = tmp_path / "boards.toml"
        boards.write_text(f"""
[boards.c3]
kind = "mcu"
core = "riscv32imc"
clock_hz = 160_000_000
port = "{rom.port}"
image = "{image}"
flasher = "esptool"
max_restarts = 0
flash = {{ chip = "esp32c3", before = "no-reset", after = "no-reset", address = 0x10000, timeout_s = 30 }}
""")
        env = {"HILBENCH_LOCK_DIR": str(tmp_path / "locks")}
        r = run_cli(
            "run",
            "--board",
            "c3",
            "--boards",
            str(boards),
            "--results-dir",
            str(tmp_path / "results"),
            env=env,
            timeout=180,
        )
        assert bytes(rom.state.flash[ADDR : ADDR + image.stat().st_size]) == image.read_bytes()
        assert r.code == 2, r.stdout + r.stderr
        assert_one_line_error(r, "no answer from board 'c3'")
        (run_dir,) = (tmp_path / "results").iterdir()
        events = pd.read_parquet(run_dir / "events.parquet")
        flashed = events[events["kind"] == "flash"]["detail"].tolist()
        assert len(flashed) == 1 and "written with esptool" in flashed[0] and "verified" in flashed[0]

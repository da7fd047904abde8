"""bossac and openocd from Debian, invoked for real against things that are not boards (a
pty, no adapter), with the exact argument lists hilbench builds and the tool's own failure
message in the FlashError line; pyocd with no probe; the [flash] table's validation; and
`hilbench flash`'s errors."""

from __future__ import annotations

import os
import select
import shutil
import termios
import threading
import time
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from hilbench.config.boards import BoardConfig
from hilbench.config.flash import FlashConfig
from hilbench.flash.base import Flasher, FlashError
from hilbench.flash.bossac import BossacFlasher
from hilbench.flash.openocd import OpenocdFlasher
from tests.clihelp import assert_one_line_error, run_cli

needs_bossac = pytest.mark.skipif(
    shutil.which("bossac") is None, reason="bossac not installed: apt-get install bossa-cli"
)
needs_openocd = pytest.mark.skipif(
    shutil.which("openocd") is None, reason="openocd not installed: apt-get install openocd"
)


class PtyPeer:
    """The far end of a pty: records every byte the tool sends and every baud rate the
    port is set to (a pty shares its termios between both ends)."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.received = bytearray()
        self.speeds: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.speeds.add(termios.tcgetattr(self.master)[4])
                ready, _, _ = select.select([self.master], [], [], 0.005)
                if ready:
                    self.received.extend(os.read(self.master, 4096))
            except OSError:
                time.sleep(0.005)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def peer() -> Iterator[PtyPeer]:
    p = PtyPeer()
    yield p
    p.close()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "hilbench-dut.bin"
    path.write_bytes(bytes(range(256)) * 4)
    return path


# -- bossac -------------------------------------------------------------------------


@needs_bossac
def test_bossac_touches_1200_then_runs_with_the_arduino_arguments(
    peer: PtyPeer, image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hilbench.flash.bossac as bossac_mod

    touched: list[int] = []

    def touch_and_look(port: str) -> None:  # the real touch, then the port's speed as it left it
        real_touch(port)
        touched.append(termios.tcgetattr(peer.master)[4])

    real_touch = bossac_mod.touch_1200
    monkeypatch.setattr(bossac_mod, "touch_1200", touch_and_look)
    flasher = BossacFlasher("nano33ble", peer.port, FlashConfig(timeout_s=20))
    assert isinstance(flasher, Flasher)
    with pytest.raises(FlashError) as err:
        flasher.flash(image)
    exe = shutil.which("bossac")
    # skip-if-same first: bossac's verify-only run (read back by the bootloader), then reset
    assert flasher.runs[0].argv == (exe, "-d", f"--port={peer.port}", "-U", "-i", "-v", str(image), "-R")
    assert str(err.value) == f"board 'nano33ble': bossac on {peer.port}: No device found on {peer.port}"
    assert touched == [termios.B1200]  # the 1200-baud touch reached the port, once
    end = time.monotonic() + 5
    while not (b"N#" in peer.received and b"V#" in peer.received) and time.monotonic() < end:
        time.sleep(0.02)
    assert b"N#" in peer.received and b"V#" in peer.received  # bossac spoke SAM-BA to it


@needs_bossac
def test_bossac_forced_write_arguments_with_offset(peer: PtyPeer, image: Path) -> None:
    flasher = BossacFlasher("mkr", peer.port, FlashConfig(address=0x2000, touch_1200=False, timeout_s=20))
    with pytest.raises(
        FlashError, match=rf"board 'mkr': bossac on {peer.port}: No device found on {peer.port}$"
    ):
        flasher.flash(image, force=True)
    assert [r.argv[1:] for r in flasher.runs] == [
        ("-d", f"--port={peer.port}", "-U", "-i", "--offset=0x2000", "-e", "-w", "-v", str(image), "-R")
    ]
    assert termios.B1200 not in peer.speeds  # touch_1200 = false: the port never went to 1200 baud


def test_bossac_missing_bootloader_port_is_named(peer: PtyPeer, image: Path, tmp_path: Path) -> None:
    gone = str(tmp_path / "ttyACM-bootloader")
    flasher = BossacFlasher("nano", peer.port, FlashConfig(bootloader_port=gone))
    import hilbench.flash.bossac as bossac_mod

    old, bossac_mod.BOOTLOADER_WAIT_S = bossac_mod.BOOTLOADER_WAIT_S, 0.3
    try:
        with pytest.raises(
            FlashError, match=rf"no bootloader port {gone} within 0.3 s of the 1200-baud touch"
        ):
            flasher.flash(image)
    finally:
        bossac_mod.BOOTLOADER_WAIT_S = old


def test_bossac_refuses_an_elf(tmp_path: Path) -> None:
    elf = tmp_path / "fw.elf"
    elf.write_bytes(b"\x7fELF" + bytes(60))
    with pytest.raises(FlashError, match=r"ELF file; bossac writes binary images.*objcopy -O binary"):
        BossacFlasher("nano", "/dev/null").flash(elf)


# -- openocd ------------------------------------------------------------------------


@needs_openocd
def test_openocd_arguments_and_its_own_error(image: Path) -> None:
    opts = FlashConfig(
        target="target/stm32l4x.cfg",
        address=0x0800_0000,
        probe="066DFF555185754867",
        frequency=4_000_000,
        timeout_s=30,
    )
    flasher = OpenocdFlasher("nucleo-l4r5zi", opts)
    assert isinstance(flasher, Flasher)
    with pytest.raises(FlashError) as err:
        flasher.flash(image)
    exe = shutil.which("openocd")
    setup = (
        exe,
        "-f",
        "interface/stlink.cfg",
        "-c",
        "adapter serial 066DFF555185754867",
        "-c",
        "adapter speed 4000",
        "-f",
        "target/stm32l4x.cfg",
    )
    assert flasher.runs[0].argv == setup + (
        "-c",
        "init",
        "-c",
        "reset halt",
        "-c",
        f"verify_image {{{image}}} 0x8000000",
        "-c",
        "reset run",
        "-c",
        "shutdown",
    )
    # no ST-Link on this machine: openocd's own words, first error line
    assert (
        str(err.value) == "board 'nucleo-l4r5zi': openocd (interface/stlink.cfg, target/stm32l4x.cfg): "
        "Error: open failed"
    )
    with pytest.raises(FlashError, match="Error: open failed"):
        flasher.flash(image, force=True)
    assert flasher.runs[-1].argv == setup + ("-c", f"program {{{image}}} 0x8000000 verify reset exit")


@needs_openocd
def test_openocd_cmsis_dap_elf_no_address(tmp_path: Path) -> None:
    elf = tmp_path / "my fw.elf"  # a space: one Tcl word all the same
    elf.write_bytes(b"\x7fELF" + bytes(60))
    flasher = OpenocdFlasher(
        "f4",
        FlashConfig(
            interface="interface/cmsis-dap.cfg",
            target="target/stm32f4x.cfg",
            scripts=["/opt/scripts"],
            verify=False,
            timeout_s=30,
        ),
    )
    assert flasher.argv(elf)[1:] == [
        "-s",
        "/opt/scripts",
        "-f",
        "interface/cmsis-dap.cfg",
        "-f",
        "target/stm32f4x.cfg",
        "-c",
        f"program {{{elf}}} reset exit",
    ]
    with pytest.raises(
        FlashError,
        match=r"board 'f4': openocd \(interface/cmsis-dap.cfg, target/stm32f4x.cfg\): "
        r"Error: .*(CMSIS-DAP|cmsis-dap|probe|device)",
    ):
        flasher.flash(elf, force=True)


def test_openocd_needs_a_target_and_an_address_for_a_bin(image: Path) -> None:
    with pytest.raises(FlashError, match=r"needs \[flash\] target"):
        OpenocdFlasher("n", FlashConfig())
    with pytest.raises(FlashError, match="needs an address for a raw binary"):
        OpenocdFlasher("n", FlashConfig(target="target/stm32l4x.cfg")).argv(image)


# -- pyocd --------------------------------------------------------------------------


def test_pyocd_with_no_probe_is_a_clear_error(image: Path) -> None:
    pytest.importorskip("pyocd", reason="pyocd is in the `boards` extra: pip install -e .[boards]")
    from hilbench.flash.pyocd import PyocdFlasher

    flasher = PyocdFlasher("nucleo-l4r5zi", FlashConfig(probe="066DFF555185754867", target="stm32l4r5zitx"))
    assert isinstance(flasher, Flasher)
    t0 = time.monotonic()
    with pytest.raises(FlashError) as err:
        flasher.flash(image)
    assert (
        str(err.value) == "board 'nucleo-l4r5zi': pyocd: no debug probe found (unique id 066DFF555185754867)"
    )
    assert time.monotonic() - t0 < 20
    with pytest.raises(FlashError, match=r"no debug probe found \(any unique id; set \[flash\] probe"):
        PyocdFlasher("x").matches(image)


def test_missing_pyocd_names_the_extra(image: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from hilbench.errors import ToolMissingError
    from hilbench.flash.pyocd import PyocdFlasher

    monkeypatch.setitem(sys.modules, "pyocd", None)  # as if not installed
    monkeypatch.setitem(sys.modules, "pyocd.core.helpers", None)
    with pytest.raises(
        ToolMissingError, match=r"needs the pyocd Python package.*pip install hilbench\[boards\]"
    ):
        PyocdFlasher("n").matches(image)


# -- boards.toml and the CLI --------------------------------------------------------


def _board(**kw: object) -> BoardConfig:
    base: dict[str, object] = dict(
        name="b", kind="mcu", core="cortex-m4f", clock_hz=64_000_000, port="/dev/null"
    )
    return BoardConfig.model_validate(base | kw)


def test_flash_table_validation() -> None:
    for tool in ("esptool", "pyocd", "bossac", "openocd"):
        assert _board(flasher=tool).flasher == tool
    flash = _board(flasher="esptool", flash={"chip": "esp32c3", "address": 0x10000}).flash
    assert flash is not None and (flash.chip, flash.address) == ("esp32c3", 0x10000)
    with pytest.raises(ValidationError, match=r"\[flash\] key 'chip' does not apply to flasher \"openocd\""):
        _board(flasher="openocd", flash={"chip": "esp32c3", "target": "target/stm32l4x.cfg"})
    with pytest.raises(ValidationError, match=r"a \[flash\] table needs `flasher`"):
        _board(flash={"timeout_s": 5})
    with pytest.raises(ValidationError, match="the GDB-remote flasher is not implemented yet"):
        _board(flasher="gdb")
    with pytest.raises(ValidationError, match=r"`flasher` is for real boards"):
        BoardConfig.model_validate(
            dict(
                name="e",
                kind="emulated",
                core="c",
                clock_hz=1,
                firmware="mps2-an386",
                qemu={"machine": "mps2-an386"},
                flasher="pyocd",
            )
        )
    with pytest.raises(ValidationError, match="timeout_s"):
        _board(flasher="pyocd", flash={"timeout_s": 0})
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        _board(flasher="pyocd", flash={"tagret": "x"})


def test_boards_toml_flash_errors_name_the_table_and_key(tmp_path: Path) -> None:
    from hilbench.config.boards import load_boards
    from hilbench.errors import ConfigError

    path = tmp_path / "boards.toml"
    path.write_text(
        '[boards.c3]\nkind = "mcu"\ncore = "rv32"\nclock_hz = 1\nport = "/dev/null"\n'
        'flasher = "esptool"\n[boards.c3.flash]\nbefore = "sometimes"\n'
    )
    with pytest.raises(ConfigError, match=r"\[boards.c3.flash\] key 'before'"):
        load_boards(path)


def test_cli_flash_errors(tmp_path: Path) -> None:
    boards = tmp_path / "boards.toml"
    boards.write_text("""
[boards.nano]
kind = "mcu"
core = "cortex-m4f"
clock_hz = 64_000_000
port = "/dev/null"
flasher = "bossac"
firmware = "nano33ble"

[boards.plain]
kind = "mcu"
core = "cortex-m4f"
clock_hz = 64_000_000
port = "/dev/null"
""")
    env = {"HILBENCH_LOCK_DIR": str(tmp_path / "locks")}
    r = run_cli("flash", "--board", "nano", "--boards", str(boards), env=env, timeout=60)
    assert_one_line_error(r, "board 'nano'", "no firmware target 'nano33ble'", "firmware-port work", "IMAGE")
    r = run_cli("flash", "--board", "plain", "--boards", str(boards), str(boards), env=env, timeout=60)
    assert_one_line_error(r, "board 'plain' has no `flasher`")
    r = run_cli("flash", "--board", "nano", "--boards", str(boards), "--address", "ten", str(boards), env=env)
    assert_one_line_error(r, "--address 'ten' is not a number")

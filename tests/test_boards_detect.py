"""`hilbench boards detect` against recorded port data for each known board.

The ports are real pyserial `ListPortInfo` objects with the fields pyserial's Linux backend
(SysFS) reads from /sys: vid, pid, serial number, location, manufacturer, product,
interface; `apply_usb_info()` then builds description and hwid exactly as a real scan does.
Strings are what these devices report over USB (udev / arduino-cli logs). They reach the
code through `hilbench.boards_detect.scan.list_serial_ports`, the one function detect calls
to list ports, and /dev/serial/by-id is a temp dir of real symlinks to real files.
The pyocd probes are doubles of a physical instrument we lack (no probe on this host).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from serial.tools.list_ports_common import ListPortInfo
from typer.testing import CliRunner

import hilbench.boards_detect.scan as scan_mod
from hilbench.boards_detect.scan import PYOCD_MISSING, ProbeScan, list_probes, list_usb_devices, scan
from hilbench.boards_detect.toml_out import append_boards
from hilbench.config import load_boards
from hilbench.errors import ConfigError
from tests.clihelp import ROOT, run_cli


@dataclass(frozen=True)
class Recorded:
    """One USB serial device as the kernel describes it, and its udev by-id name."""

    tty: str
    vid: int
    pid: int
    serial: str | None
    manufacturer: str | None
    product: str | None
    interface: str | None
    location: str
    by_id: str


NANO_SERIAL = "00000000000000007877035BF3A113E9"
RECORDED: dict[str, Recorded] = {
    "nano33ble": Recorded(
        "ttyACM0",
        0x2341,
        0x805A,
        NANO_SERIAL,
        "Arduino",
        "Nano 33 BLE",
        None,
        "1-1:1.0",
        f"usb-Arduino_Nano_33_BLE_{NANO_SERIAL}-if00",
    ),
    "nano33ble-bootloader": Recorded(
        "ttyACM0",
        0x2341,
        0x005A,
        NANO_SERIAL,
        "Arduino",
        "Nano 33 BLE",
        None,
        "1-1:1.0",
        f"usb-Arduino_Nano_33_BLE_{NANO_SERIAL}-if00",
    ),
    "cp2102": Recorded(
        "ttyUSB0",
        0x10C4,
        0xEA60,
        "0001",
        "Silicon Labs",
        "CP2102 USB to UART Bridge Controller",
        "CP2102 USB to UART Bridge Controller",
        "1-2",
        "usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0",
    ),
    "ch340": Recorded(
        "ttyUSB1", 0x1A86, 0x7523, None, None, "USB Serial", None, "1-3", "usb-1a86_USB_Serial-if00-port0"
    ),
    "esp32c3": Recorded(
        "ttyACM1",
        0x303A,
        0x1001,
        "84:F7:03:27:D5:F0",
        "Espressif",
        "USB JTAG/serial debug unit",
        None,
        "1-4:1.0",
        "usb-Espressif_USB_JTAG_serial_debug_unit_84:F7:03:27:D5:F0-if00",
    ),
    "stlink-v2-1": Recorded(
        "ttyACM2",
        0x0483,
        0x374B,
        "0670FF555654725187091927",
        "STMicroelectronics",
        "STM32 STLink",
        "ST-Link VCP Ctrl",
        "1-5:1.2",
        "usb-STMicroelectronics_STM32_STLink_0670FF555654725187091927-if02",
    ),
    "stlink-v3e": Recorded(
        "ttyACM3",
        0x0483,
        0x374E,
        "004A00223438510A33353533",
        "STMicroelectronics",
        "STLINK-V3",
        "ST-Link VCP Ctrl",
        "1-6:1.1",
        "usb-STMicroelectronics_STLINK-V3_004A00223438510A33353533-if01",
    ),
    "stlink-v3": Recorded(
        "ttyACM4",
        0x0483,
        0x374F,
        "002F00253438510B34313939",
        "STMicroelectronics",
        "STLINK-V3",
        "ST-Link VCP Ctrl",
        "1-7:1.2",
        "usb-STMicroelectronics_STLINK-V3_002F00253438510B34313939-if02",
    ),
    "jlink": Recorded(
        "ttyACM5",
        0x1366,
        0x0105,
        "000683461234",
        "SEGGER",
        "J-Link",
        "CDC",
        "1-8:1.0",
        "usb-SEGGER_J-Link_000683461234-if00",
    ),
    "ftdi-unknown": Recorded(
        "ttyUSB2",
        0x0403,
        0x6001,
        "A50285BI",
        "FTDI",
        "FT232R USB UART",
        None,
        "1-9",
        "usb-FTDI_FT232R_USB_UART_A50285BI-if00-port0",
    ),
}

# (known name, board written to boards.toml or None, a note it must carry)
EXPECTED: dict[str, tuple[str, str | None, str]] = {
    "nano33ble": ("Arduino Nano 33 BLE / BLE Sense", "nano33ble", ""),
    "nano33ble-bootloader": ("Arduino Nano 33 BLE / BLE Sense", "nano33ble", "in bootloader mode"),
    "cp2102": ("Silicon Labs CP210x USB-UART bridge", "esp32", "probably an ESP32 board (USB-UART bridge)"),
    "ch340": ("WCH CH340 USB-UART bridge", "esp32", "probably an ESP32 board (USB-UART bridge)"),
    "esp32c3": ("Espressif ESP32-C3/S3 USB-Serial/JTAG", "esp32c3", "ESP32-C3 or -S3"),
    "stlink-v2-1": ("ST-Link/V2-1 (Nucleo board)", "nucleo-l4r5zi", "virtual COM port is the board's UART"),
    "stlink-v3e": ("STLINK-V3E (Nucleo board)", "nucleo-l4r5zi", "virtual COM port"),
    "stlink-v3": ("STLINK-V3 (Nucleo board, or a STLINK-V3SET probe)", "nucleo-l4r5zi", "virtual COM port"),
    "jlink": ("SEGGER J-Link", None, "debug probe"),
}

CORES = {
    "nano33ble": ("cortex-m4f", 64_000_000),
    "esp32": ("xtensa-lx6", 240_000_000),
    "esp32c3": ("rv32imc", 160_000_000),
    "nucleo-l4r5zi": ("cortex-m4f", 120_000_000),
}


@dataclass
class Bench:
    """A fake /dev: tty files, a by-id dir of symlinks to them, an (empty) by-path dir."""

    dev: Path
    by_id: Path
    by_path: Path

    def port(self, rec: Recorded, link: bool = True) -> ListPortInfo:
        tty = self.dev / rec.tty
        tty.touch()
        if link and not (self.by_id / rec.by_id).is_symlink():
            (self.by_id / rec.by_id).symlink_to(tty)
        info = ListPortInfo(str(tty), skip_link_detection=True)
        info.vid, info.pid, info.serial_number = rec.vid, rec.pid, rec.serial
        info.location, info.manufacturer, info.product = rec.location, rec.manufacturer, rec.product
        info.interface = rec.interface
        info.apply_usb_info()  # description and hwid, as pyserial's SysFS builds them
        return info

    def scan(self, ports: list[ListPortInfo], probes: ProbeScan | None = None) -> scan_mod.Scan:
        return scan(
            ports=lambda: ports,
            by_id_dir=self.by_id,
            by_path_dir=self.by_path,
            usb=lambda: [],
            probes=lambda: probes or ProbeScan([], "debug probes: none (test)"),
        )


@pytest.fixture
def bench(tmp_path: Path) -> Bench:
    b = Bench(
        tmp_path / "dev", tmp_path / "dev" / "serial" / "by-id", tmp_path / "dev" / "serial" / "by-path"
    )
    for d in (b.dev, b.by_id, b.by_path):
        d.mkdir(parents=True, exist_ok=True)
    return b


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_each_known_board_is_recognised_and_named_by_id(bench: Bench, key: str) -> None:
    rec = RECORDED[key]
    info = bench.port(rec)
    assert f"{rec.vid:04X}:{rec.pid:04X}" in info.hwid  # what a real scan's hwid looks like
    (dev,) = bench.scan([info]).devices
    name, board, note = EXPECTED[key]
    assert dev.known is not None and dev.known.name == name
    assert dev.known.board == board
    assert note in " ".join(dev.notes)
    assert dev.port == info.device and dev.serial_number == rec.serial
    assert dev.by_id == str(bench.by_id / rec.by_id)
    if rec.serial:
        assert (dev.stable_id, dev.stable_id_kind) == (str(bench.by_id / rec.by_id), "by-id")
    else:  # CH340: the by-id name is shared by identical adapters; the user is told
        assert dev.stable_id_kind == "by-id" and "no USB serial number" in " ".join(dev.notes)


def test_bootloader_mode_is_said(bench: Bench) -> None:
    (dev,) = bench.scan([bench.port(RECORDED["nano33ble-bootloader"])]).devices
    assert "in bootloader mode" in dev.notes[0]
    (dev,) = bench.scan([bench.port(RECORDED["nano33ble"])]).devices
    assert not any("bootloader mode" in n for n in dev.notes)


def test_unknown_device_is_listed_as_unknown(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> None:
    ports = [bench.port(RECORDED["ftdi-unknown"]), bench.port(RECORDED["nano33ble"])]
    devices = bench.scan(ports).devices
    assert [d.known.name if d.known else None for d in devices] == ["Arduino Nano 33 BLE / BLE Sense", None]
    out = _cli(monkeypatch, bench, ports, "boards", "detect")
    line = next(ln for ln in out.splitlines() if "ttyUSB2" in ln)
    assert "0403:6001" in line and "unknown" in line and "A50285BI" in line


def test_by_id_link_must_resolve_to_the_port(bench: Bench) -> None:
    rec = RECORDED["stlink-v2-1"]
    other = bench.dev / "ttyUSB7"
    other.touch()
    (bench.by_id / rec.by_id).symlink_to(other)  # a link to some other tty is not this port's
    (dev,) = bench.scan([bench.port(rec, link=False)]).devices
    assert dev.by_id is None
    assert (dev.stable_id, dev.stable_id_kind) == (rec.serial, "serial_number")


def test_no_serial_number_prefers_by_path(bench: Bench) -> None:
    rec = RECORDED["ch340"]
    info = bench.port(rec)
    (bench.by_path / "pci-0000:00:14.0-usb-0:3:1.0-port0").symlink_to(info.device)
    (dev,) = bench.scan([info]).devices
    assert dev.stable_id_kind == "by-path" and dev.stable_id.endswith("usb-0:3:1.0-port0")
    assert "USB socket" in " ".join(dev.notes)


def test_factory_default_serial_is_not_trusted(bench: Bench, tmp_path: Path) -> None:
    """Two CP2102 bridges with the factory serial 0001: same by-id name, so by-path, and
    the second is a second board (not "already in boards.toml")."""
    first = RECORDED["cp2102"]
    second = Recorded(
        "ttyUSB3",
        first.vid,
        first.pid,
        "0001",
        first.manufacturer,
        first.product,
        first.interface,
        "1-10",
        first.by_id,
    )
    ports = [bench.port(first), bench.port(second, link=False)]  # udev: the last one plugged wins by-id
    for p, socket in zip(ports, ("2", "10")):
        (bench.by_path / f"pci-0000:00:14.0-usb-0:{socket}:1.0-port0").symlink_to(p.device)
    devices = bench.scan(ports).devices
    assert [d.stable_id_kind for d in devices] == ["by-path", "by-path"]
    assert len({d.stable_id for d in devices}) == 2
    assert "factory default" in " ".join(devices[0].notes)
    toml = tmp_path / "boards.toml"
    assert append_boards(toml, devices).written == ["esp32", "esp32-2"]
    ports_written = [b.port for b in load_boards(toml).boards.values()]
    assert ports_written == [d.stable_id for d in devices]


def test_nothing_stable_falls_back_to_the_device_and_says_so(bench: Bench) -> None:
    rec = RECORDED["ch340"]
    (dev,) = bench.scan([bench.port(rec, link=False)]).devices
    assert (dev.stable_id, dev.stable_id_kind) == (str(bench.dev / rec.tty), "device")
    assert "renumbered" in " ".join(dev.notes)


def test_legacy_ports_without_usb_ids_are_reported_as_skipped(bench: Bench) -> None:
    legacy = ListPortInfo(str(bench.dev / "ttyS0"), skip_link_detection=True)
    result = bench.scan([legacy])
    assert result.devices == [] and result.skipped_ports == [legacy.device]


def _write_usb(sysfs: Path, name: str, vid: str, pid: str, **strings: str) -> None:
    d = sysfs / name
    d.mkdir(parents=True)
    (d / "idVendor").write_text(vid + "\n")
    (d / "idProduct").write_text(pid + "\n")
    for k, v in strings.items():
        (d / k).write_text(v + "\n")


def test_coral_and_probes_without_a_tty_come_from_the_usb_bus(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys" / "bus" / "usb" / "devices"
    _write_usb(sysfs, "2-1", "1a6e", "089a")
    _write_usb(sysfs, "2-2", "18d1", "9302", manufacturer="Google Inc.", serial="000000000000")
    _write_usb(sysfs, "2-3", "1366", "1015", manufacturer="SEGGER", product="J-Link", serial="000801234567")
    _write_usb(sysfs, "2-4", "046d", "c52b", product="USB Receiver")  # a keyboard dongle: not listed
    _write_usb(sysfs, "usb2", "1d6b", "0003")  # root hub
    (sysfs / "2-1:1.0").mkdir()  # an interface
    found = list_usb_devices(sysfs)
    assert found is not None
    assert [(d.vid_pid, d.known.name if d.known else None) for d in found] == [
        ("1a6e:089a", "Coral USB Accelerator"),
        ("18d1:9302", "Coral USB Accelerator"),
        ("1366:1015", "SEGGER J-Link"),
    ]
    assert "unprogrammed" in found[0].notes[0] and "firmware loaded" in found[1].notes[0]
    assert found[2].stable_id == "000801234567"
    assert list_usb_devices(tmp_path / "absent") is None


def test_a_port_seen_on_the_usb_bus_is_listed_once(bench: Bench, tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    _write_usb(sysfs, "1-5", "0483", "374b", serial=RECORDED["stlink-v2-1"].serial or "")
    result = scan(
        ports=lambda: [bench.port(RECORDED["stlink-v2-1"])],
        by_id_dir=bench.by_id,
        by_path_dir=bench.by_path,
        usb=lambda: list_usb_devices(sysfs),
        probes=lambda: ProbeScan([], "-"),
    )
    assert [d.source for d in result.devices] == ["serial"]


@dataclass
class FakeProbe:
    """A pyocd DebugProbe double (the attributes detect reads)."""

    unique_id: str
    vendor_name: str
    product_name: str

    @property
    def description(self) -> str:
        return f"{self.vendor_name} {self.product_name}"


def test_pyocd_probes_are_merged_with_their_port_or_listed(bench: Bench) -> None:
    st = RECORDED["stlink-v2-1"]
    probes = ProbeScan(
        [
            FakeProbe(st.serial or "", "STMicroelectronics", "STM32 STLink"),
            FakeProbe("0240000032044e4500257009997b00386781000097969900", "ARM", "DAPLink CMSIS-DAP"),
        ],
        "debug probes: 2 found (pyocd)",
    )
    result = bench.scan([bench.port(st)], probes)
    assert [d.source for d in result.devices] == ["serial", "pyocd"]
    assert result.devices[0].probe_uid == st.serial
    assert result.devices[1].known is None and result.devices[1].stable_id_kind == "serial_number"
    assert "debug probes: 2 found (pyocd)" in result.status
    # pyocd reads a J-Link's serial as a number: USB 000683461234 is probe 683461234, one device
    jl = RECORDED["jlink"]
    result = bench.scan([bench.port(jl)], ProbeScan([FakeProbe("683461234", "Segger", "J-Link OB")], "-"))
    assert [(d.source, d.probe_uid) for d in result.devices] == [("serial", "683461234")]


def test_a_failing_port_lister_is_one_status_line(bench: Bench) -> None:
    def broken() -> list[ListPortInfo]:
        raise OSError("sysfs went away")

    result = scan(
        ports=broken,
        by_id_dir=bench.by_id,
        by_path_dir=bench.by_path,
        usb=lambda: [],
        probes=lambda: ProbeScan([], "-"),
    )
    assert result.devices == [] and "serial ports: scan failed (pyserial: sysfs went away)" in result.status


def test_pyocd_absent_is_one_line_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyocd.core.helpers", None)  # import now raises ImportError
    assert list_probes() == ProbeScan([], PYOCD_MISSING)
    assert PYOCD_MISSING == "debug probes: not scanned (pyocd not installed: pip install pyocd)"


def test_pyocd_real_listing_when_installed() -> None:
    pytest.importorskip("pyocd", reason="pyocd not installed: the absent branch is tested above")
    result = list_probes()
    assert result.status.startswith("debug probes: ")
    assert "not installed" not in result.status
    assert f"{len(result.probes)} found" in result.status or "scan failed" in result.status


def _all_known(bench: Bench) -> list[ListPortInfo]:
    return [
        bench.port(RECORDED[k])
        for k in (
            "nano33ble",
            "cp2102",
            "ch340",
            "esp32c3",
            "stlink-v2-1",
            "stlink-v3e",
            "jlink",
            "ftdi-unknown",
        )
    ]


def test_append_keeps_existing_boards_and_loads(bench: Bench, tmp_path: Path) -> None:
    toml = tmp_path / "boards.toml"
    original = (ROOT / "boards.toml").read_text() + (
        '\n[boards.nano33ble]\nkind = "mcu"\ncore = "cortex-m4f"\nclock_hz = 64_000_000\nport = "/dev/ttyACM9"\n'
    )
    toml.write_text(original)
    before = load_boards(toml)
    devices = bench.scan(_all_known(bench)).devices
    result = append_boards(toml, devices)
    text = toml.read_text()
    assert text.startswith(original)  # existing text untouched, byte for byte
    after = load_boards(toml)
    for name, board in before.boards.items():
        assert after.boards[name] == board
    assert result.written == [
        "nano33ble-2",
        "esp32c3",
        "nucleo-l4r5zi",
        "nucleo-l4r5zi-2",
        "esp32",
        "esp32-2",
    ]
    assert set(after.boards) == set(before.boards) | set(result.written)
    nano = after.boards["nano33ble-2"]
    assert nano.kind == "mcu" and nano.port == str(bench.by_id / RECORDED["nano33ble"].by_id)
    assert nano.serial_number == NANO_SERIAL and nano.flasher is None
    for name in result.written:
        b = after.boards[name]
        assert (b.core, b.clock_hz) == CORES[name.removesuffix("-2")]
    assert after.boards["esp32-2"].serial_number is None  # the CH340 has none: none invented
    assert '# flasher = "bossac"  (when flashing real boards lands)' in text
    assert "\nflasher =" not in text.split(original, 1)[1]
    assert "SEGGER J-Link" in text and "A50285BI" not in text  # probe as a comment; unknown not written
    assert any("unknown device, not written" in ln for ln in result.lines)


def test_append_twice_adds_nothing_the_second_time(bench: Bench, tmp_path: Path) -> None:
    toml = tmp_path / "boards.toml"
    devices = bench.scan(_all_known(bench)).devices
    first = append_boards(toml, devices)
    text = toml.read_text()
    second = append_boards(toml, bench.scan(_all_known(bench)).devices)
    assert first.written and second.written == []
    assert toml.read_text() == text
    assert sum("already in boards.toml" in ln for ln in second.lines) == len(first.written)
    assert sum("already noted in boards.toml" in ln for ln in second.lines) == 1  # the J-Link comment


def test_append_creates_a_file_that_loads_with_only_a_coral(tmp_path: Path) -> None:
    sysfs = tmp_path / "sys"
    _write_usb(sysfs, "2-1", "1a6e", "089a")
    toml = tmp_path / "new" / "boards.toml"
    toml.parent.mkdir()
    devices = scan(
        ports=lambda: [],
        by_id_dir=tmp_path / "none",
        by_path_dir=tmp_path / "none",
        usb=lambda: list_usb_devices(sysfs),
        probes=lambda: ProbeScan([], "-"),
    ).devices
    result = append_boards(toml, devices)
    assert result.written == [] and load_boards(toml).boards == {}
    assert "Coral devices arrive with a later issue" in toml.read_text().replace("\n# ", " ")


def test_append_refuses_a_broken_file_and_leaves_it(bench: Bench, tmp_path: Path) -> None:
    toml = tmp_path / "boards.toml"
    toml.write_text('[boards.x]\nkind = "mcu"\n')  # no core, clock_hz, port
    with pytest.raises(ConfigError, match=r"boards\.toml"):
        append_boards(toml, bench.scan(_all_known(bench)).devices)
    assert toml.read_text() == '[boards.x]\nkind = "mcu"\n'


def _cli(monkeypatch: pytest.MonkeyPatch, bench: Bench, ports: list[ListPortInfo], *args: str) -> str:
    """The real command line, in process, with recorded ports and the fake /dev."""
    from hilbench import cli
    from hilbench.cli import app

    monkeypatch.setattr(scan_mod, "list_serial_ports", lambda: ports)
    monkeypatch.setattr(scan_mod, "BY_ID_DIR", bench.by_id)
    monkeypatch.setattr(scan_mod, "BY_PATH_DIR", bench.by_path)
    monkeypatch.setattr(scan_mod, "list_usb_devices", lambda: [])
    monkeypatch.setattr(cli.console, "width", 400)  # the fake /dev paths are long; keep rows on one line
    r = CliRunner().invoke(app, list(args))
    assert r.exit_code == 0, (r.output, r.exception)
    return r.stdout


def test_cli_table_json_and_append(bench: Bench, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ports = _all_known(bench)
    out = _cli(monkeypatch, bench, ports, "boards", "detect")
    for key in ("nano33ble", "cp2102", "esp32c3", "stlink-v2-1", "jlink"):
        rec = RECORDED[key]
        line = next(ln for ln in out.splitlines() if rec.tty in ln)
        assert f"{rec.vid:04x}:{rec.pid:04x}" in line and (rec.serial or "-") in line
        assert EXPECTED[key][0].split(" (")[0] in line
    assert "debug probes:" in out
    devices = json.loads(_cli(monkeypatch, bench, ports, "boards", "detect", "--json"))
    assert len(devices) == len(ports)
    by_port = {d["port"]: d for d in devices}
    nano = by_port[str(bench.dev / "ttyACM0")]
    assert nano["vid"] == "2341" and nano["pid"] == "805a" and nano["board"] == "nano33ble"
    assert nano["stable_id"] == str(bench.by_id / RECORDED["nano33ble"].by_id)
    assert by_port[str(bench.dev / "ttyUSB2")]["known"] is False
    toml = tmp_path / "out.toml"
    out = _cli(monkeypatch, bench, ports, "boards", "detect", "--append", str(toml))
    assert "appended 6 board(s)" in out
    assert len(load_boards(toml).boards) == 6


def test_real_scan_on_this_host_exits_0() -> None:
    from serial.tools import list_ports

    r = run_cli("boards", "detect")
    assert r.code == 0, r.stderr
    usb_ports = [p.device for p in list_ports.comports() if p.vid is not None]
    if usb_ports:
        for dev in usb_ports:
            assert os.path.basename(dev) in r.stdout
    else:
        assert "no USB serial ports found" in r.stdout
    assert "debug probes:" in r.stdout


def test_boards_still_lists_and_detect_is_a_subcommand(tmp_path: Path) -> None:
    toml = tmp_path / "boards.toml"
    toml.write_text(
        '[boards.bench-nano]\nkind = "mcu"\ncore = "cortex-m4f"\nclock_hz = 64_000_000\n'
        f'port = "{tmp_path / "ttyACM42"}"\n'
    )
    r = run_cli("boards", "--boards", str(toml), "--no-probe")
    assert r.code == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "bench-nano" in ln)
    assert " no " in line and "not present" in line
    r = run_cli("boards", "detect", "--help")
    assert r.code == 0 and "--append" in r.stdout and "--json" in r.stdout

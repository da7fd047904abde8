"""Read what is plugged in: serial ports (pyserial), USB devices without a serial port
(Linux sysfs), debug probes (pyocd, when installed), and the udev symlinks that name them.

Every source is a plain function with its directory or lister as a parameter, so tests feed
recorded data (real `ListPortInfo` objects, a temp dir of symlinks) instead of hardware.
A source that cannot be read is reported in one line, never raised: detect is what a user
runs when nothing works yet, so it must not fail with them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from serial.tools.list_ports_common import ListPortInfo

from hilbench.boards_detect.known import KnownDevice, match

BY_ID_DIR = Path("/dev/serial/by-id")
BY_PATH_DIR = Path("/dev/serial/by-path")
SYSFS_USB_DIR = Path("/sys/bus/usb/devices")
PYOCD_MISSING = "debug probes: not scanned (pyocd not installed: pip install pyocd)"

# Serial numbers that many adapters share out of the factory (CP210x bridges ship with
# "0001" unless the board maker programs one): they tell nothing apart.
SHARED_SERIALS = frozenset({"0000", "0001", "00000000", "1"})

Source = Literal["serial", "usb", "pyocd"]
IdKind = Literal["by-id", "by-path", "serial_number", "device", "none"]


class ProbeInfo(Protocol):
    """What detect reads of a pyocd DebugProbe (pyocd.probe.debug_probe.DebugProbe)."""

    @property
    def unique_id(self) -> str: ...
    @property
    def vendor_name(self) -> str: ...
    @property
    def product_name(self) -> str: ...
    @property
    def description(self) -> str: ...


@dataclass
class Detected:
    """One device found, with what it is (`known`, None: unknown) and how to name it."""

    source: Source
    port: str | None
    vid: int | None
    pid: int | None
    serial_number: str | None = None
    location: str | None = None
    description: str | None = None
    manufacturer: str | None = None
    product: str | None = None
    hwid: str | None = None
    known: KnownDevice | None = None
    by_id: str | None = None
    by_path: str | None = None
    stable_id: str | None = None
    stable_id_kind: IdKind = "none"
    notes: list[str] = field(default_factory=list)
    probe_uid: str | None = None  # pyocd saw this device as a probe with this unique id

    @property
    def unique_serial(self) -> bool:
        """Whether the USB serial number tells this device apart from others of its kind."""
        return bool(self.serial_number) and self.serial_number not in SHARED_SERIALS

    @property
    def vid_pid(self) -> str:
        if self.vid is None:
            return "-"
        return f"{self.vid:04x}:{self.pid or 0:04x}"

    def as_json(self) -> dict[str, object]:
        """One object per device for `--json` (scripts): plain values, ids in hex."""
        return {
            "source": self.source,
            "port": self.port,
            "vid": f"{self.vid:04x}" if self.vid is not None else None,
            "pid": f"{self.pid:04x}" if self.pid is not None else None,
            "serial_number": self.serial_number,
            "location": self.location,
            "description": self.description,
            "manufacturer": self.manufacturer,
            "product": self.product,
            "hwid": self.hwid,
            "known": self.known is not None,
            "name": self.known.name if self.known else None,
            "category": self.known.category if self.known else None,
            "board": self.known.board if self.known else None,
            "by_id": self.by_id,
            "by_path": self.by_path,
            "stable_id": self.stable_id,
            "stable_id_kind": self.stable_id_kind,
            "notes": list(self.notes),
            "probe_uid": self.probe_uid,
        }


@dataclass
class ProbeScan:
    """pyocd's answer: the probes, and one line saying how the scan went."""

    probes: list[ProbeInfo]
    status: str


@dataclass
class Scan:
    devices: list[Detected]
    skipped_ports: list[str]  # serial ports with no USB ids (legacy ttyS*): nothing to match
    status: list[str]  # one line per source that was not scanned or failed


def list_serial_ports() -> list[ListPortInfo]:
    """pyserial's view of the serial ports (the seam tests replace with recorded data)."""
    from serial.tools import list_ports

    return list(list_ports.comports())


def symlinks_to(directory: Path) -> dict[str, str]:
    """{resolved target: link path} for the udev links in `directory` (absent dir: {})."""
    links: dict[str, str] = {}
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return links
    for entry in entries:
        if entry.is_symlink():
            links.setdefault(os.path.realpath(entry), str(entry))
    return links


def choose_identifier(dev: Detected) -> None:
    """Set `stable_id`: the by-id link when the device has a unique USB serial number (it
    survives re-plugging into any socket); with none (or a shared factory default) the
    by-id name is the same for identical adapters, so the by-path link (fixed to the USB
    socket) wins; then the serial number; then the bare device path, which the kernel may
    renumber."""
    shared = (
        f"USB serial number {dev.serial_number} is a factory default many adapters share"
        if dev.serial_number
        else "no USB serial number"
    )
    if dev.by_id and dev.unique_serial:
        dev.stable_id, dev.stable_id_kind = dev.by_id, "by-id"
    elif dev.by_path:
        dev.stable_id, dev.stable_id_kind = dev.by_path, "by-path"
        dev.notes.append(f"{shared}: by-path names the USB socket, so keep it plugged there")
    elif dev.by_id:
        dev.stable_id, dev.stable_id_kind = dev.by_id, "by-id"
        dev.notes.append(f"{shared}: a second identical adapter gets the same by-id name")
    elif dev.serial_number:
        dev.stable_id, dev.stable_id_kind = dev.serial_number, "serial_number"
    elif dev.port:
        dev.stable_id, dev.stable_id_kind = dev.port, "device"
        dev.notes.append(f"no stable name: {dev.port} may be renumbered on re-plug")


def _opt(value: object) -> str | None:
    return None if value in (None, "", "n/a") else str(value)


def from_port(info: ListPortInfo, by_id: dict[str, str], by_path: dict[str, str]) -> Detected:
    real = os.path.realpath(info.device)
    dev = Detected(
        source="serial",
        port=info.device,
        vid=info.vid,
        pid=info.pid,
        serial_number=_opt(info.serial_number),
        location=_opt(info.location),
        description=_opt(info.description),
        manufacturer=_opt(info.manufacturer),
        product=_opt(info.product),
        hwid=_opt(info.hwid),
        known=match(info.vid, info.pid),
        by_id=by_id.get(real),
        by_path=by_path.get(real),
    )
    if dev.known and dev.known.note:
        dev.notes.append(dev.known.note)
    choose_identifier(dev)
    return dev


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def list_usb_devices(sysfs: Path | None = None) -> list[Detected] | None:
    """Known USB devices that have no serial port (the Coral accelerator, a probe without a
    virtual COM port), from sysfs; None when this host has no sysfs USB tree. Unknown
    USB devices are not listed here: every keyboard and webcam would be."""
    sysfs = sysfs or SYSFS_USB_DIR
    if not sysfs.is_dir():
        return None
    found: list[Detected] = []
    for entry in sorted(sysfs.iterdir()):
        if ":" in entry.name or entry.name.startswith("usb"):  # interfaces; root hubs
            continue
        vid_s, pid_s = _read(entry / "idVendor"), _read(entry / "idProduct")
        if vid_s is None or pid_s is None:
            continue
        try:
            vid, pid = int(vid_s, 16), int(pid_s, 16)
        except ValueError:
            continue
        known = match(vid, pid)
        if known is None:
            continue
        dev = Detected(
            source="usb",
            port=None,
            vid=vid,
            pid=pid,
            serial_number=_read(entry / "serial"),
            location=entry.name,
            manufacturer=_read(entry / "manufacturer"),
            product=_read(entry / "product"),
            known=known,
        )
        dev.description = dev.product
        if known.note:
            dev.notes.append(known.note)
        choose_identifier(dev)
        found.append(dev)
    return found


def list_probes() -> ProbeScan:
    """pyocd's probe list (every probe type it supports: CMSIS-DAP, ST-Link, J-Link, ...).
    pyocd is optional: without it this says so in one line."""
    try:
        from pyocd.core.helpers import ConnectHelper
    except ImportError:
        return ProbeScan([], PYOCD_MISSING)
    try:
        probes = list(ConnectHelper.get_all_connected_probes(blocking=False, print_wait_message=False))
    except Exception as exc:
        return ProbeScan([], f"debug probes: scan failed (pyocd: {exc})")
    return ProbeScan(probes, f"debug probes: {len(probes)} found (pyocd)")


def _same_id(usb_serial: str, probe_uid: str) -> bool:
    """A probe's pyocd unique id is its USB serial number, except that pyocd reads a J-Link's
    as a number (USB "000683461234" is uid "683461234")."""
    return usb_serial.lower().lstrip("0") == probe_uid.lower().lstrip("0")


def _usb_device_of(location: str | None) -> str | None:
    """The sysfs USB device name of a port location ("1-1.2:1.0" -> "1-1.2")."""
    return location.split(":", 1)[0] if location else None


def scan(
    ports: Callable[[], Iterable[ListPortInfo]] | None = None,
    by_id_dir: Path | None = None,
    by_path_dir: Path | None = None,
    usb: Callable[[], Sequence[Detected] | None] | None = None,
    probes: Callable[[], ProbeScan] | None = None,
) -> Scan:
    """Everything detect reports, from the given sources; each one left out is the real
    host's, looked up when called (so a test can replace this module's lister or directory)."""
    ports = ports or list_serial_ports
    usb = usb or list_usb_devices
    probes = probes or list_probes
    by_id = symlinks_to(by_id_dir or BY_ID_DIR)
    by_path = symlinks_to(by_path_dir or BY_PATH_DIR)
    devices: list[Detected] = []
    skipped: list[str] = []
    status: list[str] = []
    try:
        found_ports = sorted(ports(), key=lambda p: p.device)
    except Exception as exc:
        found_ports = []
        status.append(f"serial ports: scan failed (pyserial: {exc})")
    for info in found_ports:
        if info.vid is None:
            skipped.append(info.device)
            continue
        devices.append(from_port(info, by_id, by_path))
    usb_found = usb()
    if usb_found is None:
        status.append(f"USB devices without a serial port: not scanned (no {SYSFS_USB_DIR})")
    else:
        with_port = {_usb_device_of(d.location) for d in devices}
        devices.extend(d for d in usb_found if d.location not in with_port)
    probe_scan = probes()
    status.append(probe_scan.status)
    for probe in probe_scan.probes:
        uid = str(probe.unique_id)
        same = [d for d in devices if d.serial_number and _same_id(d.serial_number, uid)]
        if same:
            for d in same:
                d.probe_uid = uid
            continue
        dev = Detected(
            source="pyocd",
            port=None,
            vid=None,
            pid=None,
            serial_number=uid,
            manufacturer=str(probe.vendor_name),
            product=str(probe.product_name),
            description=str(probe.description),
        )
        dev.notes.append("debug probe (pyocd): the board it is wired to is not known")
        choose_identifier(dev)
        devices.append(dev)
    return Scan(devices, skipped, status)

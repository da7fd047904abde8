"""Locating and building the hilbench DUT firmware images.

The image is built from firmware/ with make, which rebuilds only what changed; so calling
`build_image` before every run costs a fraction of a second when nothing changed and
guarantees the image matches the sources.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

from hilbench import __version__, paths
from hilbench.errors import DeviceError, ToolMissingError

# The Debian packages that provide each cross-compiler prefix (board.mk's `CROSS ?=`).
_PACKAGES = {
    "arm-none-eabi-": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "riscv64-unknown-elf-": "gcc-riscv64-unknown-elf",
}
_CROSS_RE = re.compile(r"^\s*CROSS\s*[?:]?=\s*(\S+)\s*$", re.MULTILINE)


def firmware_dir() -> Path:
    """The firmware sources: a checkout's firmware/ or an install's packaged copy (hilbench.paths)."""
    return paths.firmware_dir()


def build_name(target: str, sanitize: bool = False, defines: tuple[str, ...] = ()) -> str:
    """Build directory name: one per target, sanitizer setting and set of -D defines, so a
    variant (e.g. the calibrated-slowdown firmware of the regression tests) never
    overwrites the normal image."""
    name = "host-asan" if (target == "host" and sanitize) else target
    if defines:
        name += "+" + hashlib.sha256("\n".join(sorted(defines)).encode()).hexdigest()[:10]
    return name


def image_path(target: str, sanitize: bool = False, defines: tuple[str, ...] = ()) -> Path:
    """Where make puts the image of a target."""
    name = build_name(target, sanitize, defines)
    if target == "host":
        return paths.build_root() / name / "hilbench-dut"
    return paths.build_root() / name / "hilbench-dut.elf"


def image_exists(target: str) -> bool:
    return image_path(target).is_file()


def toolchain_for(target: str) -> tuple[str, str]:
    """(compiler, Debian package providing it) for a firmware target, from its board.mk.

    Cross targets name their toolchain prefix as `CROSS ?= <prefix>` in
    firmware/boards/<target>/board.mk (e.g. riscv64-unknown-elf- for riscv32-virt); a
    board.mk without one builds with the host's gcc.
    """
    try:
        text = (firmware_dir() / "boards" / target / "board.mk").read_text(encoding="utf-8")
    except OSError:
        text = ""
    m = _CROSS_RE.search(text)
    if m is None:
        return ("gcc", "gcc")
    prefix = m.group(1)
    package = _PACKAGES.get(prefix, f"gcc-{prefix.rstrip('-')}")
    return (f"{prefix}gcc", package)


def build_image(target: str, sanitize: bool = False, defines: tuple[str, ...] = ()) -> Path:
    """Build (or confirm up to date) the firmware image for target; return its path."""
    fw = firmware_dir()
    if not (fw / "boards" / target).is_dir():
        raise DeviceError(f"firmware target '{target}': no directory {fw / 'boards' / target}")
    compiler, package = toolchain_for(target)
    if shutil.which(compiler) is None:
        raise ToolMissingError(f"{compiler} not found: install it with `apt-get install {package}`")
    if shutil.which("make") is None:
        raise ToolMissingError("make not found: install it with `apt-get install make`")
    cmd = ["make", "-s", "-C", str(fw), f"BOARD={target}"] + (["SANITIZE=1"] if sanitize else [])
    cmd += _out_of_tree_args(fw)
    if defines:
        for d in defines:
            if not _DEFINE_RE.fullmatch(d):
                raise DeviceError(f"firmware define '{d}' is not NAME or NAME=VALUE (letters, digits, _)")
        cmd += [
            f"BUILD_NAME={build_name(target, sanitize, defines)}",
            "CFLAGS=" + " ".join(f"-D{d}" for d in defines),
        ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr + proc.stdout).splitlines() if "error" in ln.lower()]
        first = lines[0] if lines else (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise DeviceError(f"firmware build for '{target}' failed: {first}")
    path = image_path(target, sanitize, defines)
    if not path.is_file():
        raise DeviceError(f"firmware build for '{target}' produced no {path}")
    return path


def _out_of_tree_args(fw: Path) -> list[str]:
    """make arguments for a build outside firmware/build (an installed package builds in the
    cache): BUILD_ROOT there, and the version as the firmware's build id, since the
    install directory is no git checkout (git would report whatever repository encloses
    the virtualenv). A checkout passes nothing, so its flags, and hence its objects, stay
    the same as a plain `make -C firmware`."""
    root = paths.build_root()
    if root == fw / "build":
        return []
    return [f"BUILD_ROOT={root}", f"GIT_HASH=v{__version__}"]


_DEFINE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(=[A-Za-z0-9_.+-]*)?")


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

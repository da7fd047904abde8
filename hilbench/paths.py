"""Where hilbench finds its firmware sources and default boards.toml, and where builds go.

hilbench runs two ways, and both must work from any working directory:

- From a source checkout (``PYTHONPATH=<repo>`` or an editable install): the sources are
  the repository's own ``firmware/`` and ``boards.toml``, and make builds into
  ``firmware/build/`` as it always has, so a developer's ``make -C firmware``, the tests
  that run ``firmware/build/tools/...`` and hilbench share one build tree.
- From an installed wheel (``pip install .``): the setup.py build hook ships both under
  ``hilbench/_data/``. An install directory is not ours to write (it may be read-only,
  shared by users, or wiped by the next ``pip install``), so builds go to a per-user cache
  directory instead: ``$HILBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/hilbench``, else
  ``~/.cache/hilbench`` (the XDG rule pip, ccache and pre-commit follow).

``HILBENCH_FIRMWARE_DIR`` names another firmware tree (e.g. a fork of the firmware); it is
treated like a checkout and builds into its own ``build/``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hilbench import __version__, envvars

_PACKAGE_DIR = Path(__file__).resolve().parent
# What the setup.py build hook puts into the wheel (absent in a source checkout).
_PACKAGED_DATA = _PACKAGE_DIR / "_data"
# The repository root, when hilbench is imported from a checkout.
_CHECKOUT_ROOT = _PACKAGE_DIR.parent


def cache_dir() -> Path:
    """The per-user cache: $HILBENCH_CACHE_DIR, else $XDG_CACHE_HOME/hilbench, else ~/.cache/hilbench."""
    env = envvars.get("HILBENCH_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hilbench"


def is_installed() -> bool:
    """True when hilbench runs from an installed wheel (its packaged firmware is present)."""
    return (_PACKAGED_DATA / "firmware" / "Makefile").is_file()


def firmware_dir() -> Path:
    """The firmware source tree: $HILBENCH_FIRMWARE_DIR, else the packaged copy of an
    installed wheel, else the checkout's firmware/."""
    env = envvars.get("HILBENCH_FIRMWARE_DIR")
    if env:
        return Path(env)
    if is_installed():
        return _PACKAGED_DATA / "firmware"
    return _CHECKOUT_ROOT / "firmware"


def build_root() -> Path:
    """The directory make builds into (firmware/Makefile's BUILD_ROOT).

    A checkout (or $HILBENCH_FIRMWARE_DIR) builds into its own firmware/build. An installed
    package builds under the cache, in a directory per hilbench version and install
    location: make decides what to rebuild by file times, so two installs (or a downgrade)
    sharing one build tree could keep objects of other sources.
    """
    if envvars.get("HILBENCH_FIRMWARE_DIR") or not is_installed():
        return firmware_dir() / "build"
    where = hashlib.sha256(str(_PACKAGED_DATA).encode()).hexdigest()[:10]
    return cache_dir() / "firmware" / f"{__version__}-{where}"


def packaged_boards_file() -> Path:
    """The default boards.toml: the installed wheel's copy, else the checkout's."""
    packaged = _PACKAGED_DATA / "boards.toml"
    if packaged.is_file():
        return packaged
    return _CHECKOUT_ROOT / "boards.toml"


def default_boards_file() -> Path:
    """$HILBENCH_BOARDS, else ./boards.toml, else the default one (the checkout's, or the packaged copy)."""
    env = envvars.get("HILBENCH_BOARDS")
    if env:
        return Path(env)
    local = Path("boards.toml")
    if local.is_file():
        return local
    return packaged_boards_file()

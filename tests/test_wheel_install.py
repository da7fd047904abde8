"""hilbench as a user gets it: the wheel, installed into a fresh virtualenv outside the
checkout, runs the default job from an empty directory (issue 14's first acceptance item).

It builds the firmware from the sources packaged in the wheel, into the cache directory
($HILBENCH_CACHE_DIR, here inside tmp_path), never into the install; the results go under
the working directory, as from a checkout. The venv is not given --system-site-packages
and PYTHONPATH is cleared, so nothing of the checkout or the dev venv can stand in for a
file the wheel lacks. Dependencies come from pip's index (pip's own cache makes a second
run faster); the wheel's build needs setuptools>=77 from there too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from hilbench import __version__
from tests.conftest import ROOT, need_tool

# The whole module needs the wheel built and installed (about half a minute); the run
# starts QEMU. Both count as the slow loop.
pytestmark = pytest.mark.emulated

# Not copied into the build tree: VCS data, local outputs and caches (top level only:
# hilbench/results is a package). firmware/build is copied (a checkout that has built
# anything has one) to show it stays out of the wheel.
_TOP_LEVEL_SKIP = {
    ".git",
    ".venv",
    "results",
    "build",
    "dist",
    ".pytest_cache",
    ".hypothesis",
    ".cache",
    ".mypy_cache",
    ".ruff_cache",
}


def _not_sources(directory: str, names: list[str]) -> set[str]:
    skip = {n for n in names if n == "__pycache__" or n.endswith(".egg-info")}
    if Path(directory) == ROOT:
        skip |= _TOP_LEVEL_SKIP & set(names)
    return skip


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user who has only the installed package."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME") or k.startswith(("HIL_", "HILBENCH_")))
    }
    env.update(extra)
    return env


def _check(proc: subprocess.CompletedProcess[str], what: str) -> None:
    assert proc.returncode == 0, (
        f"{what} exited {proc.returncode}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the hilbench wheel (and its dependencies) installed; its bin/."""
    base = tmp_path_factory.mktemp("wheel")
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=_not_sources)
    stray = src / "firmware" / "build" / "host" / "stray.o"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"not a source")

    dist = base / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-w", str(dist), "-v"],
        capture_output=True,
        text=True,
        env=_clean_env(),
    )
    _check(proc, "pip wheel")
    # Python warnings from the build backend (a deprecated license table, a missing license
    # file, ...): pip shows them as "<path>: BuildBackendWarning: ..." (setuptools' own class
    # names, e.g. SetuptoolsDeprecationWarning, when run directly). distutils' lowercase
    # "warning: ... byte-compiling is disabled" notes are not warnings of that kind.
    warnings = [
        ln.strip() for ln in (proc.stdout + proc.stderr).splitlines() if re.search(r"[a-z]Warning: ", ln)
    ]
    assert not warnings, f"setuptools warned while building the wheel: {warnings}"
    (wheel,) = dist.glob("hilbench-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "hilbench/_data/boards.toml" in names
    assert "hilbench/_data/firmware/Makefile" in names
    assert any(n.startswith("hilbench/_data/firmware/dut/") and n.endswith(".c") for n in names)
    assert not [n for n in names if n.startswith("hilbench/_data/firmware/build/")], "firmware/build shipped"
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), "LICENSE not in the wheel"

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    proc = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--find-links", str(dist), "hilbench"],
        capture_output=True,
        text=True,
        env=_clean_env(),
    )
    _check(proc, "pip install")
    assert "DEPRECATION" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return venv / "bin"


def test_version_and_bare_command(installed: Path, tmp_path: Path) -> None:
    env = _clean_env(HILBENCH_CACHE_DIR=str(tmp_path / "cache"))
    proc = subprocess.run(
        [str(installed / "hilbench"), "--version"], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    _check(proc, "hilbench --version")
    assert proc.stdout.strip() == f"hilbench {__version__}"
    proc = subprocess.run(
        [str(installed / "hilbench")], cwd=tmp_path, capture_output=True, text=True, env=env
    )
    assert proc.returncode == 2, proc.returncode  # click's no_args_is_help: help, and a usage-error exit
    assert "Usage:" in proc.stdout and "run" in proc.stdout, proc.stdout + proc.stderr


@pytest.mark.timeout(900)
def test_installed_hilbench_runs_the_default_job(installed: Path, tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    work = tmp_path / "work"
    work.mkdir()
    cache = tmp_path / "cache"
    env = _clean_env(HILBENCH_CACHE_DIR=str(cache))
    started = time.monotonic()
    proc = subprocess.run(
        [str(installed / "hilbench"), "run"], cwd=work, capture_output=True, text=True, env=env, timeout=600
    )
    _check(proc, "hilbench run")
    elapsed = time.monotonic() - started
    # The results table of the default job: the demo model on the default emulated board.
    assert "mps2-an386" in proc.stdout and "digits_mlp" in proc.stdout and "bit-exact" in proc.stdout, (
        proc.stdout
    )
    runs = [d for d in (work / "results").iterdir() if d.is_dir()]
    assert len(runs) == 1, runs
    assert (runs[0] / "samples.parquet").is_file() and (runs[0] / "run.json").is_file()

    # The firmware was built in the cache, nothing was written into the install.
    images = list(cache.glob("firmware/*/mps2-an386/hilbench-dut.elf"))
    assert len(images) == 1, sorted(str(p) for p in cache.rglob("*"))[:20]
    site = subprocess.run(
        [str(installed / "python"), "-c", "import hilbench, os; print(os.path.dirname(hilbench.__file__))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout.strip()
    assert not [p for p in Path(site).rglob("build") if p.is_dir()], "a build directory inside the install"
    assert not (ROOT / "results" / runs[0].name).exists(), "results written into the checkout"

    # `hilbench boards` reads the packaged boards.toml and finds the image the run built.
    proc = subprocess.run(
        [str(installed / "hilbench"), "boards", "--no-probe"],
        cwd=work,
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "250"},
    )
    _check(proc, "hilbench boards")
    assert "_data/boards.toml" in proc.stdout, proc.stdout
    row = next(ln for ln in proc.stdout.splitlines() if "mps2-an386 (default)" in ln)
    assert "ready" in row, row

    # A boards.toml of the user's own in the working directory wins over the packaged one.
    (work / "boards.toml").write_text(
        '[boards.my-host]\nkind = "native"\ncore = "host"\nclock_hz = 1_000_000_000\nfirmware = "host"\n'
    )
    proc = subprocess.run(
        [str(installed / "hilbench"), "boards", "--no-probe"],
        cwd=work,
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "250"},
    )
    _check(proc, "hilbench boards (own boards.toml)")
    assert "my-host" in proc.stdout and "mps2-an386" not in proc.stdout, proc.stdout
    print(f"hilbench run from the installed wheel: {elapsed:.1f} s")

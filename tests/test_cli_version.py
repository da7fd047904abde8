"""`hilbench --version` and bare `hilbench` (issue 14): the conventions of click tools."""

from __future__ import annotations

import subprocess
import sys

from hilbench import __version__


def _hilbench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hilbench", *args], capture_output=True, text=True, timeout=60
    )


def test_version_flag_prints_name_and_version() -> None:
    proc = _hilbench("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"hilbench {__version__}"


def test_version_flag_wins_over_a_command() -> None:
    """Eager, as --help: `hilbench --version run` prints the version and runs nothing."""
    proc = _hilbench("--version", "run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"hilbench {__version__}"


def test_bare_command_prints_help() -> None:
    """No arguments: the help on stdout, and click's usage-error exit code 2 (click >= 8.2's
    no_args_is_help convention, so a script that forgot its command does not pass)."""
    proc = _hilbench()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Usage:" in proc.stdout
    for command in ("run", "boards", "report", "compare"):
        assert command in proc.stdout, command

"""Running the real `hilbench` command line in a subprocess, as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> CliResult:
    full_env = dict(os.environ, COLUMNS="200", **(env or {}))
    proc = subprocess.run(
        [sys.executable, "-m", "hilbench", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


# `hilbench: [board × model] ...`: a job's progress line (stderr is a pipe here; hilbench.runner.progress)
PROGRESS_LINE = re.compile(r"^hilbench: \[[^\]]+\] ")


def stderr_lines(stderr: str) -> list[str]:
    """stderr's non-empty lines other than progress lines."""
    return [ln for ln in stderr.splitlines() if ln.strip() and not PROGRESS_LINE.match(ln)]


def assert_one_line_error(r: CliResult, *needles: str) -> str:
    """Exit 2, no traceback, exactly one error line (besides progress lines) that contains every needle."""
    assert r.code == 2, (r.code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    lines = stderr_lines(r.stderr)
    assert len(lines) == 1, r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]

"""Build and run the firmware's libFuzzer harnesses; shared by the CI test and the benchmark.

Why one module: tests/test_fuzz_firmware.py (a bounded run in CI) and benchmarks/fuzz.py
(the million-execution acceptance runs) must build the same harnesses, seed them the same
way and judge a run by the same rule: any sanitizer report, crash, leak, timeout or
out-of-memory artifact, or a non-zero exit, is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

FUZZ_DIR = Path(__file__).resolve().parent
FW_DIR = FUZZ_DIR.parent
BUILD_DIR = FW_DIR / "build" / "fuzz"
REGRESSIONS = FUZZ_DIR / "regressions"
HARNESSES = ("fuzz_dut", "fuzz_mlperf", "fuzz_model")
# Longest input per harness: the record harnesses' seeds are <= 16 KiB (make_seeds.py);
# fuzz_model takes whole real models (None: libFuzzer's default, the largest seed).
MAX_LEN: dict[str, int | None] = {"fuzz_dut": 16384, "fuzz_mlperf": 16384, "fuzz_model": None}
# A single input slower than this is a hang (libFuzzer writes a timeout- artifact).
TIMEOUT_S = 30
_ARTIFACT = re.compile(r"^(crash|leak|timeout|oom|slow-unit)-")


class FuzzSetupError(RuntimeError):
    """clang / libFuzzer is missing or the harnesses do not build."""


@dataclass
class FuzzResult:
    """One libFuzzer run, as its final statistics report it."""

    harness: str
    command: list[str]
    returncode: int
    seconds: float
    executions: int = 0
    exec_per_s: int = 0
    cov: int = 0
    ft: int = 0
    corpus: int = 0
    edges_total: int = 0  # instrumented edges ("inline 8-bit counters") of the binary
    artifacts: list[str] = field(default_factory=list)
    log: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.artifacts and not _report_in(self.log)

    def problem(self) -> str:
        """One line naming what went wrong (for assertion messages)."""
        lines = [ln for ln in self.log.splitlines() if "ERROR:" in ln or "SUMMARY:" in ln]
        what = lines[0].strip() if lines else f"exit status {self.returncode}"
        return f"{self.harness}: {what}; artifacts: {', '.join(self.artifacts) or 'none'}"


def _report_in(log: str) -> bool:
    return any(m in log for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                  "runtime error:", "ERROR: libFuzzer", "==ERROR"))


def clang() -> str | None:
    return shutil.which(os.environ.get("CLANG", "clang"))


def build(jobs: int = 2) -> Path:
    """make -C firmware/fuzz; returns the directory holding the harness binaries."""
    cc = clang()
    if cc is None:
        raise FuzzSetupError("clang not installed (apt-get install clang libclang-rt-dev)")
    proc = subprocess.run(["make", "-s", "-C", str(FUZZ_DIR), f"-j{jobs}", f"CLANG={cc}"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise FuzzSetupError("firmware/fuzz does not build: " + " | ".join(tail))
    return BUILD_DIR


def write_seeds(out: Path, model_dirs: Sequence[Path] = ()) -> dict[str, Path]:
    """Seed corpora from real models and frames (make_seeds.py); harness -> directory."""
    sys.path.insert(0, str(FUZZ_DIR))
    try:
        import make_seeds
    finally:
        sys.path.remove(str(FUZZ_DIR))
    dirs = [FW_DIR.parent / "hilbench" / "demo", *model_dirs]
    make_seeds.write_corpora(out, dirs)
    return {h: out / h for h in HARNESSES}


_DONE = re.compile(r"^#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)
_STAT = re.compile(r"^stat::(\w+):\s+(\d+)", re.M)
_EDGES = re.compile(r"\((\d+) inline 8-bit counters\)")
_PULSE = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/", re.M)


def run(harness: str, corpora: Sequence[Path], *, runs: int | None = None,
        max_total_time: int | None = None, artifact_dir: Path, bin_dir: Path = BUILD_DIR,
        nice: int = 0, extra: Sequence[str] = ()) -> FuzzResult:
    """Fuzz one harness; the first corpus directory receives new inputs."""
    artifact_dir.mkdir(parents=True, exist_ok=True)
    cmd = [str(bin_dir / harness), f"-artifact_prefix={artifact_dir}/", f"-timeout={TIMEOUT_S}",
           "-print_final_stats=1"]
    if MAX_LEN[harness] is not None:
        cmd.append(f"-max_len={MAX_LEN[harness]}")
    if runs is not None:
        cmd.append(f"-runs={runs}")
    if max_total_time is not None:
        cmd.append(f"-max_total_time={max_total_time}")
    cmd += [*extra, *(str(c) for c in corpora)]
    for c in corpora:
        Path(c).mkdir(parents=True, exist_ok=True)
    if nice:
        cmd = ["nice", "-n", str(nice), *cmd]
    before = set(os.listdir(artifact_dir))
    t0 = time.monotonic()
    proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    seconds = time.monotonic() - t0
    log = proc.stdout + proc.stderr
    res = FuzzResult(harness=harness, command=cmd, returncode=proc.returncode, seconds=seconds,
                     log=log)
    res.artifacts = sorted(a for a in set(os.listdir(artifact_dir)) - before if _ARTIFACT.match(a))
    stats = {k: int(v) for k, v in _STAT.findall(log)}
    res.executions = stats.get("number_of_executed_units", 0)
    res.exec_per_s = stats.get("average_exec_per_sec", 0)
    edges = _EDGES.search(log)
    res.edges_total = int(edges.group(1)) if edges else 0
    m = _DONE.findall(log) or _PULSE.findall(log)
    if m:
        _, cov, ft, corp = (int(x) for x in m[-1])
        res.cov, res.ft, res.corpus = cov, ft, corp
    return res


def regress(harness: str, inputs: Sequence[Path], *, artifact_dir: Path,
            bin_dir: Path = BUILD_DIR) -> FuzzResult:
    """Run every input (files or directories of them) once: the regression check."""
    return run(harness, list(inputs), runs=0, artifact_dir=artifact_dir, bin_dir=bin_dir)


def regression_inputs(harness: str) -> list[Path]:
    """Committed reproducers of fixed bugs (firmware/fuzz/regressions/<harness>/)."""
    d = REGRESSIONS / harness
    return [d] if d.is_dir() and any(d.iterdir()) else []

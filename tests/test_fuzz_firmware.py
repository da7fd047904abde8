"""The firmware's libFuzzer harnesses, built and run for a bounded time (marker `fuzz`).

Builds firmware/fuzz (clang, libFuzzer + AddressSanitizer + UBSan), writes seed corpora
from real models and frames (make_seeds.py), replays the seeds and any committed
reproducers (firmware/fuzz/regressions/), then fuzzes each harness for FUZZ_SECONDS. Any
crash, leak, sanitizer report, timeout or out-of-memory fails the test. About 2 minutes in
all; the million-execution acceptance runs are benchmarks/fuzz.py (docs/fuzzing.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED, need_tool

sys.path.insert(0, str(ROOT / "firmware" / "fuzz"))
import fuzzrun  # noqa: E402

pytestmark = pytest.mark.fuzz

FUZZ_SECONDS = int(os.environ.get("HILBENCH_FUZZ_SECONDS", "30"))
# Edges the seeds alone must cover: proof that each harness gets past the checks at its
# door (CRC, header, partition) into the handlers, the commands and the planner.
MIN_SEED_COVERAGE = {"fuzz_dut": 900, "fuzz_mlperf": 600, "fuzz_model": 550}


@pytest.fixture(scope="module")
def fuzz_env(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path], Path]:
    need_tool("clang")
    bin_dir = fuzzrun.build()
    work = tmp_path_factory.mktemp("fuzz")
    models = [SHARED / "models"] if (SHARED / "models").is_dir() else []
    seeds = fuzzrun.write_seeds(work / "seeds", models)
    return bin_dir, seeds, work


@pytest.mark.parametrize("harness", fuzzrun.HARNESSES)
def test_seeds_and_regressions_replay_cleanly(
    fuzz_env: tuple[Path, dict[str, Path], Path], harness: str
) -> None:
    bin_dir, seeds, work = fuzz_env
    res = fuzzrun.regress(
        harness,
        [seeds[harness], *fuzzrun.regression_inputs(harness)],
        artifact_dir=work / "artifacts-regress" / harness,
        bin_dir=bin_dir,
    )
    assert res.ok, res.problem() + "\n" + res.log[-3000:]
    assert res.cov >= MIN_SEED_COVERAGE[harness], f"{harness}: seeds cover only {res.cov} edges"


@pytest.mark.parametrize("harness", fuzzrun.HARNESSES)
def test_bounded_fuzzing_finds_no_crash(fuzz_env: tuple[Path, dict[str, Path], Path], harness: str) -> None:
    bin_dir, seeds, work = fuzz_env
    res = fuzzrun.run(
        harness,
        [work / "corpus" / harness, seeds[harness], *fuzzrun.regression_inputs(harness)],
        max_total_time=FUZZ_SECONDS,
        artifact_dir=work / "artifacts" / harness,
        bin_dir=bin_dir,
        nice=10,
    )
    assert res.ok, res.problem() + "\n" + res.log[-3000:]
    assert res.executions > 100, f"{harness}: only {res.executions} executions in {FUZZ_SECONDS} s"


def test_dut_harness_reaches_every_handler(fuzz_env: tuple[Path, dict[str, Path], Path]) -> None:
    """A session seed through fuzz_dut answers every request with status OK: the harness's
    records become good frames, so the fuzzer starts behind the CRC check."""
    bin_dir, seeds, _ = fuzz_env
    proc = subprocess.run(
        [str(bin_dir / "fuzz_dut"), str(seeds["fuzz_dut"] / "seed-session-conv")],
        capture_output=True,
        text=True,
        env={**os.environ, "FUZZ_VERBOSE": "1"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    answered = {
        int(t, 16)
        for t, st in re.findall(r"response type 0x(\w+) seq \d+ status (\d+)", proc.stderr)
        if st == "0"
    }
    # HELLO, MODEL_BEGIN/DATA/END, SET_INPUT, INVOKE, GET_OUTPUT, PROFILE, TENSOR
    assert answered >= {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0A}, proc.stderr[-2000:]


def test_a_crash_is_reported(fuzz_env: tuple[Path, dict[str, Path], Path], tmp_path: Path) -> None:
    """The judge itself: a sanitizer report in the log fails a run (so `ok` can fail)."""
    res = fuzzrun.FuzzResult(
        harness="x",
        command=[],
        returncode=0,
        seconds=0.0,
        log="==1==ERROR: AddressSanitizer: heap-buffer-overflow",
    )
    assert not res.ok and "AddressSanitizer" in res.problem()
    res = fuzzrun.FuzzResult(harness="x", command=[], returncode=0, seconds=0.0, artifacts=["crash-1"])
    assert not res.ok

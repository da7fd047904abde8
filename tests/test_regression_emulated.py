"""Nightly regression end to end on an emulated board: a firmware that is really 5 % slower
(a calibrated delay inside the timed region, built with -DHIL_SLOWDOWN_PERMILLE=50) is
reported as regressed with exit 1; two identical runs compare unchanged with exit 0."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool

pytestmark = pytest.mark.emulated


def _boards(tmp_path: Path) -> Path:
    p = tmp_path / "boards.toml"
    p.write_text(
        (ROOT / "boards.toml").read_text()
        + """
[boards.mps2-an386-slow]
kind = "emulated"
description = "mps2-an386 firmware with a calibrated 5 % delay in the timed region"
core = "cortex-m4f"
clock_hz = 25_000_000
firmware = "mps2-an386"
defines = ["HIL_SLOWDOWN_PERMILLE=50"]
qemu = { binary = "qemu-system-arm", machine = "mps2-an386" }
"""
    )
    return p


def _suite(tmp_path: Path, board: str) -> Path:
    p = tmp_path / f"suite-{board}.toml"
    p.write_text(f"""
name = "nightly"
boards = ["{board}"]
[[models]]
name = "digits"
model = "{ROOT / "hilbench/demo/digits_mlp.tflite"}"
dataset = "{ROOT / "hilbench/demo/digits"}"
limit = 60
""")
    return p


def test_slower_firmware_regresses_and_identical_runs_do_not(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    boards, res = _boards(tmp_path), tmp_path / "results"
    common = ["--boards", str(boards), "--results-dir", str(res)]
    r = run_cli("run", str(_suite(tmp_path, "mps2-an386")), *common)
    assert r.code == 0, r.stderr
    r = run_cli(
        "run",
        str(_suite(tmp_path, "mps2-an386")),
        *common,
        "--baseline",
        "last",
        "--junit",
        str(tmp_path / "same.xml"),
    )
    assert r.code == 0, r.stdout + r.stderr
    assert "unchanged" in r.stdout and "regressed" not in r.stdout
    assert (res / "tags.json").read_text().count("last-good") == 1

    # Tonight's firmware is the slow variant, under the same board name.
    slow = tmp_path / "slow-boards.toml"
    slow.write_text(
        boards.read_text()
        .replace("[boards.mps2-an386]", "[boards.mps2-an386-fast]")
        .replace("[boards.mps2-an386-slow]", "[boards.mps2-an386]")
    )
    r = run_cli(
        "run",
        str(_suite(tmp_path, "mps2-an386")),
        "--boards",
        str(slow),
        "--results-dir",
        str(res),
        "--baseline",
        "last-good",
        "--junit",
        str(tmp_path / "slow.xml"),
    )
    assert r.code == 1, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "cycles" in ln and "regressed" in ln)
    effect = float(re.search(r"\+(\d+\.\d+)%", line).group(1))  # type: ignore[union-attr]
    assert 4.5 <= effect <= 5.5  # 5 % of the inference, quantized to the 40-instruction tick
    xml = (tmp_path / "slow.xml").read_text()
    assert "<failure" in xml and 'name="cycles"' in xml
    # Accuracy and fidelity did not change: only latency regressed.
    assert sum("regressed" in ln for ln in r.stdout.splitlines()) == 1

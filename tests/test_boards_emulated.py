"""Every emulated board, for real: the same DUT sources built for each and run under QEMU.

Per board: HELLO names the board, core and timer; a demo subset is bit-exact with the
reference interpreter and scores its top-1; two runs give identical cycle counts per
vector (the timer re-basing makes -icount runs repeatable). One QEMU at a time.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hilbench.results
from hilbench import firmware
from hilbench.config import BoardConfig, load_boards
from hilbench.devices.emulated import EmulatedDevice
from tests.clihelp import ROOT, run_cli
from tests.test_run import reference_top1, run_id_from

pytestmark = pytest.mark.emulated

LIMIT = 40

# board -> (core, timer kind, timer Hz, minimum model capacity, minimum arena) as HELLO
# should announce them.
BOARDS = {
    "mps2-an386": ("cortex-m4f", "systick", 25_000_000, 1 << 20, 512 << 10),
    "mps2-an500": ("cortex-m7", "systick", 25_000_000, 1 << 20, 512 << 10),
    "mps3-an547": ("cortex-m55", "systick", 32_000_000, 2 << 20, 1 << 20),
    "netduinoplus2": ("cortex-m4f", "systick", 168_000_000, 40 << 10, 92 << 10),  # + 896 KiB flash partition
    "riscv32-virt": ("rv32imac", "riscv_mcycle", 1_000_000_000, 2 << 20, 1 << 20),
}


def board_config(name: str) -> BoardConfig:
    b = load_boards(ROOT / "boards.toml").get(name)
    assert b.qemu is not None
    for tool in (b.qemu.binary, firmware.toolchain_for(b.firmware or name)[0]):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (needed for board {name}; scripts/bootstrap.sh installs it)")
    return b


@pytest.mark.parametrize("name", list(BOARDS))
def test_hello_describes_the_board(name: str) -> None:
    core, timer_kind, timer_hz, min_model, min_arena = BOARDS[name]
    board = board_config(name)
    with EmulatedDevice(board) as dev:
        info = dev.open()
        assert dev.link is not None and dev.link.hello is not None
        hello = dev.link.hello
    assert (hello.board, hello.core, hello.timer_kind, hello.timer_hz) == (name, core, timer_kind, timer_hz)
    assert hello.clock_hz == board.clock_hz and board.core == core
    assert hello.model_capacity_bytes >= min_model and hello.arena_bytes >= min_arena
    assert info.timing.source == "qemu_icount" and info.timing.emulated
    # ticks -> instructions: 1e9 / timer_hz (virtual ns per tick under -icount shift=0)
    assert info.timing.cycles(timer_hz) == 1_000_000_000


@pytest.mark.parametrize("name", list(BOARDS))
def test_demo_subset_exact_and_repeatable(name: str, tmp_path: Path) -> None:
    board_config(name)
    runs = []
    for _ in range(2):
        r = run_cli("run", "--board", name, "--limit", str(LIMIT), "--results-dir", str(tmp_path))
        assert r.code == 0, r.stderr
        assert name in r.stdout and "qemu_icount" in r.stdout
        df = hilbench.results.load(run_id_from(r.stdout), tmp_path)
        runs.append(df[df.phase == "measure"].set_index("sample_id"))
    a, b = runs
    assert len(a) == LIMIT
    assert (a.timing_source == "qemu_icount").all() and a.emulated.all()
    assert a.bit_exact.all()
    assert a.correct.mean() == reference_top1(LIMIT)
    assert (a.cycles > 0).all()
    assert a.ticks.equals(b.ticks) and a.cycles.equals(b.cycles), "cycle counts differ between two runs"
    assert a.prediction.equals(b.prediction)


def test_toolchain_and_qemu_package_names() -> None:
    from hilbench.flash.qemu import qemu_package

    assert firmware.toolchain_for("riscv32-virt") == ("riscv64-unknown-elf-gcc", "gcc-riscv64-unknown-elf")
    for arm in ("mps2-an386", "mps2-an500", "mps3-an547", "netduinoplus2"):
        assert firmware.toolchain_for(arm) == (
            "arm-none-eabi-gcc",
            "gcc-arm-none-eabi libnewlib-arm-none-eabi",
        )
    assert firmware.toolchain_for("host") == ("gcc", "gcc")
    assert qemu_package("qemu-system-riscv32") == "qemu-system-misc"
    assert qemu_package("qemu-system-arm") == "qemu-system-arm"
    for name in BOARDS:
        b = load_boards(ROOT / "boards.toml").get(name)
        assert b.kind == "emulated" and b.firmware == name

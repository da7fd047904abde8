"""Hardware-in-the-loop tests with hilbench's pytest plugin (docs/pytest.md).

    pytest examples/test_with_hilbench.py --hil-emulate          # on the emulated MPS2 boards
    pytest examples/test_with_hilbench.py --hil-board nano33ble  # not on this bench: all skipped
    pytest examples/test_with_hilbench.py --hil-emulate -n 2 --junitxml=hil.xml

Every test here runs once per board of boards.toml that satisfies the module's marker
(an MPS2 Cortex-M board with at least 1 MiB of RAM and of flash) and is present; with
no such board each test is skipped with a reason naming what is missing.
"""

from __future__ import annotations

import numpy as np
import pytest

from hilbench.demo import DEMO_DATASET, DEMO_INPUT_BYTES, DEMO_MODEL, DEMO_NUM_CLASSES

pytestmark = pytest.mark.hil(board="mps2-*", core="cortex-m*", min_ram=1 << 20, min_flash=1 << 20, features=[])

VECTOR = (DEMO_DATASET / "digit_0000.bin").read_bytes()


@pytest.fixture(scope="module")
def reference():
    """tflite-micro, the reference the DUT must match bit for bit."""
    from hilbench.models.reference import ReferenceInterpreter

    return ReferenceInterpreter(DEMO_MODEL.read_bytes(), name=DEMO_MODEL.name)


def test_one_vector_matches_tflite_micro(dut, reference):
    desc = dut.load_model(DEMO_MODEL)
    assert desc.outputs[0].nbytes == DEMO_NUM_CLASSES
    sample = dut.run(VECTOR)
    expected = np.asarray(reference.run(VECTOR)[0]).reshape(-1)
    assert np.frombuffer(sample.output, dtype=np.int8).tolist() == expected.tolist()
    assert sample.ticks > 0


def test_set_input_invoke_get_output(dut, reference):
    dut.load_model(DEMO_MODEL.read_bytes())  # a path or the bytes
    dut.set_input(np.frombuffer(VECTOR, dtype=np.int8))  # bytes or a numpy array
    ticks = dut.invoke(count=5, warmup=1)
    assert len(ticks) == 5 and len(set(ticks)) == 1  # QEMU icount: every inference the same
    assert dut.info.timing.emulated and dut.micros(ticks[0]) < 20_000
    out = np.frombuffer(dut.get_output(), dtype=np.int8)
    assert out.tolist() == np.asarray(reference.run(VECTOR)[0]).reshape(-1).tolist()


@pytest.mark.hil(board="mps2-an386")  # narrows the module's marker to one board
def test_board_identity(hil_board, dut):
    assert hil_board.name == dut.name == "mps2-an386"
    assert dut.info.core.startswith("cortex-m4")
    assert dut.firmware_sha256 and len(VECTOR) == DEMO_INPUT_BYTES


def test_benchmark_demo_model(hil_bench):
    result = hil_bench()  # the demo model on its 360 vectors; stored in the results store
    assert result.latency.median_us < 20_000
    assert result.accuracy.top1 >= 0.9
    assert result.bit_exact
    assert result.run_dir.is_dir()

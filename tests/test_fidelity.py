"""Per-layer fidelity (TENSOR message + tflite-micro preserve_all_tensors)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hilbench import demo
from hilbench.config import load_boards
from hilbench.devices import make_device
from hilbench.models.layer_check import check_layers
from hilbench.models.builder import ModelBuilder
from hilbench.models.inspect import inspect_model
from hilbench.models.reference import ReferenceInterpreter
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool, shared_path


def _mlp(bias_shift: int = 0) -> bytes:
    rng = np.random.default_rng(5)
    b = ModelBuilder(description="three FC")
    x = b.add_tensor("x", [1, 16], "int8", scale=0.05, zero_point=-3)
    prev, scale = x, 0.05
    for i, units in enumerate([12, 8, 4]):
        w = b.add_tensor(
            f"w{i}",
            [units, 16 if i == 0 else [12, 8][i - 1]],
            "int8",
            scale=0.02,
            zero_point=0,
            data=rng.integers(-127, 128, (units, 16 if i == 0 else [12, 8][i - 1]), dtype=np.int8),
        )
        bias = b.add_tensor(
            f"b{i}",
            [units],
            "int32",
            scale=scale * 0.02,
            zero_point=0,
            data=(rng.integers(-500, 500, units) + (bias_shift if i == 1 else 0)).astype(np.int32),
        )
        y = b.add_tensor(f"y{i}", [1, units], "int8", scale=0.1, zero_point=1)
        b.add_op(
            "FULLY_CONNECTED",
            [prev, w, bias],
            [y],
            {"fused_activation_function": "RELU" if i < 2 else "NONE"},
        )
        prev, scale = y, 0.1
    b.set_io([x], [prev])
    return b.build()


@pytest.fixture()
def host_dut():  # type: ignore[no-untyped-def]
    need_tool("gcc")
    dev = make_device(load_boards(ROOT / "boards.toml").get("host"), sanitize=True)
    dev.open()
    yield dev
    dev.close()


def test_every_layer_matches_and_a_wrong_layer_is_caught(host_dut) -> None:  # type: ignore[no-untyped-def]
    model = _mlp()
    host_dut.load_model(model)
    info = inspect_model(model)
    vec = bytes(range(16))
    checks = check_layers(host_dut.link, info, ReferenceInterpreter(model, preserve_all_tensors=True), vec)
    assert [c.op_index for c in checks] == [0, 1, 2] and all(c.bit_exact for c in checks)
    # Against a reference whose second layer differs, layer 1 onwards must be flagged, layer 0 not.
    other = ReferenceInterpreter(_mlp(bias_shift=4000), preserve_all_tensors=True)
    checks = check_layers(host_dut.link, info, other, vec)
    assert checks[0].bit_exact and not checks[1].bit_exact and checks[1].max_abs_diff > 0


def test_verify_command_on_host_board() -> None:
    need_tool("gcc")
    r = run_cli("verify", "--board", "host", "--limit", "2", "--random", "2")
    assert r.code == 0, r.stderr
    assert "all 8 tensors bit-exact" in r.stdout


def test_kws_layers_on_host_board() -> None:
    need_tool("gcc")
    kws = shared_path("models", "mlperf-tiny", "kws_ref_model.tflite")
    r = run_cli(
        "verify",
        "--board",
        "host",
        "--model",
        str(kws),
        "--dataset",
        str(shared_path("datasets", "kws01")),
        "--limit",
        "3",
        "--random",
        "3",
    )
    assert r.code == 0, r.stdout + r.stderr
    assert "all 78 tensors bit-exact" in r.stdout

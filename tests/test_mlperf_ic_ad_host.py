"""MLPerf Tiny image classification (IC, ResNet-8) and anomaly detection (AD, FC
autoencoder) on hilbench-rt's host tool, bit for bit against tflite-micro.

Uses the shared reference models and samples in `../shared` (skipped with a reason where
absent): the IC sample image (uint8 HWC, minus 128 for the int8 input) and a handful of
5-frame windows (stride 1) of the AD log-mel sample (float32 200 x 128, quantized with the
model's input scale / zero point), plus 20 seeded random int8 inputs each. Every output
must equal tflite-micro's, and hilbench-rt's arena must not be larger than the arena
tflite-micro allocates for the same model (its RecordingMicroAllocator total).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tflite_micro.python.tflite_micro.runtime")

from hilbench.models.reference import ReferenceInterpreter  # noqa: E402
from tests.test_ops_elementwise import Case, run_batch  # noqa: E402
from tests.test_runtime_fc import parse_error, tool  # noqa: E402,F401  (tool is a fixture)

SHARED = Path(__file__).resolve().parents[2] / "shared"
MODELS = SHARED / "models" / "mlperf-tiny"
SAMPLES = SHARED / "datasets" / "samples"
N_RANDOM = 20
# tflite-micro's arena for these models as measured for the DUT builds (32-bit); the
# Python runtime's own figure (64-bit host) is measured too: ours must not exceed either.
TFLM_ARENA = {"ic": 54_340, "ad": 2_260}


def _shared(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(
            f"needs {p} (the shared MLPerf Tiny models and samples beside the project root); not present here"
        )
    return p


def _run_and_compare(
    tool: Path, tmp: Path, model: bytes, inputs: list[np.ndarray], label: str
) -> tuple[int, int | None]:
    """Run every input through hil-rt-run (one process) and tflite-micro; return
    (our arena_used, tflite-micro's arena bytes)."""
    results = run_batch(tool, tmp, [Case(f"{label}{i}", model, [x]) for i, x in enumerate(inputs)])
    first = results[0][0]
    if first.startswith("error"):
        err = parse_error(first)
        m = re.match(r"op \d+: (\w+) \(code \d+\) not supported", str(err["message"]))
        if err["status"] == 9 and m:  # an operator hilbench-rt does not have (yet)
            pytest.skip(f"needs {m[1]} ({label}: {err['message']})")
        pytest.fail(f"{label}: hil-rt-run failed: {first}")
    ref = ReferenceInterpreter(model)
    bad = []
    arena = set()
    for i, (x, (line, out)) in enumerate(zip(inputs, results)):
        m = re.fullmatch(r"arena_used=(\d+) ops=\d+", line)
        assert m, (i, line)
        arena.add(int(m[1]))
        want = ref.run(x)[0].tobytes()
        if out != want:
            bad.append(i)
    assert not bad, f"{label}: inputs {bad} differ from tflite-micro"
    assert len(arena) == 1, arena
    return arena.pop(), ref.arena_used_bytes


def test_ic_resnet_bit_exact(tool, tmp_path, capsys):
    model = _shared("models", "mlperf-tiny", "pretrainedResnet_quant.tflite").read_bytes()
    img = np.fromfile(_shared("datasets", "samples", "ic01", "ic_inputs_embedded.bin"), dtype=np.uint8)
    assert img.size == 32 * 32 * 3
    sample = (img.astype(np.int16) - 128).astype(np.int8).reshape(1, 32, 32, 3)
    rng = np.random.default_rng(1001)
    inputs = [sample] + [
        rng.integers(-128, 128, size=(1, 32, 32, 3)).astype(np.int8) for _ in range(N_RANDOM)
    ]
    ours, tflm = _run_and_compare(tool, tmp_path, model, inputs, "ic")
    with capsys.disabled():
        print(
            f"\nIC arena: hilbench-rt {ours:,} bytes, tflite-micro {tflm:,} bytes "
            f"(host), {TFLM_ARENA['ic']:,} (DUT)"
        )
    assert tflm is not None and ours <= min(tflm, TFLM_ARENA["ic"]), (ours, tflm)


def test_ad_autoencoder_bit_exact(tool, tmp_path, capsys):
    model = _shared("models", "mlperf-tiny", "ad01_int8.tflite").read_bytes()
    feats = np.fromfile(
        _shared("datasets", "samples", "ad01", "normal_id_01_00000000_hist_librosa.bin"), dtype="<f4"
    )
    assert feats.size == 200 * 128
    frames = feats.reshape(200, 128)
    det = ReferenceInterpreter(model).inputs[0]
    windows = [0, 1, 2, 57, 100, 150, 194, 195]  # 5 frames each, stride 1: 196 windows
    inputs = [det.quantize(frames[w : w + 5].reshape(1, 640)) for w in windows]
    rng = np.random.default_rng(1002)
    inputs += [rng.integers(-128, 128, size=(1, 640)).astype(np.int8) for _ in range(N_RANDOM)]
    ours, tflm = _run_and_compare(tool, tmp_path, model, inputs, "ad")
    with capsys.disabled():
        print(
            f"\nAD arena: hilbench-rt {ours:,} bytes, tflite-micro {tflm:,} bytes "
            f"(host), {TFLM_ARENA['ad']:,} (DUT)"
        )
    assert tflm is not None and ours <= min(tflm, TFLM_ARENA["ad"]), (ours, tflm)

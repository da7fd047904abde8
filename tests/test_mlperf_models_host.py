"""The MLPerf Tiny KWS and VWW models on hilbench-rt (host build) against tflite-micro.

Needs `../shared/models/mlperf-tiny/` (and `../shared/datasets/` for the KWS vectors);
skips with the reason where they are absent. Runs the sanitizer build of
`firmware/build/tools/hil-rt-run` (all vectors of a test in one process) and requires the
output bytes to equal tflite-micro's for: the shared KWS sample, every kws01 test vector,
and seeded random inputs of both models. Also requires hilbench-rt's arena (planned
activations + per-op state) to be no larger than tflite-micro's for the same model.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT / "firmware" / "build" / "tools" / "hil-rt-run"
CHUNK = 250  # vectors per tool process (keeps the command line short)
SANITIZER_MARKS = ("Sanitizer", "runtime error:", "LeakSanitizer")
N_RANDOM = 20

pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
from hilbench.models.reference import ReferenceInterpreter  # noqa: E402

# model file, and tflite-micro's arena for it as measured when this runtime was written
# (RecordingMicroAllocator total): hilbench-rt must not need more
MODELS = {
    "kws": ("kws_ref_model.tflite", 22_772),
    "vww": ("vww_96_int8.tflite", 100_660),
}


@pytest.fixture(scope="module")
def tool() -> Path:
    if shutil.which("make") is None or shutil.which("cc") is None:
        pytest.skip("no C toolchain (make, cc)")
    proc = subprocess.run(
        ["make", "-s", "-C", str(ROOT / "firmware" / "tools")], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return TOOL


@pytest.fixture(scope="module", params=list(MODELS))
def model(request) -> tuple[str, Path, ReferenceInterpreter]:
    name = request.param
    path = shared_path("models", "mlperf-tiny", MODELS[name][0])
    return name, path, ReferenceInterpreter(path)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "abort_on_error=0:exitcode=99:detect_leaks=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=98"
    return env


def run_tool(tool: Path, tmp: Path, model: Path, inputs: list[Path]) -> tuple[list[bytes], int]:
    """Run the model on every input file; return the outputs and the arena_used reported."""
    outs: list[bytes] = []
    arena = set()
    for start in range(0, len(inputs), CHUNK):
        args, paths = [], []
        for i, inp in enumerate(inputs[start : start + CHUNK], start):
            op = tmp / f"out{i:05d}.bin"
            args += [str(model), str(inp), str(op)]
            paths.append(op)
        proc = subprocess.run([str(tool), *args], capture_output=True, text=True, timeout=600, env=_env())
        for mark in SANITIZER_MARKS:
            assert mark not in proc.stderr, proc.stderr[-3000:]
        assert proc.returncode == 0, (proc.stdout[-1000:], proc.stderr[-2000:])
        lines = proc.stdout.splitlines()
        assert len(lines) == len(paths), proc.stdout[-1000:]
        for line, op in zip(lines, paths):
            m = re.fullmatch(r"arena_used=(\d+) ops=\d+", line)
            assert m, line
            arena.add(int(m[1]))
            outs.append(op.read_bytes())
    assert len(arena) == 1, arena
    return outs, arena.pop()


def check_bit_exact(tool, tmp, path, ref: ReferenceInterpreter, inputs: list[Path]) -> int:
    outs, arena = run_tool(tool, tmp, path, inputs)
    bad = []
    for inp, out in zip(inputs, outs):
        want = ref.run(inp.read_bytes())[0].tobytes()
        if out != want:
            bad.append(f"{inp.name}: got {list(out)} want {list(want)}")
    assert not bad, f"{len(bad)} of {len(inputs)} inputs differ:\n" + "\n".join(bad[:10])
    return arena


def _random_inputs(tmp: Path, name: str, nbytes: int) -> list[Path]:
    rng = np.random.default_rng(sum(map(ord, name)))
    vectors = [rng.integers(-128, 128, nbytes, dtype=np.int8) for _ in range(N_RANDOM)]
    # and a few structured ones: constant extremes, a ramp
    vectors += [
        np.full(nbytes, -128, np.int8),
        np.full(nbytes, 127, np.int8),
        (np.arange(nbytes) % 256 - 128).astype(np.int8),
    ]
    paths = []
    for i, v in enumerate(vectors):
        p = tmp / f"{name}_rand{i:03d}.bin"
        p.write_bytes(v.tobytes())
        paths.append(p)
    return paths


def test_random_inputs_bit_exact(tool, tmp_path, model):
    name, path, ref = model
    inputs = _random_inputs(tmp_path, name, ref.inputs[0].nbytes)
    if name == "kws":
        inputs.append(shared_path("datasets", "samples", "kws01", "kws_input_data_embedded.bin"))
    check_bit_exact(tool, tmp_path, path, ref, inputs)


def test_arena_not_larger_than_tflite_micro(tool, tmp_path, model):
    name, path, ref = model
    inputs = _random_inputs(tmp_path, name, ref.inputs[0].nbytes)[:1]
    _, ours = run_tool(tool, tmp_path, path, inputs)
    tflm = ref.arena_used_bytes
    documented = MODELS[name][1]
    print(f"{name}: hilbench-rt arena {ours} bytes, tflite-micro {tflm} (documented {documented})")
    assert ours <= documented, (ours, documented)
    if tflm is not None:
        assert ours <= tflm, (ours, tflm)


def test_kws01_all_vectors_bit_exact(tool, tmp_path):
    path = shared_path("models", "mlperf-tiny", MODELS["kws"][0])
    vectors = sorted(shared_path("datasets", "kws01").glob("*.bin"))
    assert len(vectors) == 1000
    check_bit_exact(tool, tmp_path, path, ReferenceInterpreter(path), vectors)

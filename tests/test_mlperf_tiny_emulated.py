"""MLPerf Tiny interoperability on an emulated board (issue [7/12] acceptance).

hilbench's firmware on QEMU mps2-an386, MLPerf Tiny's KWS model written to its flash
model partition by QEMU as flasher, driven over the pty by hilbench's MLPerf Tiny link
driver: accuracy on all of kws01, performance windows on the DUT's timer, recovery from a
corrupted hex line, the same board reached as a "real" serial board (kind = "mcu"), and
the command line.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hilbench.config import BoardConfig, load_boards
from hilbench.mlperf_tiny.device import MlperfTinyDevice
from hilbench.link.transport import Transport
from hilbench.mlperf_tiny.runner import run_mlperf
from tests.clihelp import ROOT, assert_one_line_error, run_cli
from tests.conftest import need_tool, shared_path

pytestmark = pytest.mark.emulated

BOARD = "mps2-an386-mlperf"


@pytest.fixture(scope="module")
def kws() -> tuple[Path, Path]:
    need_tool("qemu-system-arm")
    return shared_path("models", "mlperf-tiny", "kws_ref_model.tflite"), shared_path("datasets", "kws01")


def _board(model: Path, **update: object) -> BoardConfig:
    b = load_boards(ROOT / "boards.toml").get(BOARD)
    return b.model_copy(update=dict(model=str(model), **update))


@pytest.mark.timeout(1500)  # 2 x 1000 inferences over an emulated UART (about 4 min on a quiet machine)
def test_accuracy_902_and_the_same_predictions_as_hilbench_protocol(
    tmp_path: Path, kws: tuple[Path, Path]
) -> None:
    model, data = kws
    run = run_mlperf(_board(model), "accuracy", data, results_dir=tmp_path)
    assert run.model_id == "kws01" and len(run.rows) == 1000
    assert run.accuracy is not None
    assert f"{run.accuracy.top1_ties_correct:.1f}" == "90.2" and run.accuracy.tied == 3
    assert f"{run.accuracy.top1:.1f}" == "90.1"
    assert (
        "ulp-mlperf: Top 1% = 90.1" in run.results_txt.read_text()
    )  # the official runner's figure (tie rule)  # type: ignore[union-attr]
    assert all(r["bit_exact"] for r in run.rows)  # printed outputs == tflite-micro's, every file
    assert all(
        r["emulated"] and r["timing_source"] == "qemu_icount" and r["latency_us"] > 0 for r in run.rows
    )

    # The same board over hilbench's own protocol: the very same predictions, file by file.
    from hilbench.runner import BenchRequest, jobs_for_request, run_jobs

    jobs = jobs_for_request(
        BenchRequest(
            board="mps2-an386",
            model=model,
            dataset=data,
            boards_file=ROOT / "boards.toml",
            warmup=0,
            profile=False,
        )
    )
    own = run_jobs(jobs, tmp_path)
    assert not own.errors
    ours = {
        r["sample_id"]: r["prediction"] for r in own.rows if r["phase"] == "measure" and r["window"] is None
    }
    theirs = {r["sample_id"]: r["prediction"] for r in run.rows}
    assert ours == theirs
    # One time base: the same microseconds in both protocols (MLPerf's lap includes the
    # command's own few thousand instructions, hence the 1 %).
    import statistics

    ours_us = statistics.median(
        r["latency_us"] for r in own.rows if r["phase"] == "measure" and r["window"] is None
    )
    theirs_us = statistics.median(r["latency_us"] for r in run.rows)
    assert abs(theirs_us - ours_us) / ours_us < 0.01, (theirs_us, ours_us)
    assert {r["timing_source"] for r in own.rows} == {"qemu_icount"}


def test_performance_median_throughput_on_the_dut_timer(tmp_path: Path, kws: tuple[Path, Path]) -> None:
    model, data = kws
    run = run_mlperf(_board(model), "performance", data, results_dir=tmp_path, min_window_s=0.2)
    assert len(run.windows) == 5 and all(w.elapsed_us >= 200_000 for w in run.windows)
    # ~5.6 M instructions per KWS inference, at the board's nominal 25 MHz: ~223,500 µs,
    # hilbench protocol's figure for the same board (one time base per board).
    per_inf = [w.elapsed_us / w.count for w in run.windows]
    assert all(160_000 < us < 320_000 for us in per_inf), per_inf
    m = re.search(r"Median throughput is\s+([0-9.]+) inf\./sec\.", run.results_txt.read_text())  # type: ignore[union-attr]
    if run.error is None:  # the loop lasted >= 10 s of host wall time (else the runner's ERROR 2)
        assert m and 3.0 < float(m.group(1)) < 6.5
    else:
        assert run.error.startswith("ERROR 2") and m is None
    from hilbench.mlperf_tiny import scoring

    assert 3.0 < scoring.median_throughput(run.windows) < 6.5


class _NoisyLine:
    """A transport between the driver and the DUT that spoils what `spoil` says."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.name = inner.name
        self.seen = 0

    def spoil(self, data: bytes) -> bytes | None:
        return data

    def write(self, data: bytes) -> None:
        out = self.spoil(data)
        if out is not None:
            self.inner.write(out)

    def read(self, timeout: float) -> bytes:
        return self.inner.read(timeout)

    def close(self) -> None:
        self.inner.close()


class _CorruptOneHexLine(_NoisyLine):
    """Corrupts one byte of the n-th `db <hex>` line on its way to the DUT."""

    def __init__(self, inner: Transport, nth: int, replacement: bytes | None) -> None:
        super().__init__(inner)
        self.nth, self.replacement = nth, replacement
        self.corrupted = 0

    def spoil(self, data: bytes) -> bytes | None:
        if data.startswith(b"db ") and not data.startswith((b"db load", b"db print")):
            self.seen += 1
            if self.seen == self.nth:
                pos = 3 + 7  # the 8th hex digit of the line
                new = self.replacement
                if new is None:  # another valid hex digit: only a read-back can see it
                    new = b"1" if data[pos : pos + 1] == b"0" else b"0"
                assert new != data[pos : pos + 1]
                data = data[:pos] + new + data[pos + 1 :]
                self.corrupted += 1
        return data


class _NoisyDevice(MlperfTinyDevice):
    def __init__(self, board: BoardConfig, nth: int, replacement: bytes | None) -> None:
        super().__init__(board)
        self.nth, self.replacement = nth, replacement
        self.noisy: _CorruptOneHexLine | None = None

    def _start(self) -> Transport:
        self.noisy = _CorruptOneHexLine(super()._start(), self.nth, self.replacement)
        return self.noisy


@pytest.mark.parametrize(
    "replacement, what", [(b"g", "invalid hex digit"), (b"%", "line cut short"), (None, "still valid hex")]
)
def test_one_corrupted_hex_line_is_recovered(
    tmp_path: Path, kws: tuple[Path, Path], replacement: bytes | None, what: str
) -> None:
    """The official runner aborts on the DUT's e-[...]; hilbench loads the input again.
    A corruption that is still valid hex is only visible in the read-back (`db print%`)."""
    model, data = kws
    board = _board(model, hex_chunk_bytes=31)
    dev = _NoisyDevice(board, nth=7, replacement=replacement)
    run = run_mlperf(board, "accuracy", data, results_dir=tmp_path, limit=5, device=dev)
    assert dev.noisy is not None and dev.noisy.corrupted == 1
    assert all(r["bit_exact"] for r in run.rows), what
    assert len(run.rows) == 5
    assert dev.stats is not None and dev.stats.reloads == 1
    if what != "still valid hex":
        assert dev.stats.dut_errors, "the DUT should have answered the corrupted line with e-[...]"
    assert " ulp-mlperf: Top 1% = " in run.meta["mlperf_tiny"]["results_txt"][-2]


class _SpoilOneInfer(_NoisyLine):
    """The n-th `infer` is garbled (the DUT answers e-[Unknown command]) or lost
    entirely (no answer, no m-ready)."""

    def __init__(self, inner: Transport, nth: int, how: str) -> None:
        super().__init__(inner)
        self.nth, self.how = nth, how

    def spoil(self, data: bytes) -> bytes | None:
        if data.startswith(b"infer"):
            self.seen += 1
            if self.seen == self.nth:
                return None if self.how == "lost" else b"infxr" + data[5:]
        return data


class _SpoiledInferDevice(MlperfTinyDevice):
    def __init__(self, board: BoardConfig, how: str) -> None:
        super().__init__(board)
        self.how = how

    def _start(self) -> Transport:
        return _SpoilOneInfer(super()._start(), 2, self.how)


@pytest.mark.parametrize("how", ["garbled", "lost"])
def test_a_spoiled_infer_command_is_run_again(tmp_path: Path, kws: tuple[Path, Path], how: str) -> None:
    model, data = kws
    board = _board(model)
    dev = _SpoiledInferDevice(board, how)
    run = run_mlperf(board, "accuracy", data, results_dir=tmp_path, limit=4, device=dev)
    assert len(run.rows) == 4 and all(r["bit_exact"] for r in run.rows)
    assert dev.stats is not None and dev.stats.reruns == 1


class _ResetDuringInfer(_NoisyLine):
    """Writes the n-th `infer`, then resets the board (QEMU's system_reset over QMP: the
    firmware reboots, as a real board does on a brown-out or a watchdog)."""

    def __init__(self, inner: Transport, nth: int, reset) -> None:  # type: ignore[no-untyped-def]
        super().__init__(inner)
        self.nth, self.reset = nth, reset

    def write(self, data: bytes) -> None:
        self.inner.write(data)
        if data.startswith(b"infer"):
            self.seen += 1
            if self.seen == self.nth:
                self.reset()


class _ResetDevice(MlperfTinyDevice):
    def _start(self) -> Transport:
        inner = super()._start()
        qemu = self._emulated.qemu  # type: ignore[union-attr]
        return _ResetDuringInfer(inner, 3, lambda: qemu._qmp("system_reset"))


def test_a_dut_that_restarts_mid_inference_is_resynchronised(tmp_path: Path, kws: tuple[Path, Path]) -> None:
    model, data = kws
    board = _board(model)
    dev = _ResetDevice(board)
    run = run_mlperf(board, "accuracy", data, results_dir=tmp_path, limit=5, device=dev)
    assert len(run.rows) == 5 and all(r["bit_exact"] for r in run.rows)
    assert dev.stats is not None and dev.stats.reruns == 1
    assert dev.stats.restarts >= 1  # seen as a restart (its BOOT frame), not waited out as a timeout


def test_real_board_path_on_the_qemu_pty_and_boards_probe(tmp_path: Path, kws: tuple[Path, Path]) -> None:
    """kind = "mcu": nothing flashed, only a serial port: here the pty of a QEMU board that
    was started with the model in its partition (the same bytes a USB UART carries)."""
    model, data = kws
    with MlperfTinyDevice(_board(model)) as emu:
        emu._start()  # QEMU up, nothing sent yet
        assert emu._emulated is not None and emu._emulated.qemu is not None
        pty = emu._emulated.qemu.pty
        toml = tmp_path / "boards.toml"
        toml.write_text(
            '[boards.bench-kws]\nkind = "mcu"\nprotocol = "mlperf-tiny"\ncore = "cortex-m4f"\n'
            f'clock_hz = 25_000_000\nport = "{pty}"\nhex_chunk_bytes = 64\n'
            'description = "an MLPerf Tiny board on a serial port"\n'
        )
        board = load_boards(toml).get("bench-kws")
        run = run_mlperf(board, "accuracy", data, results_dir=tmp_path, limit=8)
        assert run.model_id == "kws01" and len(run.rows) == 8
        assert all(r["device_kind"] == "mcu" and r["runtime"] == "hilbench-rt" for r in run.rows)
        assert all(r["bit_exact"] is None for r in run.rows)  # no model file given: nothing to compare with
        r = run_cli("boards", "--boards", str(toml))
        assert r.code == 0, r.stderr
        row = next(ln for ln in r.stdout.splitlines() if "bench-kws" in ln)
        assert "kws01" in row and "mlperf-tiny" in row and "yes" in row


def test_cli_modes_and_one_line_errors(tmp_path: Path, kws: tuple[Path, Path]) -> None:
    model, data = kws
    r = run_cli(
        "run",
        "-b",
        BOARD,
        "--mlperf-tiny",
        "accuracy",
        "-d",
        str(data),
        "--limit",
        "10",
        "--results-dir",
        str(tmp_path),
        "--no-report",
    )
    assert r.code == 0, r.stderr
    assert "Top 1% = " in r.stdout and "results.txt:" in r.stdout
    txt = next(tmp_path.glob("*/mlperf/open/hilbench/results/*/kws/accuracy/results.txt"))
    assert "Top 1% = " in txt.read_text()
    assert_one_line_error(
        run_cli("run", "-b", BOARD, "-d", str(data), "--results-dir", str(tmp_path)),
        "MLPerf Tiny protocol",
        "--mlperf-tiny",
    )
    assert_one_line_error(
        run_cli(
            "run", "-b", BOARD, "--mlperf-tiny", "energy", "-d", str(data), "--results-dir", str(tmp_path)
        ),
        "energy",
    )
    assert_one_line_error(
        run_cli(
            "run",
            "-b",
            "mps2-an386",
            "--mlperf-tiny",
            "accuracy",
            "-d",
            str(data),
            "--results-dir",
            str(tmp_path),
        ),
        "mps2-an386",
        "mlperf-tiny",
    )
    # A dataset of another benchmark: one line naming the file, and no results directory.
    ad = shared_path("datasets", "samples", "ad01")
    before = set(tmp_path.iterdir())
    assert_one_line_error(
        run_cli(
            "run", "-b", BOARD, "--mlperf-tiny", "accuracy", "-d", str(ad), "--results-dir", str(tmp_path)
        ),
        "ad01",
        "kws01",
    )
    assert set(tmp_path.iterdir()) == before


@pytest.mark.parametrize("base", ["netduinoplus2", "mps2-an500", "riscv32-virt", "mps3-an547"])
def test_ic_uint8_image_on_other_boards_matches_tflite_micro(base: str) -> None:
    """The MLPerf Tiny mode on the other cores (192 KiB STM32F405 with the model in its
    flash partition, RISC-V, Cortex-M55/MVE): an IC uint8 RGB image, which the firmware turns
    into the int8 model input by subtracting 128; printed scores equal tflite-micro's."""
    import numpy as np

    from hilbench.mlperf_tiny.runner import _Reference

    b = load_boards(ROOT / "boards.toml").get(base)
    need_tool(b.qemu.binary)  # type: ignore[union-attr]
    model = shared_path("models", "mlperf-tiny", "pretrainedResnet_quant.tflite")
    image = shared_path("datasets", "samples", "ic01", "ic_inputs_embedded.bin").read_bytes()
    board = b.model_copy(update=dict(name=f"{base}-mlperf", protocol="mlperf-tiny", model=str(model)))
    ref = _Reference(model, "ic01")
    expect = ref.run((np.frombuffer(image, np.uint8).astype(np.int16) - 128).astype(np.int8).tobytes())
    with MlperfTinyDevice(board) as dev:
        dev.open()
        assert dev.model_id == "ic01"
        r = dev.run(image, 2, 1)
        assert ref.requantize(r.results) == expect.astype(np.int8).tobytes()
        assert r.elapsed_us > 0

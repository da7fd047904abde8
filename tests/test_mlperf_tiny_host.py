"""MLPerf Tiny interoperability without an emulator: the scoring rules, the driver's parsing
and wrap handling, and the whole driver + modes against the host build of hilbench's
firmware in its MLPerf Tiny mode (real firmware bytes over stdin/stdout, under ASan/UBSan).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hilbench.config import BoardConfig
from hilbench.errors import HilbenchError
from hilbench.mlperf_tiny.link import InferResult, MlperfTinyError, _bracket, _floats
from hilbench.mlperf_tiny import scoring
from hilbench.mlperf_tiny.runner import run_mlperf
from tests.conftest import shared_path


def test_elapsed_handles_one_wrap_of_the_32_bit_us_timer() -> None:
    r = InferResult(10, 0, 0xFFFF_FF00, 0x0000_0100, (0.1,), "0.100")
    assert r.elapsed_us == 0x200 and r.latency_us == 0x200 / 10
    assert InferResult(1, 0, 5, 17, (1.0,), "1.000").elapsed_us == 12


def test_parsing_helpers() -> None:
    assert _bracket(["m-x", "m-model-[kws01]"], "m-model-") == "kws01"
    assert _bracket(["m-name-dut-[acme [v2]]"], "m-name-dut-") == "acme [v2]"
    assert _floats("0.000,0.996, 0.004", "infer") == (0.0, 0.996, 0.004)
    with pytest.raises(MlperfTinyError, match="unreadable results"):
        _floats("0.1,abc", "infer")
    with pytest.raises(MlperfTinyError):
        _floats("", "infer")


def test_top1_is_the_runners_argmax_and_ties_are_a_separate_fact() -> None:
    scores = [(0.1, 0.9, 0.0), (0.5, 0.5, 0.0), (0.5, 0.5, 0.0), (0.0, 0.2, 0.8)]
    acc = scoring.accuracy(scores, [1, 1, 0, 1])
    assert acc.n == 4 and acc.tied == 2
    assert acc.top1 == pytest.approx(50.0)  # files 0, 2: argmax, the lowest index wins a tie
    assert acc.top1_ties_correct == pytest.approx(75.0)  # files 0, 1 (tie), 2 (tie)
    lines = scoring.accuracy_lines(acc.top1, acc.auc)
    assert lines[0].endswith(" ulp-mlperf: Top 1% = 50.0") and " ulp-mlperf: AUC = " in lines[1]


def test_median_throughput_and_performance_lines() -> None:
    ws = [scoring.Window(100, 10_000_000), scoring.Window(100, 12_500_000), scoring.Window(100, 8_000_000)]
    assert scoring.median_throughput(ws) == pytest.approx(10.0)
    lines = scoring.performance_lines(ws, None)
    assert lines[0] == "Performance results for window 1" and "    Runtime: 12.5 sec." in lines
    assert lines.count("    Runtime requirements have been met.") == 1  # only the 12.5 s window is > 10 s
    assert lines[-2].endswith(" ulp-mlperf: Median throughput is     10.000 inf./sec.")
    assert scoring.performance_lines(ws, scoring.ERROR_1)[-1].endswith(
        " ulp-mlperf: ERROR 1 - loop_count was not exactly 5."
    )
    assert scoring.performance_error(3, 20.0) == scoring.ERROR_1
    assert scoring.performance_error(5, 9.9) == scoring.ERROR_2 and scoring.performance_error(5, 10.0) is None
    assert scoring.Window(5, 0).throughput == 0


def test_ad_file_scores_and_auc() -> None:
    ad = scoring.ad_result([("n1", 0, 1.0), ("n1", 0, 3.0), ("a1", 1, 5.0), ("n2", 0, 4.0), ("a2", 1, 3.5)])
    assert ad.file_scores == {"n1": 2.0, "a1": 5.0, "n2": 4.0, "a2": 3.5}
    assert ad.auc == pytest.approx(0.75)  # a1 beats both normals; a2 beats n1 only
    assert ad.segments == {"n1": 2, "a1": 1, "n2": 1, "a2": 1}
    assert scoring.ad_result([("n1", 0, 1.0)]).auc is None


def _native(tmp_path: Path, model: Path, **extra: object) -> BoardConfig:
    return BoardConfig(
        name="host-mlperf",
        kind="native",
        protocol="mlperf-tiny",
        core="host",
        clock_hz=1_000_000_000,
        firmware="host",
        model=str(model),
        **extra,
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def kws_model() -> Path:
    return shared_path("models", "mlperf-tiny", "kws_ref_model.tflite")


def test_native_accuracy_matches_tflite_micro_and_writes_the_session(tmp_path: Path, kws_model: Path) -> None:
    kws = shared_path("datasets", "kws01")
    run = run_mlperf(_native(tmp_path, kws_model), "accuracy", kws, results_dir=tmp_path, limit=40)
    assert run.model_id == "kws01" and len(run.rows) == 40
    assert all(r["bit_exact"] for r in run.rows), [r["sample_id"] for r in run.rows if not r["bit_exact"]]
    assert all(r["timing_source"] == "dut_timer_us" and r["output_text"] for r in run.rows)
    assert run.accuracy is not None and run.accuracy.n == 40
    text = run.results_txt.read_text()  # type: ignore[union-attr]
    assert f"ulp-mlperf: Top 1% = {run.accuracy.top1:.1f}" in text
    assert run.session_dir is not None and {p.name for p in run.session_dir.iterdir()} == {
        "log.txt",
        "results.txt",
        "results.json",
    }
    assert (run.run_dir / "samples.parquet").is_file()


def test_native_chunk_sizes_and_verify_give_the_same_outputs(tmp_path: Path, kws_model: Path) -> None:
    """31-byte chunks (official), one-byte chunks, and the DUT's largest line all load the
    same input; the read-back check passes."""
    from hilbench.mlperf_tiny.device import MlperfTinyDevice
    from hilbench.mlperf_tiny.inputs import load_mlperf_dataset

    data = load_mlperf_dataset(shared_path("datasets", "kws01"), "kws01", limit=2)
    texts = []
    for chunk in (None, 31, 1):
        board = _native(tmp_path, kws_model, hex_chunk_bytes=chunk, verify_load=True)
        with MlperfTinyDevice(board, sanitize=True) as dev:
            dev.open()
            assert dev.identity is not None and dev.identity.is_hilbench
            for v in data.vectors:
                dev.load(data.wire_bytes(v))
                texts.append(dev.infer(1, 0).results_text)
            assert dev.link is not None and dev.link.stats.reloads == 0
            if chunk is None:
                assert dev.link.effective_chunk() > 31
    assert texts[0:2] == texts[2:4] == texts[4:6]


def test_native_performance_windows_on_the_dut_timer(tmp_path: Path, kws_model: Path) -> None:
    run = run_mlperf(
        _native(tmp_path, kws_model),
        "performance",
        shared_path("datasets", "kws01"),
        results_dir=tmp_path,
        windows=3,
        min_window_s=0.02,
        warmup=1,
    )
    assert len(run.windows) == 3 and all(w.elapsed_us >= 20_000 for w in run.windows)
    assert [r["window"] for r in run.rows] == [0, 1, 2]
    assert [r["sample_id"] for r in run.rows] == [v for v in dict.fromkeys(r["sample_id"] for r in run.rows)]
    assert run.lines[-1].endswith("ERROR 1 - loop_count was not exactly 5.")  # 3 windows, not 5


def test_native_ad_window_scores_match_the_host(tmp_path: Path) -> None:
    ad_model = shared_path("models", "mlperf-tiny", "ad01_int8.tflite")
    ad_dir = shared_path("datasets", "samples", "ad01")
    run = run_mlperf(_native(tmp_path, ad_model), "accuracy", ad_dir, results_dir=tmp_path, limit=12)
    assert run.model_id == "ad01" and len(run.rows) == 12
    assert all(r["bit_exact"] for r in run.rows)  # printed score within 1.5e-3 of the float64 host score
    assert run.ad is not None and run.ad.auc is None  # one normal file: no AUC
    scores = np.array([r["score"] for r in run.rows])
    assert np.all(scores > 0)
    assert "AUC = n/a" in run.lines[-1]
    entries = __import__("json").loads(run.session_dir.joinpath("results.json").read_text())  # type: ignore[union-attr]
    assert {e["total_length"] for e in entries} == {12} and entries[0]["bytes_to_send"] == "2560"


def test_wrong_protocol_and_unknown_mode_are_one_line_errors(tmp_path: Path, kws_model: Path) -> None:
    board = BoardConfig(name="host", kind="native", core="host", clock_hz=1, firmware="host")
    with pytest.raises(HilbenchError, match='protocol = "mlperf-tiny"'):
        run_mlperf(board, "accuracy", tmp_path)
    with pytest.raises(HilbenchError, match="energy-monitor issue"):
        run_mlperf(_native(tmp_path, kws_model), "energy", tmp_path)


def test_a_physical_board_held_by_another_process_is_waited_for_then_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kind = "mcu" is one physical device: `hilbench run` takes its lock (as the pytest
    plugin does) and, when another process keeps it, says who after HILBENCH_LOCK_TIMEOUT."""
    import subprocess
    import sys

    from hilbench.locks import LockTimeout, lock_key

    port = tmp_path / "ttyACM9"
    port.write_text("")
    board = BoardConfig(
        name="bench-kws", kind="mcu", protocol="mlperf-tiny", core="cortex-m4f", clock_hz=1, port=str(port)
    )
    monkeypatch.setenv("HILBENCH_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("HILBENCH_LOCK_TIMEOUT", "0.5")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from hilbench.locks import BoardLock; "
            f"lk = BoardLock({lock_key(board)!r}, owner='nightly job'); lk.acquire(); print('held', flush=True); "
            "time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(__import__("os").environ),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(LockTimeout, match="nightly job"):
            run_mlperf(board, "accuracy", tmp_path, results_dir=tmp_path)
    finally:
        holder.kill()
        holder.wait()


def test_hilbench_firmware_lines_parse_as_the_official_runner_parses_them(
    tmp_path: Path, kws_model: Path
) -> None:
    """The official runner (mlcommons/tiny benchmark/runner) sends `cmd%`, reads lines up to
    `m-ready`, and matches whole lines: name `^m-name-dut-\\[([^]]+)]$`, profile/model
    `^m-(model|profile)-\\[([^]]+)]$`, results `^m-results-\\[([^]]+)\\]$` (floats split on
    ','), and takes the first `^m-lap-us-([0-9]+)$` of an infer as start, the second as end.
    hilbench firmware's answers must satisfy exactly that, with 31-byte hex lines."""
    import re

    from hilbench.mlperf_tiny.device import MlperfTinyDevice
    from hilbench.mlperf_tiny.inputs import load_mlperf_dataset

    data = load_mlperf_dataset(shared_path("datasets", "kws01"), "kws01", limit=1)
    with MlperfTinyDevice(
        _native(tmp_path, kws_model, hex_chunk_bytes=31, verify_load=False), sanitize=True
    ) as dev:
        dev.open()
        link = dev.link
        assert link is not None
        assert any(re.match(r"^m-(name)-dut-\[([^]]+)]$", ln) for ln in link.command("name"))
        prof = {
            m.group(1): m.group(2)
            for ln in link.command("profile")
            if (m := re.match(r"^m-(model|profile)-\[([^]]+)]$", ln))
        }
        assert prof == {"profile": "ULPMark for tinyML Firmware V0.0.1", "model": "kws01"}
        wire = data.wire_bytes(data.vectors[0])
        link.command(f"db load {len(wire)}")
        last: list[str] = []
        for i in range(0, len(wire), 31):
            last = link.command("db " + "".join(f"{d:02x}" for d in wire[i : i + 31]))
        assert "m-load-done" in last
        lines = link.command("infer 3 0")
        laps = [int(m.group(1)) for ln in lines if (m := re.match(r"^m-lap-us-([0-9]+)$", ln))]
        assert len(laps) == 2 and laps[1] >= laps[0]
        res = [m.group(1) for ln in lines if (m := re.match(r"^m-results-\[([^]]+)\]$", ln))]
        assert len(res) == 1
        values = [float(x) for x in res[0].split(",") if x.strip()]
        assert len(values) == 12 and all(re.fullmatch(r"-?\d+\.\d{3}", x) for x in res[0].split(","))


def test_emulated_caveats_name_what_the_figures_are() -> None:
    """An emulated MLPerf Tiny DUT's µs are its timer on QEMU virtual time, not instruction
    counts at a nominal clock; neither is ever called silicon time."""
    from hilbench.report.caveats import emulated_note, emulated_short

    icount = emulated_note("qemu_icount", "25 MHz")
    dut = emulated_note("dut_timer_us", "25 MHz")
    assert "instruction counts" in icount and "25 MHz" in icount
    assert "virtual time" in dut and "instruction counts" not in dut and "nominal" not in dut
    for text in (icount, dut, emulated_short("qemu_icount"), emulated_short("dut_timer_us")):
        assert "not silicon time" in text


def test_an_interrupted_session_keeps_its_rows_as_a_partial_run(tmp_path: Path, kws_model: Path) -> None:
    """SIGTERM (hilbench.signals.Interrupted) after 5 files: the 5 rows are on disk and the
    run says partial, naming the signal; never a complete run or a lost night."""
    import signal

    import hilbench.results as hr
    from hilbench.mlperf_tiny.device import MlperfTinyDevice
    from hilbench.results.store import load_events, read_meta
    from hilbench.signals import Interrupted

    board = _native(tmp_path, kws_model)

    class StopsAfterFive(MlperfTinyDevice):
        calls = 0

        def run(self, data: bytes, count: int = 1, warmup: int | None = 0):  # type: ignore[no-untyped-def]
            StopsAfterFive.calls += 1
            if StopsAfterFive.calls > 5:
                raise Interrupted(signal.SIGTERM)
            return super().run(data, count, warmup)

    with pytest.raises(Interrupted):
        run_mlperf(
            board,
            "accuracy",
            shared_path("datasets", "kws01"),
            results_dir=tmp_path,
            limit=20,
            device=StopsAfterFive(board),
        )
    (run_dir,) = [d for d in tmp_path.iterdir() if (d / "run.json").is_file()]
    meta = read_meta(run_dir)
    assert meta["status"] == "partial" and meta["interrupted"] == "SIGTERM", meta
    rows = hr.load(run_dir.name, tmp_path, partial=True)
    assert len(rows) == 5 and rows["bit_exact"].all()
    assert "interrupted" in load_events(run_dir.name, tmp_path)["kind"].tolist()

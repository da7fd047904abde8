"""Issue [8/15] acceptance on real components: a noisy line between hilbench and an
emulated board changes nothing measured.

`hilbench serve mps2-an386` (our firmware under QEMU) + `hilbench proxy` corrupting and
dropping bytes both ways + a `kind = "mcu"` board on the proxy's pty, then `hilbench run`
of MLPerf Tiny's KWS model on kws01: every sample is there once, with the outputs, the
predictions and the instruction counts of a run on a clean line. The full 1000-vector
runs (about 10 minutes at 1 %) are `benchmarks/link_faults.py`; here a prefix of kws01.
And the MLPerf Tiny text protocol (whose official runner fails on one lost hex digit)
either gives the clean predictions or stops with one clear error: never a wrong answer.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pandas as pd
import pytest

from hilbench.config import BoardConfig, load_boards
from hilbench.mlperf_tiny.device import MlperfTinyDevice
from hilbench.errors import HilbenchError
from hilbench.faults.inject import Direction, FaultInjector, FaultSpec
from hilbench.faults.transport import FaultyTransport
from hilbench.link.transport import Transport
from hilbench.mlperf_tiny.runner import run_mlperf
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool, shared_path
from tests.serving import Child, mcu_boards, served

pytestmark = pytest.mark.emulated

VECTORS = 40


@pytest.fixture(scope="module")
def kws() -> tuple[Path, Path]:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    return shared_path("models", "mlperf-tiny", "kws_ref_model.tflite"), shared_path("datasets", "kws01")


@pytest.fixture(scope="module")
def board():  # type: ignore[no-untyped-def]
    with served("mps2-an386") as serve:
        yield serve


def kws_run(results: Path, kws: tuple[Path, Path], *board: str) -> tuple[pd.DataFrame, str]:
    """All rows of a KWS run (indexed by phase, window, sample, iteration) and its stderr."""
    import hilbench.results
    from tests.test_run import run_id_from

    model, data = kws
    r = run_cli(
        "run",
        *board,
        "--model",
        str(model),
        "--dataset",
        str(data),
        "--limit",
        str(VECTORS),
        "--no-report",
        "--results-dir",
        str(results),
        timeout=900,
    )
    assert r.code == 0, r.stdout + r.stderr
    df = hilbench.results.load(run_id_from(r.stdout), results)
    df = (
        df.assign(window=df["window"].fillna(-1))
        .set_index(["phase", "window", "sample_id", "iteration"])
        .sort_index()
    )
    return df, r.stderr


@pytest.fixture(scope="module")
def clean(kws, tmp_path_factory):  # type: ignore[no-untyped-def]
    return kws_run(
        tmp_path_factory.mktemp("clean"), kws, "--board", "mps2-an386", "--boards", str(ROOT / "boards.toml")
    )[0]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("corrupt,drop", [("0.01", "0.001"), ("0.001", "0.0001")])
def test_kws_through_a_noisy_line_measures_what_a_clean_line_does(
    corrupt: str, drop: str, kws, board, clean, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    proxy = Child(
        "proxy",
        "--to",
        board.address,
        "--corrupt",
        corrupt,
        "--drop",
        drop,
        "--seed",
        "5",
        prefix="hilbench proxy: listening on /dev/pts/",
    )
    try:
        via, err = kws_run(
            tmp_path, kws, "--board", "bench-mcu", "--boards", str(mcu_boards(tmp_path, proxy.address))
        )
        code, out, perr = proxy.stop(signal.SIGTERM)
    finally:
        proxy.kill()
    assert code == 0, perr
    counters = json.loads(out.strip().splitlines()[-1].split("counters ", 1)[1])
    assert counters["to_board"]["corrupted"] > 0 and counters["to_host"]["corrupted"] > 0, counters
    assert counters["to_board"]["dropped"] > 0, counters
    # Not a sample lost or duplicated, anywhere (warm-up, measured, performance windows).
    assert not via.index.duplicated().any()
    assert list(via.index) == list(clean.index)
    assert (
        (via.board == "bench-mcu").all() and via.emulated.all() and (via.timing_source == "qemu_icount").all()
    )
    for col in ("output", "prediction", "cycles"):
        assert via[col].tolist() == clean[col].tolist(), col
    assert via.bit_exact.dropna().all()
    # ...and the run says what the line cost.
    assert "link: bench-mcu" in err and "frame(s) sent again on" in err, err
    assert "% of" in err


class _NoisyMlperf(MlperfTinyDevice):
    """MLPerf Tiny text mode behind the proxy's fault model (in-process: FaultyTransport)."""

    def __init__(self, board: BoardConfig, rate: float) -> None:
        super().__init__(board)
        spec = FaultSpec(corrupt=rate)
        self.injector = FaultInjector(spec, spec, seed=11)

    def _start(self) -> Transport:
        return FaultyTransport(super()._start(), self.injector)  # type: ignore[return-value]


@pytest.mark.timeout(900)
@pytest.mark.parametrize("rate", [0.001, 0.01])
def test_mlperf_text_protocol_is_right_or_stops_cleanly_on_a_noisy_line(
    rate: float, kws, clean, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    model, data = kws
    board = (
        load_boards(ROOT / "boards.toml").get("mps2-an386-mlperf").model_copy(update={"model": str(model)})
    )
    dev = _NoisyMlperf(board, rate)
    t0 = time.monotonic()
    try:
        run = run_mlperf(board, "accuracy", data, results_dir=tmp_path, limit=10, device=dev)
    except HilbenchError as exc:
        text = str(exc)
        assert "\n" not in text.strip() and "Traceback" not in text, text
        assert (
            dev.injector.counters(Direction.TO_BOARD).corrupted
            + dev.injector.counters(Direction.TO_HOST).corrupted
        )
        return
    finally:
        assert time.monotonic() - t0 < 850
    measured = {r["sample_id"]: r["prediction"] for r in run.rows}
    want = clean.xs("measure", level="phase")
    want = want[want.index.get_level_values("window") == -1].reset_index()
    want = dict(zip(want.sample_id, want.prediction))
    assert measured and all(measured[s] == want[s] for s in measured if s in want), (measured, want)
    assert all(r["bit_exact"] for r in run.rows)

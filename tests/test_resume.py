"""Killing `hilbench run` and resuming it: the sample set of an uninterrupted run, always.

`hilbench run` (a subprocess, the real command line) gets SIGKILL or SIGTERM at 20 seeded
moments of a suite on the host-native board (two jobs, warm-up 2, repeat 2, three
performance windows each, a profile each); `hilbench run --resume` then finishes the run.
Each time the (job, sample_id, phase, iteration, window) keys must be exactly those of an
uninterrupted run, each once, with the same outputs; the run ends complete with a
`resumed` event (and an `interrupted` one). One emulated moment repeats it on QEMU.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import hilbench.results as hr
from hilbench.errors import HilbenchError
from hilbench.results.store import effective_status, load_events, read_meta, sample_files
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool

KEY = ["job_id", "sample_id", "phase", "iteration", "window"]
SEED = 20261203
MOMENTS = 20


def suite_file(
    tmp: Path, board: str = "host", limit_a: int | None = None, limit_b: int = 100, windows: int = 3
) -> Path:
    demo = ROOT / "hilbench" / "demo"
    la = f"limit = {limit_a}\n" if limit_a else ""
    p = tmp / f"suite-{board}.toml"
    p.write_text(f"""name = "resume-{board}"
boards = ["{board}"]
warmup = 2
repeat = 2
[[models]]
name = "digits"
model = "{demo / "digits_mlp.tflite"}"
dataset = "{demo / "digits"}"
{la}[[models]]
name = "digits_b"
model = "{demo / "digits_mlp.tflite"}"
dataset = "{demo / "digits"}"
limit = {limit_b}
[measure]
windows = {windows}
inferences = 20
""")
    return p


def keyed(results: Path, run_id: str) -> pd.DataFrame:
    df = hr.load(run_id, results)
    df["window"] = df["window"].astype("Int64")
    return df


def assert_same_samples(ref: pd.DataFrame, got: pd.DataFrame) -> None:
    dup = got[got.duplicated(KEY, keep=False)]
    assert dup.empty, f"repeated samples:\n{dup[KEY]}"
    rk = set(map(tuple, ref[KEY].astype(object).where(ref[KEY].notna(), None).to_numpy()))
    gk = set(map(tuple, got[KEY].astype(object).where(got[KEY].notna(), None).to_numpy()))
    assert gk == rk, f"lost {len(rk - gk)}, extra {len(gk - rk)}"
    a = ref.set_index(KEY)["output_sha256"].sort_index()
    b = got.set_index(KEY)["output_sha256"].sort_index()
    assert a.equals(b), "outputs differ from the uninterrupted run"
    assert len(got) == len(ref)


def start_run(suite: Path, results: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hilbench", "run", str(suite), "--results-dir", str(results), "--no-report"],
        cwd=ROOT,
        env=dict(os.environ, COLUMNS="200", **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_run_dir(results: Path, proc: subprocess.Popen, timeout: float = 60) -> Path | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = list(results.glob("*/run.json"))
        if found:
            return found[0].parent
        if proc.poll() is not None:
            return None
        time.sleep(0.005)
    raise AssertionError("the run never created its run directory")


def interrupt_and_resume(
    suite: Path,
    results: Path,
    sig: int,
    delay: float,
    env: dict[str, str],
    ref: pd.DataFrame,
    after_batches: int = 0,
) -> bool:
    """Stop a run `delay` s after its run directory appears, resume it, check it; True if
    the signal stopped the run (False: it had finished first)."""
    proc = start_run(suite, results, env)
    d = wait_for_run_dir(results, proc)
    assert d is not None, proc.communicate()
    end = time.monotonic() + 120
    while len(list(d.glob("samples/batch-*.parquet"))) < after_batches and time.monotonic() < end:
        time.sleep(0.01)
    time.sleep(delay)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    run_id = d.name
    meta = read_meta(d)
    status, _ = effective_status(meta)
    finished_first = status == "complete"  # the signal came after the run had closed
    if not finished_first:
        assert status == "partial" or (status == "failed" and meta.get("samples") == 0), (
            proc.returncode,
            err,
            meta,
        )
        if sig == signal.SIGTERM:
            assert proc.returncode == 143, (proc.returncode, err)
            assert meta["status"] in ("partial", "failed") and meta["interrupted"] == "SIGTERM", (err, meta)
            assert f"hilbench run --resume {run_id}" in err
        else:
            assert proc.returncode == -signal.SIGKILL
            if sample_files(d):
                with pytest.raises(HilbenchError, match="did not finish"):
                    hr.load(run_id, results)  # not complete: refused without partial=True
                hr.load(run_id, results, partial=True)  # the batches already written are readable
    r = run_cli("run", "--resume", run_id, "--results-dir", str(results), "--no-report", env=env)
    assert r.code == 0, (r.code, r.stderr)
    if finished_first:
        assert "already complete" in r.stderr
    else:
        kinds = load_events(run_id, results)["kind"].tolist()
        assert "resumed" in kinds and "interrupted" in kinds, kinds
    meta = read_meta(d)
    assert meta["status"] == "complete", meta
    assert not (d / "samples").exists(), "batches left after the merge"
    assert_same_samples(ref, keyed(results, run_id))
    layers = hr.load_layers(run_id, results)
    assert sorted(layers.groupby("job_id").size().tolist()) == [2, 2], layers
    return not finished_first


def test_sigkill_and_sigterm_then_resume_give_the_uninterrupted_samples(tmp_path: Path) -> None:
    need_tool("gcc")
    suite = suite_file(tmp_path)
    env = {"HILBENCH_FLUSH_ROWS": "10", "HILBENCH_FLUSH_SECONDS": "0.05"}
    ref_dir = tmp_path / "ref"
    r = run_cli("run", str(suite), "--results-dir", str(ref_dir), "--no-report", env=env)
    assert r.code == 0, r.stderr
    (rd,) = [p for p in ref_dir.iterdir() if p.is_dir()]
    ref = keyed(ref_dir, rd.name)
    assert len(ref) == 2 + 720 + 60 + 2 + 200 + 60
    meta = read_meta(rd)
    duration = (pd.Timestamp(meta["finished_at"]) - pd.Timestamp(meta["started_at"])).total_seconds()
    rng = random.Random(SEED)
    stopped = 0
    for i in range(MOMENTS):
        sig = signal.SIGKILL if i % 2 == 0 else signal.SIGTERM
        delay = rng.uniform(0.0, duration * 1.1)
        results = tmp_path / f"m{i:02d}"
        try:
            stopped += interrupt_and_resume(suite, results, sig, delay, env, ref)
        except AssertionError as exc:
            raise AssertionError(
                f"moment {i} ({signal.Signals(sig).name} after {delay:.3f} s): {exc}"
            ) from None
    assert stopped >= MOMENTS // 2, f"only {stopped} of {MOMENTS} signals came before the run finished"


def test_resume_refuses_a_changed_model(tmp_path: Path) -> None:
    need_tool("gcc")
    model = tmp_path / "m.tflite"
    model.write_bytes((ROOT / "hilbench/demo/digits_mlp.tflite").read_bytes())
    results = tmp_path / "res"
    env = {"HILBENCH_FLUSH_ROWS": "5", "HILBENCH_FLUSH_SECONDS": "0.02"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hilbench",
            "run",
            "--board",
            "host",
            "--model",
            str(model),
            "--dataset",
            str(ROOT / "hilbench/demo/digits"),
            "--repeat",
            "20",
            "--results-dir",
            str(results),
            "--no-report",
        ],
        cwd=ROOT,
        env=dict(os.environ, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    d = wait_for_run_dir(results, proc)
    assert d is not None
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 143
    model.write_bytes(model.read_bytes() + b"\0")  # the model file changed since
    r = run_cli("run", "--resume", d.name, "--results-dir", str(results))
    assert r.code == 2 and "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "m.tflite: model changed since run" in lines[0], r.stderr
    assert json.loads((d / "run.json").read_text())["status"] == "partial"


def test_resume_of_nothing_to_resume_is_one_line(tmp_path: Path) -> None:
    r = run_cli("run", "--resume", "20261203T000000Z-abcdef", "--results-dir", str(tmp_path))
    assert r.code == 2 and "no such run to resume" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.emulated
def test_sigterm_and_sigkill_of_an_emulated_run_then_resume(tmp_path: Path) -> None:
    need_tool("qemu-system-arm")
    need_tool("arm-none-eabi-gcc")
    suite = suite_file(tmp_path, board="mps2-an386", limit_a=30, limit_b=10, windows=2)
    env = {"HILBENCH_FLUSH_ROWS": "8", "HILBENCH_FLUSH_SECONDS": "0.5"}
    ref_dir = tmp_path / "ref"
    r = run_cli("run", str(suite), "--results-dir", str(ref_dir), "--no-report", env=env)
    assert r.code == 0, r.stderr
    (rd,) = [p for p in ref_dir.iterdir() if p.is_dir()]
    ref = keyed(ref_dir, rd.name)
    for i, (sig, batches) in enumerate(((signal.SIGTERM, 2), (signal.SIGKILL, 5))):
        results = tmp_path / f"e{i}"
        assert interrupt_and_resume(suite, results, sig, 0.05, env, ref, after_batches=batches), (
            "the run finished first"
        )

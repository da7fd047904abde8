"""The results store tells the truth and survives damage.

- A damaged run directory (a truncated Parquet file, an invalid run.json) is one warning
  line naming the file, and `history`, `show last`, `report last`, `compare` keep working
  (exit 0) for the other runs.
- A partial run is listed by `history` and shown by `show`, marked; `last` as a baseline or
  candidate skips it, saying which run it skipped and why; naming it explicitly is a
  one-line error.
- Batch files: rows are on disk while the run runs, and a run.json saying `running`
  whose process is gone reads as partial.
- SIGHUP and SIGINT end a run like SIGTERM: exit 129 / 130, run partial, an event.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

import hilbench.results as hr
from hilbench.results.events import EventLog
from hilbench.results.store import (
    effective_status,
    load_events,
    read_meta,
    sample_files,
    scan_runs,
    write_run,
)
from hilbench.results.tags import resolve
from hilbench.results.writer import RunWriter
from tests.clihelp import ROOT, run_cli
from tests.conftest import need_tool


def _rows(run_id: str, n: int = 40, cycles: int = 10_000) -> list[dict]:
    t = datetime(2026, 11, 28, tzinfo=timezone.utc)
    return [
        dict(
            run_id=run_id,
            started_at=t,
            board="b1",
            model="m.tflite",
            dataset="d",
            phase="measure",
            iteration=0,
            sample_id=f"s{i}",
            label=1,
            cycles=cycles,
            ticks=cycles // 40,
            latency_us=cycles / 25.0,
            timing_source="qemu_icount",
            emulated=True,
            correct=i % 10 != 0,
            prediction=1,
            bit_exact=True,
            clock_hz=25_000_000,
            job_id="b1/m/d",
            firmware_sha256="f" * 64,
            model_sha256="a" * 64,
            dataset_sha256="d" * 64,
        )
        for i in range(n)
    ]


def _complete(root: Path, run_id: str, cycles: int = 10_000) -> None:
    write_run(
        root / run_id,
        _rows(run_id, cycles=cycles),
        {"run_id": run_id, "started_at": "2026-11-28T00:00:00"},
        complete=True,
        jobs=[dict(run_id=run_id, board="b1", model="m.tflite", dataset="d", arena_used=1000)],
    )


def _partial(root: Path, run_id: str, reason: str = "interrupted by SIGTERM", cycles: int = 10_000) -> None:
    meta = {"run_id": run_id, "started_at": "2026-11-28T00:00:00", "status": "running"}
    w = RunWriter(root / run_id, meta, EventLog(run_id), flush_rows=10)
    w.add(_rows(run_id, 25, cycles=cycles))
    w.close("partial", reason, interrupted="SIGTERM")


def _warnings(stderr: str) -> list[str]:
    return [ln for ln in stderr.splitlines() if ln.startswith("hilbench: warning:")]


@pytest.fixture()
def damaged_store(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    _complete(root, "20261128T100000Z-000001")
    _complete(root, "20261128T110000Z-000002")
    _complete(root, "20261128T120000Z-000003")  # samples.parquet truncated below
    _complete(root, "20261128T130000Z-000004")  # run.json made invalid below
    p = root / "20261128T120000Z-000003" / "samples.parquet"
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])
    (root / "20261128T130000Z-000004" / "run.json").write_text('{"run_id": "20261128T130000Z-000004", ')
    return root


@pytest.mark.parametrize(
    "args",
    [
        ["history"],
        ["show", "last"],
        ["report", "last"],
        ["compare", "20261128T100000Z-000001", "last"],
    ],
)
def test_damaged_runs_are_one_warning_each_and_the_rest_works(damaged_store: Path, args: list[str]) -> None:
    r = run_cli(*args, "--results-dir", str(damaged_store))
    assert r.code == 0, (r.code, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout
    warns = _warnings(r.stderr)
    assert len(warns) == 2, r.stderr
    assert any("000003/samples.parquet: damaged Parquet file" in w and "skipped" in w for w in warns), warns
    assert any("000004/run.json: not valid JSON" in w and "skipped" in w for w in warns), warns
    assert [ln for ln in r.stderr.splitlines() if ln.strip()] == warns, r.stderr  # nothing else on stderr
    if args[0] == "history":
        assert "000001" in r.stdout and "000002" in r.stdout
    if args[0] in ("show", "report"):
        assert "20261128T110000Z-000002" in r.stdout  # the newest readable run
    if args[0] == "compare":
        assert "vs baseline 20261128T100000Z-000001" in r.stdout and "000002" in r.stdout


def test_a_damaged_run_named_explicitly_is_one_error_line(damaged_store: Path) -> None:
    r = run_cli("show", "20261128T130000Z-000004", "--results-dir", str(damaged_store))
    assert r.code == 2 and "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "run.json: not valid JSON" in lines[0], r.stderr


def test_partial_run_is_listed_marked_and_never_a_baseline(tmp_path: Path) -> None:
    root = tmp_path / "results"
    _complete(root, "20261128T100000Z-000001")
    _partial(root, "20261128T110000Z-000002", cycles=20_000)  # would be a big "regression" if used
    _complete(root, "20261128T120000Z-000003")
    msgs: list[str] = []
    assert (
        resolve("last", root, exclude="20261128T120000Z-000003", warn=msgs.append)
        == "20261128T100000Z-000001"
    )
    assert msgs == [
        "run 20261128T110000Z-000002 is partial (interrupted by SIGTERM): skipped as baseline 'last' "
        "(not complete)"
    ]
    h = hr.history(root)
    assert dict(zip(h.run_id, h.status)) == {
        "20261128T100000Z-000001": "complete",
        "20261128T110000Z-000002": "partial",
        "20261128T120000Z-000003": "complete",
    }
    r = run_cli("history", "--results-dir", str(root))
    assert r.code == 0 and "20261128T110000Z-000002 (partial)" in r.stdout, r.stdout
    r = run_cli("show", "20261128T110000Z-000002", "--results-dir", str(root))
    assert r.code == 0 and "partial: interrupted by SIGTERM" in r.stdout and "--resume" in r.stdout, r.stdout
    r = run_cli("report", "20261128T110000Z-000002", "--results-dir", str(root))
    assert r.code == 0
    html = (root / "20261128T110000Z-000002" / "report.html").read_text()
    assert "partial: interrupted by SIGTERM" in html
    # explicitly named: one line saying what the run is
    r = run_cli("compare", "20261128T110000Z-000002", "20261128T120000Z-000003", "--results-dir", str(root))
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.code == 2 and len(lines) == 1, r.stderr
    assert "run 20261128T110000Z-000002 is partial (interrupted by SIGTERM): not complete" in lines[0]
    with pytest.raises(hr.load.__globals__["HilbenchError"], match="did not finish"):
        hr.load("20261128T110000Z-000002", root)
    r = run_cli("baseline", "tag", "20261128T110000Z-000002", "good", "--results-dir", str(root))
    assert r.code == 2 and "not complete" in r.stderr
    # a candidate 'last' skips the newer partial run too
    _partial(root, "20261128T130000Z-000004", cycles=20_000)
    r = run_cli("compare", "20261128T100000Z-000001", "last", "--results-dir", str(root))
    assert r.code == 0, r.stdout + r.stderr
    assert _warnings(r.stderr) == [
        "hilbench: warning: run 20261128T130000Z-000004 is partial (interrupted by "
        "SIGTERM): skipped as candidate 'last' (not complete)"
    ]
    assert "20261128T120000Z-000003 vs baseline 20261128T100000Z-000001" in r.stdout


def test_batches_are_readable_while_running_and_a_dead_run_reads_partial(tmp_path: Path) -> None:
    d = tmp_path / "20261128T100000Z-000001"
    meta = {
        "run_id": d.name,
        "started_at": "2026-11-28T00:00:00",
        "status": "running",
        "pid": os.getpid(),
        "host": os.uname().nodename,
    }
    w = RunWriter(d, meta, EventLog(d.name), flush_rows=10, flush_seconds=3600)
    w.add(_rows(d.name, 25))  # one group: never split, written at once
    assert len(sample_files(d)) == 1 and len(hr.load(d.name, tmp_path, partial=True)) == 25
    w.add(_rows(d.name, 5))  # below the threshold: pending, not yet on disk
    assert len(hr.load(d.name, tmp_path, partial=True)) == 25
    assert effective_status(read_meta(d))[0] == "running"  # this process is alive
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    m = read_meta(d)
    m["pid"] = int(dead.stdout)
    (d / "run.json").write_text(json.dumps(m))
    status, why = effective_status(read_meta(d))
    assert status == "partial" and "ended without closing the run" in why
    assert [e.status for e in scan_runs(tmp_path)] == ["partial"]


def test_a_complete_run_merges_its_batches(tmp_path: Path) -> None:
    d = tmp_path / "r"
    meta = {"run_id": "r", "status": "running", "plan": {"jobs": [{"job_id": "b"}, {"job_id": "a"}]}}
    w = RunWriter(d, meta, EventLog("r"), flush_rows=3)
    a = [dict(r, job_id="a") for r in _rows("r", 7)]
    b = [dict(r, job_id="b", sample_id=f"b{i}") for i, r in enumerate(_rows("r", 4))]
    for r in a[:4] + b + a[4:]:
        w.add([r])
    w.events.add("restart", "QEMU restarted", board="b1")
    w.close("complete")
    assert not (d / "samples").exists() and (d / "samples.parquet").is_file()
    df = hr.load("r", tmp_path)
    assert df.job_id.tolist() == ["b"] * 4 + ["a"] * 7  # plan order, then as measured
    assert df.sample_id.tolist()[4:] == [f"s{i}" for i in range(7)]
    assert load_events("r", tmp_path).kind.tolist() == ["restart"]
    assert read_meta(d)["status"] == "complete" and read_meta(d)["samples"] == 11


@pytest.mark.parametrize("sig,code", [(signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_sighup_and_sigint_end_the_run_like_sigterm(tmp_path: Path, sig: int, code: int) -> None:
    need_tool("gcc")
    results = tmp_path / "res"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hilbench",
            "run",
            "--board",
            "host",
            "--repeat",
            "30",
            "--results-dir",
            str(results),
            "--no-report",
        ],
        cwd=ROOT,
        env=dict(os.environ, HILBENCH_FLUSH_ROWS="20"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    end = time.monotonic() + 60
    while time.monotonic() < end and not list(results.glob("*/samples/batch-*.parquet")):
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, (proc.returncode, err)
    (d,) = [p for p in results.iterdir() if p.is_dir()]
    meta = read_meta(d)
    name = signal.Signals(sig).name
    assert meta["status"] == "partial" and meta["interrupted"] == name and meta["samples"] > 0, meta
    assert f"interrupted by {name}: run {d.name} is partial ({meta['samples']} rows kept)" in err
    ev = load_events(d.name, results)
    assert ev.kind.tolist() == ["interrupted"] and ev.detail.tolist() == [name]
    assert len(hr.load(d.name, results, partial=True)) == meta["samples"]

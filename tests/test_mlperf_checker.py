"""hilbench's MLPerf Tiny session files against MLPerf Tiny's OFFICIAL runner and
submission checker (mlcommons/tiny, unmodified, in `../shared/third_party/mlperf-tiny`).

Everything official runs from a temporary copy (the shared folder is read-only):
- the runner's own scoring functions (`benchmark/runner/main.py` `calculate_accuracy`,
  `normalize_probabilities`, `summarize_result`, with sklearn's `roc_auc_score`) run in a
  subprocess of this interpreter; main.py imports matplotlib and device_manager.py
  imports pyusb at module level, neither used by those functions, so the subprocess puts
  empty stand-ins for `matplotlib.pyplot` and `usb.core` in sys.modules (the official
  files are not changed). scikit-learn is needed and must be importable here;
- the submission checker (`tools/submission/submission_checker.py`, needs pandas) runs
  as its CLI on the session directories of real runs on the host build of the MLPerf
  firmware (fixtures of tests/test_mlperf_tiny_host.py).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hilbench.mlperf_tiny import scoring
from hilbench.mlperf_tiny.runner import run_mlperf
from tests.conftest import shared_path
from tests.test_mlperf_tiny_host import _native, kws_model  # noqa: F401  (kws_model is a fixture)

STUBS = (
    "import sys, types\n"
    "for name in ('matplotlib', 'matplotlib.pyplot', 'usb', 'usb.core'):\n"
    "    sys.modules.setdefault(name, types.ModuleType(name))\n"
)


@pytest.fixture(scope="module")
def official(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = shared_path("third_party", "mlperf-tiny")
    for mod in ("sklearn", "yaml", "serial", "pandas"):
        if importlib.util.find_spec(mod) is None:
            pytest.skip(
                f"the official runner/checker needs {mod} (scikit-learn, pyyaml, pyserial, pandas); "
                "not installed in this interpreter"
            )
    dst = tmp_path_factory.mktemp("mlperf-tiny-official") / "mlperf-tiny"
    shutil.copytree(src, dst)
    return dst


def _runner(official: Path, code: str, payload: object, cwd: Path) -> object:
    """Run `code` with the official runner's main.py imported as `main`; `data` is the
    payload; the code leaves its answer in `out` (JSON)."""
    runner = official / "benchmark" / "runner"
    prog = (
        STUBS + f"sys.path.insert(0, {str(runner)!r})\nimport json\nimport main\n"
        f"data = json.loads(open({str(cwd / 'in.json')!r}).read())\nout = None\n{code}\n"
        f"open({str(cwd / 'out.json')!r}, 'w').write(json.dumps(out))\n"
    )
    (cwd / "in.json").write_text(json.dumps(payload))
    r = subprocess.run([sys.executable, "-c", prog], cwd=cwd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads((cwd / "out.json").read_text())


def _cases() -> list[dict]:
    rng = np.random.default_rng(7)
    cases = []
    for k, n in ((12, 60), (2, 40), (10, 50)):
        q = rng.integers(0, 256, size=(n, k)).astype(float)
        q[:5, :2] = 300.0  # ties at the top: the lowest index must win
        probs = np.round(q / q.sum(axis=1, keepdims=True), 3)  # printed with 3 decimals, as a DUT does
        labels = np.concatenate([np.arange(k), rng.integers(0, k, size=n - k)])
        cases.append({"scores": probs.tolist(), "labels": labels.tolist()})
    return cases


def test_scoring_equals_the_official_runner_functions(official: Path, tmp_path: Path) -> None:
    """Top 1% (argmax, tie -> lowest index), AUC (normalised scores; vww: column 1; else
    ovr macro) and AD's threshold `Top 1%` + AUC, as main.py computes them."""
    rng = np.random.default_rng(3)
    ad = [
        {"scores": [[float(x)] for x in rng.gamma(2.0, 1.0, size=30).round(3)], "labels": [0] * 18 + [1] * 12}
    ]
    ad[0]["scores"][25] = ad[0]["scores"][3]  # a tied score across classes
    code = (
        "import numpy as np\nfrom sklearn.metrics import roc_auc_score\nout = []\n"
        "for c in data:\n"
        "    p = np.array([main.normalize_probabilities(s) if len(s) > 1 else s for s in c['scores']])\n"
        "    y = np.array(c['labels'])\n"
        "    acc = main.calculate_accuracy(p, y)\n"
        "    auc = roc_auc_score(y, p[:, 1]) if p.shape[1] == 2 else roc_auc_score(y, p, multi_class='ovr')\n"
        "    out.append([float(acc), float(auc)])\n"
    )
    cases = _cases()
    got = _runner(official, code, cases + ad, tmp_path)
    assert isinstance(got, list)
    for c, (acc, auc) in zip(cases, got[:3]):
        ours = scoring.accuracy([tuple(s) for s in c["scores"]], c["labels"])
        assert ours.top1 == pytest.approx(acc, abs=1e-12)
        assert ours.auc == pytest.approx(auc, abs=1e-12)
        assert f"{ours.top1:2.1f}" == f"{acc:2.1f}" and f"{ours.auc:.3f}" == f"{auc:.3f}"
    assert scoring.accuracy(cases[0]["scores"], cases[0]["labels"]).tied >= 5
    res = scoring.ad_result(
        [(f"f{i}", lab, s[0]) for i, (s, lab) in enumerate(zip(ad[0]["scores"], ad[0]["labels"]))]
    )
    assert res.top1 == pytest.approx(got[3][0], abs=1e-9) and res.auc == pytest.approx(got[3][1], abs=1e-12)


def test_ad_file_score_is_the_mean_of_its_segments_as_summarize_result_takes_it(
    official: Path, tmp_path: Path
) -> None:
    """summarize_result on an AD results list: per-file mean over segments, then scores."""
    rows, ours = [], []
    rng = np.random.default_rng(11)
    for f in range(8):
        label = int(f >= 5)
        for seg in range(3):
            s = float(np.round(rng.gamma(2.0 + 2 * label, 1.0), 3))
            rows.append(
                {
                    "file": f"f{f}.bin",
                    "classes": "2",
                    "class": str(label),
                    "bytes_to_send": "2560",
                    "stride": "512",
                    "total_length": 3,
                    "infer": {"results": [s]},
                    "mode": "a",
                }
            )
            ours.append((f"f{f}.bin", label, s))
    code = "main.summarize_result(data, None, 'a', results_file='r.txt')\nout = open('r.txt').read()"
    text = _runner(official, code, rows, tmp_path)
    res = scoring.ad_result(ours)
    assert isinstance(text, str)
    assert re.search(r"ulp-mlperf: Top 1% = ([\d.]+)", text)[1] == f"{res.top1:2.1f}"  # type: ignore[index]
    assert re.search(r"ulp-mlperf: AUC = ([\d.]+)", text)[1] == f"{res.auc:.3f}"  # type: ignore[index]


def _strip(lines: list[str]) -> list[str]:
    """results.txt without timestamps and without hilbench's own lines."""
    return [re.sub(r"^\d{4}\.\d{6} ", "", ln) for ln in lines if " hilbench: " not in ln]


def _official_summary(official: Path, session: Path, mode: str, cwd: Path) -> list[str]:
    code = (
        f"main.summarize_result(data, None, {mode!r}, results_file='r.txt')\n"
        "out = open('r.txt').read().splitlines()"
    )
    cwd = cwd / f"summary-{mode}"  # print_tee appends to r.txt
    cwd.mkdir()
    out = _runner(official, code, json.loads((session / "results.json").read_text()), cwd)
    assert isinstance(out, list)
    return out


@pytest.fixture(scope="module")
def sessions(
    tmp_path_factory: pytest.TempPathFactory,
    kws_model: Path,  # noqa: F811
    official: Path,
) -> dict[str, object]:
    """An accuracy run (40 files) and a compliant performance run (windows grown to 2.1 s
    of DUT time so the loop lasts > 10 s of host wall time), merged into one submission."""
    tmp = tmp_path_factory.mktemp("mlperf-sessions")
    sub = tmp / "submission"
    kws = shared_path("datasets", "kws01")
    board = _native(tmp, kws_model)
    acc = run_mlperf(board, "accuracy", kws, results_dir=tmp / "results", limit=40, submission=sub)
    perf = run_mlperf(
        board, "performance", kws, results_dir=tmp / "results", min_window_s=2.1, submission=sub
    )
    return {"acc": acc, "perf": perf, "sub": sub, "tmp": tmp}


def test_session_layout_is_what_the_checker_walks(sessions: dict) -> None:
    acc, perf = sessions["acc"], sessions["perf"]
    assert acc.session_dir == acc.run_dir / "mlperf/open/hilbench/results/host-mlperf/kws/accuracy"
    assert perf.session_dir == perf.run_dir / "mlperf/open/hilbench/results/host-mlperf/kws/performance"
    for run in (acc, perf):
        assert sorted(p.name for p in run.session_dir.iterdir()) == ["log.txt", "results.json", "results.txt"]
        assert (run.run_dir / "mlperf/open/hilbench/systems/host-mlperf.json").is_file()
        assert (run.run_dir / "samples.parquet").is_file() and (run.run_dir / "run.json").is_file()
    entries = json.loads((perf.session_dir / "results.json").read_text())
    rows = [
        ln.split(",")[0]
        for ln in (shared_path("datasets", "kws01") / "y_labels.csv").read_text().splitlines()
    ]
    assert [e["file"] for e in entries] == rows[:5]  # window i loads file i
    for e in entries:
        assert e["mode"] == "p" and set(e["infer"]) == {
            "results",
            "start_time",
            "end_time",
            "elapsed_time",
            "total_inferences",
            "iterations",
            "warmups",
            "throughput",
        }
        assert e["infer"]["iterations"] == perf.windows[0].count >= 70 and e["infer"]["warmups"] == 10


def test_official_summarize_result_of_our_results_json_gives_our_results_txt(
    sessions: dict, official: Path, tmp_path: Path
) -> None:
    for run, mode in ((sessions["acc"], "a"), (sessions["perf"], "p")):
        ours = _strip(run.session_dir.joinpath("results.txt").read_text().splitlines())
        theirs = _strip(_official_summary(official, run.session_dir, mode, tmp_path))
        assert ours == theirs


def test_the_unmodified_checker_accepts_the_sessions_and_reads_our_numbers(
    sessions: dict, official: Path, tmp_path: Path
) -> None:
    acc, perf, sub = sessions["acc"], sessions["perf"], sessions["sub"]
    checker = official / "tools" / "submission" / "submission_checker.py"
    csv = tmp_path / "summary.csv"
    r = subprocess.run(
        [sys.executable, str(checker), "--input", str(sub), "--csv", str(csv)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    log = r.stdout + r.stderr
    assert "SUMMARY: submission looks OK" in log, log
    assert "mismatch" not in log and "ERROR" not in log, log
    import pandas as pd

    df = pd.read_csv(csv)
    assert len(df) == 1
    top1 = f"{acc.accuracy.top1:2.1f}"
    median = f"{scoring.median_throughput(perf.windows):.3f}"
    assert f"{df['Accuracy'][0]}" == top1 and f"{float(df['Result'][0]):.3f}" == median
    assert any(ln.endswith(f"Top 1% = {top1}") for ln in acc.lines)
    assert any(re.search(rf"Median throughput is\s+{re.escape(median)} inf\./sec\.", ln) for ln in perf.lines)
    # the checker's own functions, on each session directory
    sys.path.insert(0, str(checker.parent))
    try:
        import submission_checker as sc

        cfg = sc.Config("v1.4", None)
        ok, got = sc.check_accuracy_dir(cfg, "kws", str(acc.session_dir), True)
        assert ok and got == top1
        ok, thr, _ = sc.check_performance_dir(cfg, "kws", str(perf.session_dir), "", "open", {})
        assert ok and f"{thr:.3f}" == median
        # hilbench's extra lines are never read as the runner's numbers
        for run in (acc, perf):
            for ln in run.lines:
                if " hilbench: " in ln:
                    assert not any(re.match(p, ln) for p in sc.ACC_PATTERN.values()), ln
                    assert not re.match(r".* Median throughput is\s+([\d\.]+) inf\./sec\..*", ln), ln
    finally:
        sys.path.remove(str(checker.parent))


def test_a_loop_under_10_s_is_the_runners_error_2_and_the_checker_rejects_it(
    kws_model: Path,  # noqa: F811
    official: Path,
    tmp_path: Path,
) -> None:
    run = run_mlperf(
        _native(tmp_path, kws_model),
        "performance",
        shared_path("datasets", "kws01"),
        results_dir=tmp_path / "results",
    )
    assert run.error == scoring.ERROR_2 and run.loop_wall_s is not None and run.loop_wall_s < 10
    assert [w.count for w in run.windows] == [70] * 5  # tests_performance.yaml kws01: infer 70 10
    text = run.session_dir.joinpath("results.txt").read_text()
    assert "ulp-mlperf: ERROR 2 - loop exited before 10 seconds elapsed." in text and "Median" not in text
    entries = json.loads(run.session_dir.joinpath("results.json").read_text())
    assert entries[-1] == {"error": "error 2", "mode": "p"}
    assert _strip(text.splitlines()) == _strip(_official_summary(official, run.session_dir, "p", tmp_path))
    checker = official / "tools" / "submission" / "submission_checker.py"
    r = subprocess.run(
        [sys.executable, str(checker), "--input", str(run.session_root), "--csv", str(tmp_path / "s.csv")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert "submission has errors" in r.stdout + r.stderr


def test_energy_mode_is_named_not_implemented(tmp_path: Path, kws_model: Path) -> None:  # noqa: F811
    from hilbench.errors import NotImplementedFeature

    with pytest.raises(NotImplementedFeature, match="energy-monitor issue"):
        run_mlperf(_native(tmp_path, kws_model), "energy", tmp_path)
    lines = scoring.energy_lines(
        [12.5, 12.0, 13.0], [10.5, 10.2, 10.1], [70] * 3, [0.00087, 0.00084, 0.00091]
    )
    assert re.search(r"Median energy cost is ([\d\.]+) uJ/inf", "\n".join(lines))[1] == "12.5000"  # type: ignore[index]

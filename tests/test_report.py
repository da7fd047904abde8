"""The run report: HTML (self-contained, offline), Markdown, `hilbench report` / `show`, and
`hilbench run` writing report.html beside its results. Rendering in a real browser is
tests/test_report_chromium.py."""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.report_speed import GOAL_BYTES, history_runs, synthetic_run
from hilbench.report import svg
from hilbench.report.html import render_html, write_report
from hilbench.report.markdown import render_markdown
from hilbench.report.model import collect
from hilbench.results.choice import mark_fronts, pareto_front
from tests.clihelp import run_cli
from tests.conftest import need_tool

EMULATED = ["mps2-an386", "mps3-an547"]
MODELS = ["kws_int8.tflite", "kws_pruned_int8.tflite"]


def _store(
    tmp: Path,
    *,
    slower: dict | None = None,
    boards: list[str] | None = None,
    samples: int = 600,
    history: int = 3,
) -> tuple[list[str], str]:
    """`history` earlier runs (600 rows each) and a newer one; returns (earlier ids, newest id)."""
    kw = dict(boards=boards or EMULATED, models=MODELS, samples=samples)
    ids = history_runs(tmp, history, **kw)
    rid = "20261128T200000Z-abcdef"
    synthetic_run(
        tmp, rid, started=datetime(2026, 11, 28, 20, tzinfo=timezone.utc), seed=42, slower=slower, **kw
    )
    return ids, rid


def _records(df) -> list[dict]:  # type: ignore[no-untyped-def]
    """Rows for write_run: nulls as None (pandas gives NaN)."""
    return df.astype(object).where(df.notna(), None).to_dict("records")


# -- svg and the device-choice analysis -------------------------------------------------------------------------------------


def test_pareto_front_lower_x_higher_y() -> None:
    pts = [(1.0, 0.80), (2.0, 0.90), (3.0, 0.85), (2.0, 0.90), (5.0, 0.95), (0.5, 0.70), (6.0, 0.95)]
    assert pareto_front(pts) == [0, 1, 3, 4, 5]  # (3, .85) and (6, .95) are dominated; equal points both stay


def test_axis_labels_tell_close_ticks_apart() -> None:
    labels = svg.axis_labels([30_884_000, 30_886_000, 30_888_000])
    assert len(set(labels)) == 3
    assert svg.axis_labels([0, 0.25, 0.5]) == ["0", "0.25", "0.50"]


def test_every_chart_is_one_svg_element() -> None:
    charts = [
        svg.histogram(
            [1, 2, 2, 3], markers=[svg.Marker(9, "warm-up", kind="point")], title="t", x_label="µs"
        ),
        svg.histogram([5, 5, 5]),  # constant values: one bar
        svg.line_chart(
            [svg.Series("s", range(2000), [i % 7 for i in range(2000)])], bands=[svg.Band(0, 3, "w")]
        ),
        svg.bar_chart(["a", "b"], [1, 2], notes=["x", "y"]),
        svg.scatter([svg.Point(1, 2, "p", front=True), svg.Point(3, 4, "q", hollow=True, front=True)]),
        svg.heatmap([[3, 1], [0, 4]], row_labels=["0", "1"], col_labels=["0", "1"]),
    ]
    for c in charts:
        assert c.startswith("<svg") and c.endswith("</svg>") and c.count("<svg") == 1
        assert "nan" not in c.lower().replace("nano", "")
    # 2,000 points become a min/max envelope, not 2,000 circles
    assert charts[2].count("<circle") == 0 and "min/max" in charts[2]


# -- the HTML report -------------------------------------------------------------------------


def test_report_is_one_self_contained_file_with_every_section(tmp_path: Path) -> None:
    ids, rid = _store(tmp_path, boards=["mps2-an386", "nucleo-l4r5zi"])
    out = write_report(rid, None, tmp_path, baseline=ids[-1])
    assert out == tmp_path / rid / "report.html"
    html = out.read_text()
    for sec in (
        "run",
        "summary",
        "latency",
        "layers",
        "accuracy",
        "fidelity",
        "energy",
        "trend",
        "comparison",
        "choice",
    ):
        assert f'<section id="{sec}">' in html, sec
    # nothing to fetch: no external script, style, image, font or frame; a CSP forbids it anyway
    assert not re.search(r"""<(script|img|iframe|link|source|embed)[^>]*\s(src|href)\s*=""", html)
    assert "@import" not in html and "url(" not in html
    assert re.findall(r"https?://[^\s\"'<>]+", html) == ["http://www.w3.org/2000/svg"] * html.count(
        'xmlns="http'
    )
    assert "default-src 'none'" in html
    # hashes, the emulated caveat, warm-up, the energy trace of the real board, the front
    assert "sha256" in html.lower() and re.search(r"[0-9a-f]{64}", html)
    assert "not silicon time" in html and "warm-up" in html
    assert 'data-plot="energy"' in html and "ppk2" in html
    assert "Pareto front" in html and 'class="badge front"' in html
    assert html.count('<figure class="plot"') == html.count("<svg xmlns=")  # every chart in a checked figure


def test_energy_section_says_so_when_nothing_was_measured(tmp_path: Path) -> None:
    _, rid = _store(tmp_path, history=0)
    html = render_html(collect(rid, tmp_path))
    assert "No energy measured in this run" in html
    assert 'data-plot="energy"' not in html


def test_ten_thousand_samples_under_five_megabytes(tmp_path: Path) -> None:
    synthetic_run(tmp_path, "20261128T120000Z-000010", samples=10_000)
    t0 = time.perf_counter()
    out = write_report("20261128T120000Z-000010", None, tmp_path)
    took = time.perf_counter() - t0
    assert out.stat().st_size < GOAL_BYTES, out.stat().st_size
    assert took < 30, took


def test_trend_and_comparison_flag_a_five_percent_slower_build(tmp_path: Path) -> None:
    ids, rid = _store(tmp_path, slower={("mps2-an386", "kws_int8.tflite"): 1.05})
    rep = collect(rid, tmp_path, baseline=ids[-1])
    regressed = [(v.board, v.model, v.metric) for v in rep.regressed]
    assert ("mps2-an386", "kws_int8.tflite:kws01", "cycles") in regressed
    html = render_html(rep)
    assert "median cycles* " in html and "(+5.0" in html  # the ringed trend point says what changed
    md = render_markdown(rep)
    assert "regressed" in md and "🔴" in md and "mps2-an386" in md


def test_host_clock_is_never_on_the_device_front(tmp_path: Path) -> None:
    rows_run = synthetic_run(
        tmp_path, "20261128T120000Z-000001", samples=400, boards=["mps2-an386"], models=MODELS
    )
    assert rows_run.is_file()
    rep = collect("20261128T120000Z-000001", tmp_path)
    # a fake host point that dominates everything must not take the front
    rep.choice.append(
        dict(
            board="host",
            model=MODELS[0],
            dataset="kws01",
            timing_source="host_clock",
            emulated=False,
            latency_ms=0.001,
            accuracy=1.0,
            accuracy_name="top-1",
            arena=1.0,
            energy_uj=None,
            run_id="x",
            current=False,
        )
    )
    pts = mark_fronts(rep.choice)
    assert any(p["board"] == "host" for p in pts)
    assert not any(p["front_latency_ms"] for p in pts if p["timing_source"] == "host_clock")
    assert any(p["front_latency_ms"] for p in pts if p["board"] == "mps2-an386")


def test_partial_run_report_says_failed(tmp_path: Path) -> None:
    from hilbench.results.store import write_run

    synthetic_run(tmp_path, "20261128T120000Z-000002", samples=200, boards=["mps2-an386"], models=MODELS[:1])
    import pandas as pd

    d = tmp_path / "20261128T120000Z-000002"
    rows = _records(pd.read_parquet(d / "samples.parquet"))
    (d / "samples.parquet").unlink()
    write_run(d, rows[:50], {"run_id": "20261128T120000Z-000002"}, complete=False)
    html = render_html(collect("20261128T120000Z-000002", tmp_path))
    assert "failed (partial results)" in html


def test_markdown_summary_for_a_ci_comment(tmp_path: Path) -> None:
    ids, rid = _store(tmp_path, history=1)
    md = render_markdown(collect(rid, tmp_path, baseline=ids[0]), "results/x/report.html")
    assert md.startswith(f"### hilbench run `{rid}`")
    assert "| board | model |" in md and "| mps2-an386 | kws_int8.tflite |" in md
    assert "not silicon time" in md and "\\*" in md  # the caveat, and escaped asterisks
    assert "Pareto front" in md and "Full report: `results/x/report.html`" in md
    assert "<details>" in md  # unchanged verdicts folded away


# -- command line ---------------------------------------------------------------------------


def test_report_and_show_commands(tmp_path: Path) -> None:
    ids, rid = _store(tmp_path, history=1)
    r = run_cli("report", rid, "--results-dir", str(tmp_path), "--baseline", ids[0])
    assert r.code == 0, r.stderr
    assert f"report: {tmp_path / rid / 'report.html'}" in r.stdout
    out = tmp_path / "elsewhere" / "r.html"
    r = run_cli("report", "last", "--results-dir", str(tmp_path), "-o", str(out))
    assert r.code == 0 and out.is_file(), r.stderr
    r = run_cli("report", rid, "--results-dir", str(tmp_path), "--format", "md")
    assert r.code == 0 and r.stdout.startswith("### hilbench run"), r.stderr
    r = run_cli("show", rid, "--results-dir", str(tmp_path), "--baseline", ids[0])
    assert r.code == 0, r.stderr
    for needle in (rid, "mps2-an386", "kws_int8.tflite", "Pareto front", "no energy measured", "report:"):
        assert needle in r.stdout, needle
    r = run_cli("report", "nope", "--results-dir", str(tmp_path))
    assert r.code == 2 and "no run or tag named 'nope'" in r.stderr
    r = run_cli("report", rid, "--results-dir", str(tmp_path), "--format", "pdf")
    assert r.code == 2 and "--format must be html or md" in r.stderr


def test_history_where_lists_combinations_within_a_budget(tmp_path: Path) -> None:
    _store(tmp_path, history=1)
    r = run_cli(
        "history", "--results-dir", str(tmp_path), "--where", "latency_ms < 50 and top1 > 0.85", "--csv"
    )
    assert r.code == 0, r.stderr
    lines = r.stdout.strip().splitlines()[1:]
    assert lines and all("mps3-an547" in ln for ln in lines)  # only the M55 is under 50 ms


def test_run_writes_the_report_beside_its_results(tmp_path: Path) -> None:
    need_tool("gcc")
    r = run_cli("run", "--board", "host", "--limit", "10", "--results-dir", str(tmp_path))
    assert r.code == 0, r.stderr
    m = re.search(r"report: (\S+report\.html)", r.stdout)
    assert m, r.stdout
    html = Path(m.group(1))
    assert html.is_file() and html.parent.parent == tmp_path
    assert "host_clock" in html.read_text()
    r = run_cli("run", "--board", "host", "--limit", "5", "--results-dir", str(tmp_path), "--no-report")
    assert r.code == 0 and "report:" not in r.stdout
    assert len(list(tmp_path.glob("*/report.html"))) == 1


def test_anomaly_detection_rows_show_auc(tmp_path: Path) -> None:
    import pandas as pd

    from hilbench.results.store import write_run

    synthetic_run(tmp_path, "20261128T120000Z-0000ad", samples=100, boards=["mps2-an386"], models=MODELS[:1])
    d = tmp_path / "20261128T120000Z-0000ad"
    df = pd.read_parquet(d / "samples.parquet")
    acc = (df.phase == "measure") & df.window.isna()
    idx = df.index[acc]
    files = [f"{'anomaly' if i % 2 else 'normal'}_id_{i // 4:02d}" for i in range(len(idx))]
    df.loc[idx, "sample_id"] = [f"{f}#w{i % 4}" for i, f in enumerate(files)]
    df.loc[idx, "label"] = [1 if f.startswith("anomaly") else 0 for f in files]
    df.loc[idx, "score"] = [
        2.0 + (1.0 if f.startswith("anomaly") else 0.0) + 0.1 * (i % 3) for i, f in enumerate(files)
    ]
    df.loc[idx, "correct"] = None
    write_run(d, _records(df), {"run_id": d.name}, complete=True)
    html = render_html(collect(d.name, tmp_path))
    assert 'data-plot="ad-scores"' in html and "AUC" in html

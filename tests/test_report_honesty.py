"""The report about degenerate data, and trtexec's latency figures.

A constant distribution (an emulated board's exact counts) is one line, not a histogram
spike; a dataset with one device-choice candidate is one line, not a one-point Pareto
front; mean, min, max, p95 and throughput stand beside median/p90/p99. And the report's
modules import one another without a cycle (renderers only render).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from benchmarks.report_speed import synthetic_run
from hilbench.report.html import render_html
from hilbench.report.markdown import render_markdown
from hilbench.report.model import collect
from hilbench.report.table import summary_table
from hilbench.results.history import history
from hilbench.results.store import write_run
from hilbench.results.summary import summarize
from tests.clihelp import run_cli

RID = "20261128T120000Z-00c0de"
MODELS = ["kws_int8.tflite", "kws_pruned_int8.tflite"]
CYCLES = 3_000_017  # every measured inference of the constant run
HZ = 25_000_000  # mps2-an386's nominal clock in benchmarks/report_speed.py


def _records(df: pd.DataFrame) -> list[dict]:
    return df.astype(object).where(df.notna(), None).to_dict("records")


def _constant_run(tmp: Path, models: list[str] | None = None) -> pd.DataFrame:
    """An emulated run whose measured inferences all take CYCLES instructions (the warm-up
    differs); returns its samples."""
    synthetic_run(tmp, RID, samples=200, boards=["mps2-an386"], models=models or MODELS[:1])
    d = tmp / RID
    df = pd.read_parquet(d / "samples.parquet")
    m = df["phase"] == "measure"
    df.loc[m, "cycles"] = CYCLES
    df.loc[m, "ticks"] = CYCLES
    df.loc[m, "latency_us"] = CYCLES / HZ * 1e6
    (d / "samples.parquet").unlink()
    write_run(d, _records(df), {"run_id": RID}, complete=True)
    return df


_CONSTANT = re.compile(
    r"latency constant at ([\d,.]+) (µs|ms|s) \(([\d,]+) cycles\) over ([\d,]+) inferences "
    r"\(qemu_icount\)"
)


def test_a_constant_distribution_is_one_line_not_a_spike(tmp_path: Path) -> None:
    df = _constant_run(tmp_path)
    rep = collect(RID, tmp_path)
    (c,) = rep.combos
    line = c.constant_line
    assert line is not None
    m = _CONSTANT.search(line)
    assert m, line
    value, unit, cycles, n = m.groups()
    scale = {"µs": 1.0, "ms": 1e3, "s": 1e6}[unit]
    assert float(value.replace(",", "")) * scale == pytest.approx(CYCLES / HZ * 1e6, rel=1e-6)
    assert int(cycles.replace(",", "")) == CYCLES
    # every measured row (the cold first one took the same time: counted in, no cold clause)
    assert int(n.replace(",", "")) == int((df["phase"] == "measure").sum())
    assert "cold" not in line

    html = render_html(rep)
    assert line in html
    assert 'data-plot="latency-hist"' not in html  # no spike drawn
    assert 'data-plot="latency-seq"' in html  # the execution order still is
    assert html.count('<figure class="plot"') == html.count("<svg xmlns=")  # no empty figure left behind
    assert line in render_markdown(rep)
    r = run_cli("show", RID, "--results-dir", str(tmp_path))
    assert r.code == 0, r.stderr
    assert line in r.stdout


def test_a_constant_steady_state_names_a_different_cold_inference(tmp_path: Path) -> None:
    _constant_run(tmp_path)
    d = tmp_path / RID
    df = pd.read_parquet(d / "samples.parquet")
    first = df.index[df["phase"] == "measure"][0]  # the cold first measured inference
    df.loc[first, ["cycles", "ticks"]] = 2 * CYCLES
    df.loc[first, "latency_us"] = 2 * CYCLES / HZ * 1e6
    (d / "samples.parquet").unlink()
    write_run(d, _records(df), {"run_id": RID}, complete=True)
    (c,) = collect(RID, tmp_path).combos
    line = c.constant_line
    assert line is not None
    m = re.search(
        r"latency constant at [\d,.]+ (?:µs|ms|s) \(([\d,]+) cycles\) over ([\d,]+) steady-state "
        r"inferences \(qemu_icount\); the cold first measured inference took ([\d,.]+) (µs|ms|s)",
        line,
    )
    assert m, line
    assert int(m.group(1).replace(",", "")) == CYCLES
    assert int(m.group(2).replace(",", "")) == int((df["phase"] == "measure").sum()) - 1
    scale = {"µs": 1.0, "ms": 1e3, "s": 1e6}[m.group(4)]
    assert float(m.group(3).replace(",", "")) * scale == pytest.approx(2 * CYCLES / HZ * 1e6, rel=1e-6)


def test_a_spread_distribution_is_drawn(tmp_path: Path) -> None:
    synthetic_run(tmp_path, RID, samples=200, boards=["mps2-an386"], models=MODELS[:1])
    rep = collect(RID, tmp_path)
    assert rep.combos[0].constant_line is None
    assert 'data-plot="latency-hist"' in render_html(rep)


def test_one_device_choice_candidate_is_one_line(tmp_path: Path) -> None:
    synthetic_run(tmp_path, RID, samples=200, boards=["mps2-an386"], models=MODELS[:1])
    rep = collect(RID, tmp_path)
    line = rep.single_choice_line("kws01")
    assert line is not None and "one candidate (mps2-an386 · kws_int8)" in line
    html = render_html(rep)
    assert line in html and 'data-plot="pareto"' not in html
    md = render_markdown(rep)
    assert "one candidate (mps2-an386 · kws_int8)" in md
    r = run_cli("show", RID, "--results-dir", str(tmp_path))
    assert r.code == 0 and line in r.stdout, r.stderr


def test_two_candidates_draw_a_front(tmp_path: Path) -> None:
    synthetic_run(tmp_path, RID, samples=200, boards=["mps2-an386"], models=MODELS)
    rep = collect(RID, tmp_path)
    assert rep.single_choice_line("kws01") is None
    html = render_html(rep)
    assert 'data-plot="pareto"' in html and "one candidate" not in html


def _linear_percentile(xs: list[float], q: float) -> float:
    """Hyndman & Fan type 7, written out: the value at position (n - 1) * q of the sorted xs."""
    s = sorted(xs)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def test_trtexec_figures_and_throughput(tmp_path: Path) -> None:
    synthetic_run(tmp_path, RID, samples=300, boards=["nucleo-l4r5zi"], models=MODELS[:1])
    df = pd.read_parquet(tmp_path / RID / "samples.parquet")
    lat = [float(v) for v in df[df["phase"] == "measure"]["latency_us"]]
    s = summarize(df).iloc[0]
    mean = sum(lat) / len(lat)
    assert s["latency_us_mean"] == pytest.approx(mean)
    assert (s["latency_us_min"], s["latency_us_max"]) == (min(lat), max(lat))
    for q in (0.5, 0.9, 0.95, 0.99):
        key = "median" if q == 0.5 else f"p{round(q * 100)}"
        assert s[f"latency_us_{key}"] == pytest.approx(_linear_percentile(lat, q)), key
    assert s["throughput_per_s"] == pytest.approx(1e6 / mean)
    # the history query (DuckDB over the samples) agrees
    (h,) = history(tmp_path).to_dict("records")
    assert h["latency_us_mean"] == pytest.approx(mean)
    assert h["latency_us_p95"] == pytest.approx(_linear_percentile(lat, 0.95))
    assert h["throughput_per_s"] == pytest.approx(1e6 / mean)

    # the terminal tables: trtexec's figures in µs, the throughput with its timing source
    buf = Console(width=240, record=True)
    buf.print(summary_table(summarize(df)))
    text = buf.export_text()
    row = next(
        ln
        for ln in text.splitlines()
        if "kws_int8.tflite" in ln and "dwt_cycles" in ln and f"{1e6 / mean:,.1f}" in ln
    )
    for v in (min(lat), mean, _linear_percentile(lat, 0.95), max(lat)):
        assert f"{v:,.1f}" in row, (v, row)
    assert "inf/s" in text and "1e6 / mean µs" in text

    # the HTML and Markdown summary tables
    rep = collect(RID, tmp_path)
    html, md = render_html(rep), render_markdown(rep)
    u = rep.combos[0].unit
    for v in (mean, min(lat), max(lat), _linear_percentile(lat, 0.95)):
        assert u.show(v) in html and u.show(v) in md, v
    assert f"{1e6 / mean:,.1f}" in html and f"{1e6 / mean:,.1f}" in md
    assert "| p95 | p99 | inf/s |" in md


def test_html_and_markdown_render_the_same_combinations(tmp_path: Path) -> None:
    synthetic_run(tmp_path, RID, samples=400, boards=["mps2-an386", "nucleo-l4r5zi"], models=MODELS)
    rep = collect(RID, tmp_path)
    html, md = render_html(rep), render_markdown(rep)
    for sec in ("run", "summary", "latency", "layers", "accuracy", "fidelity", "energy", "trend", "choice"):
        assert f'<section id="{sec}">' in html, sec
    for c in rep.combos:
        med = c.unit.show(c.summary["latency_us_median"])
        assert f"| {c.board} | {c.model} |" in md
        assert med in md and med in html
    assert "Pareto front" in html and "Pareto front" in md


def _imports(path: Path, root: Path) -> set[str]:
    """Every hilbench module `path` imports, at module level or inside functions."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hilbench"):
            out.add(node.module)
            for a in node.names:  # `from hilbench.report import svg` imports a module
                if (root / (node.module + "." + a.name).replace(".", "/")).exists() or (
                    root / ((node.module + "." + a.name).replace(".", "/") + ".py")
                ).is_file():
                    out.add(f"{node.module}.{a.name}")
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("hilbench")}
    return out


def test_report_and_results_modules_have_no_import_cycle() -> None:
    root = Path(__file__).resolve().parents[1]
    mods: dict[str, set[str]] = {}
    for sub in ("hilbench/report", "hilbench/results"):
        for p in (root / sub).rglob("*.py"):
            rel = p.relative_to(root).with_suffix("")
            name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
            mods[name] = _imports(p, root)
    assert "hilbench.report.html" in mods and "hilbench.report.markdown" in mods
    assert "hilbench.report.html" not in mods["hilbench.report.markdown"]
    graph = {m: {d for d in deps if d in mods and d != m} for m, deps in mods.items()}
    # a package's __init__ re-exporting its own submodules is not a cycle of the code
    graph = {
        m: {
            d
            for d in deps
            if not (m.startswith(d + ".") and d in ("hilbench.report.svg", "hilbench.results"))
        }
        for m, deps in graph.items()
    }
    state: dict[str, int] = {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(d) :], d]))
            if d not in state:
                visit(d, [*stack, d])
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])

"""The HTML report of one run: one self-contained file that works offline.

Page assembly only: `hilbench.report.model.collect()` gathers what a report shows from the
results store; each section of the page is built by its module in
`hilbench.report.sections` (inline SVG charts and table rows); `render_html()` puts them
through the Jinja template in `templates/`; `write_report()` collects, renders (HTML, or
Markdown via `hilbench.report.markdown`) and writes the file. The Markdown summary and
`hilbench show` render the same collected model, so the three never disagree.

No CDN and no plotting library: the charts are hand-written SVG (`hilbench.report.svg`)
with native tooltips. The only script is a few lines that record JavaScript errors into
the page (``#js-errors``) and check that every plot has drawn, for the headless-browser
test. Docs: docs/reports.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from hilbench import __version__
from hilbench.errors import HilbenchError
from hilbench.report.markdown import render_markdown
from hilbench.report.model import REPORT_NAME, Report, collect, resolve_run
from hilbench.report.rows import summary_rows, verdict_rows
from hilbench.report.sections.accuracy import accuracy_views
from hilbench.report.sections.bit_exact import fidelity_view
from hilbench.report.sections.choice import choice_views
from hilbench.report.sections.energy import energy_view
from hilbench.report.sections.latency import latency_charts
from hilbench.report.sections.layers import layer_chart
from hilbench.report.sections.run import env_rows, meta_rows
from hilbench.report.sections.trend import trend_views
from hilbench.results.store import run_dir

# cli.py imports collect, resolve_run and REPORT_NAME from here (they live in report.model).
__all__ = ["REPORT_NAME", "collect", "render_html", "resolve_run", "write_report"]


def render_html(rep: Report) -> str:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("hilbench.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    boards: dict[str, list[dict[str, Any]]] = {}
    for c in rep.combos:
        boards.setdefault(c.board, []).append(
            dict(label=c.key, caveat=c.short_caveat, star=c.emulated, **latency_charts(c))
        )
    layers = []
    for c in rep.combos:
        if len(c.layers):
            chart, rows = layer_chart(c)
            layers.append(dict(label=c.key, svg=chart, rows=rows, caveat=c.short_caveat, star=c.emulated))
    ctx = dict(
        rep=rep,
        title=f"hilbench report · {rep.run_id}",
        meta=meta_rows(rep),
        env=env_rows(rep),
        summary=summary_rows(rep),
        latency=boards,
        layers=layers,
        accuracy=accuracy_views(rep),
        fidelity=fidelity_view(rep),
        energy=energy_view(rep),
        trend=trend_views(rep),
        verdicts=verdict_rows(rep),
        choice=choice_views(rep),
        caveats=rep.caveats,
        version=__version__,
        css=(Path(__file__).parent / "templates" / "report.css").read_text(),
        js=(Path(__file__).parent / "templates" / "report.js").read_text(),
    )
    return env.get_template("report.html.j2").render(**ctx)


def write_report(
    run_id: str,
    out: Path | None = None,
    results_dir: str | Path | None = None,
    baseline: str | None = None,
    fmt_: str = "html",
) -> Path:
    """Write the HTML (or Markdown) report of a run; the default HTML path is
    results/<run-id>/report.html. Returns the path written."""
    rep = collect(run_id, results_dir, baseline)
    if fmt_ == "md":
        html = run_dir(run_id, results_dir) / REPORT_NAME
        text = render_markdown(rep, html_path=html if html.is_file() else None)
        out = out or run_dir(run_id, results_dir) / "report.md"
    elif fmt_ == "html":
        text = render_html(rep)
        out = out or run_dir(run_id, results_dir) / REPORT_NAME
    else:
        raise HilbenchError(f"--format must be html or md, not '{fmt_}'")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    return out

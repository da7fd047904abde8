"""`hilbench show <run-id>`: a run's summary in the terminal, from the same collected data
as the HTML report (`hilbench.report.model.collect`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from rich.console import Console, JustifyMethod
from rich.table import Table

from hilbench.report.format import fmt, pct
from hilbench.report.model import REPORT_NAME, Report
from hilbench.report.table import layers_table, summary_table, verdict_table
from hilbench.results.store import run_dir


def link_lines(events: pd.DataFrame, limit: int = 6) -> list[str]:
    """The link's retransmission rate and adaptations, one line each (from the run's
    `retransmit` and `link_adapt` events): a run that survived a noisy line says so."""
    if events is None or events.empty:
        return []
    # The per-job retransmission rates first: a noisy line's adaptation episodes can be many.
    rows = pd.concat([events[events["kind"] == "retransmit"], events[events["kind"] == "link_adapt"]])
    lines = [
        f"link: {r.get('board') or '-'}{' ' + r['job_id'] if r.get('job_id') else ''}: {r.get('detail')}"
        for r in rows.head(limit).to_dict("records")
    ]
    if len(rows) > limit:
        lines.append(f"link: ... {len(rows) - limit} more link events (hilbench report)")
    return lines


def show_run(
    rep: Report, console: Console, layers: bool = False, results_dir: str | Path | None = None
) -> None:
    m = rep.meta
    from rich.markup import escape

    status = f"[red]{escape(rep.status)}[/]" if rep.partial else "[green]complete[/]"
    console.print(f"[bold]run {rep.run_id}[/]  {status}")
    if rep.partial and rep.meta.get("status") == "partial":
        console.print(f"finish it with `hilbench run --resume {rep.run_id}`", style="dim", highlight=False)
    if rep.event_counts:
        console.print(
            "events: " + ", ".join(f"{k} {n}" for k, n in rep.event_counts.items()), highlight=False
        )
    for line in link_lines(rep.events):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    bits = [
        f"suite {m['suite']}" if m.get("suite") else None,
        f"started {m.get('started_at', '-')}",
        f"host {m.get('host', '-')}",
        f"commit {str(m.get('git_commit'))[:12]}" if m.get("git_commit") else None,
        f"hilbench {m.get('hilbench_version', '-')}",
    ]
    console.print("  ".join(b for b in bits if b), highlight=False)
    if rep.combos:
        df = pd.DataFrame(
            [
                dict(
                    board=c.board,
                    model=c.model,
                    dataset=c.dataset,
                    timing_source=c.timing_source,
                    emulated=c.emulated,
                    **c.summary,
                )
                for c in rep.combos
            ]
        )
        console.print(summary_table(df, title=f"hilbench run {rep.run_id}"))
        for c in rep.combos:
            if c.constant_line:
                console.print(f"{c.key}: {c.constant_line}", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print("no measured inferences")
    for c in rep.combos:
        arena = c.job.get("arena_used")
        extra = f", arena {fmt(arena)} bytes" if arena is not None else ""
        e = c.energy
        energy = f", energy median {e.median():,.2f} µJ/inference" if len(e) else ""
        if extra or energy:
            console.print(f"{c.key}{extra}{energy}", highlight=False)
    if not rep.has_energy:
        console.print("no energy measured in this run", style="dim")
    if layers:
        for c in rep.combos:
            if len(c.layers):
                console.print(
                    layers_table(
                        c.layers.sort_values("op_index").to_dict("records"),
                        title=f"per-layer profile: {c.key}",
                    )
                )
    if rep.baseline:
        console.print(verdict_table(rep.verdicts, f"{rep.run_id} vs baseline {rep.baseline}"))
    t = Table(title="device choice: Pareto front (accuracy vs median latency; vs RAM)", title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        ("dataset", "left"),
        ("board", "left"),
        ("model", "left"),
        ("median ms", "right"),
        ("accuracy", "right"),
        ("arena B", "right"),
        ("front", "left"),
        ("run", "left"),
    ]
    for col, j in columns:
        t.add_column(col, justify=j)
    singles = {ds: one for ds in rep.datasets if (one := rep.single_choice_line(ds))}
    for one in singles.values():
        console.print(one, markup=False, highlight=False, soft_wrap=True)
    for p in sorted(
        rep.choice,
        key=lambda p: (p["dataset"], p["latency_ms"] if p["latency_ms"] == p["latency_ms"] else 1e30),
    ):
        if p["dataset"] in singles:
            continue
        fronts = [
            n
            for n, k in (
                ("latency", "front_latency_ms"),
                ("RAM", "front_arena"),
                ("energy", "front_energy_uj"),
            )
            if p.get(k)
        ]
        if not fronts:
            continue
        t.add_row(
            p["dataset"],
            p["board"],
            p["model"],
            fmt(p["latency_ms"], "{:,.3f}") + ("*" if p["emulated"] else ""),
            f"{p['accuracy_name']} {pct(p['accuracy'])}",
            fmt(p["arena"]),
            ", ".join(fronts),
            "this run" if p["current"] else p["run_id"],
        )
    if t.row_count:
        console.print(t)
    html = run_dir(rep.run_id, results_dir) / REPORT_NAME
    if html.is_file():
        console.print(f"report: {html}")

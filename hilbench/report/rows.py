"""The table rows both renderers print (the summary per board x model and the verdicts
against a baseline), built once from the collected report so HTML and Markdown agree."""

from __future__ import annotations

from typing import Any

from hilbench.report.format import fmt, num, pct, source_badge
from hilbench.report.model import Report
from hilbench.results.stats import phase_labels


def summary_rows(rep: Report) -> list[dict[str, Any]]:
    """One row per board x model x dataset, every figure formatted; latencies in the
    combination's unit, marked * when emulated. `throughput` is inferences/s from the mean
    latency (`hilbench.results.stats.throughput_per_s`), in the row's `source` time."""
    out = []
    for c in rep.combos:
        s = c.summary
        u, m = c.unit, c.mark
        acc_name, acc = c.accuracy
        e = c.energy
        first = (
            c.rows[phase_labels(c.rows.reset_index(drop=True)).to_numpy() == "cold"]
            if len(c.rows)
            else c.rows
        )
        cold = first["latency_us"].iloc[0] if len(first) else None
        out.append(
            dict(
                board=c.board,
                model=c.model,
                dataset=c.dataset,
                n=int(s.get("n") or 0),
                median=u.show(s.get("latency_us_median")) + m,
                p90=u.show(s.get("latency_us_p90")) + m,
                p95=u.show(s.get("latency_us_p95")) + m,
                p99=u.show(s.get("latency_us_p99")) + m,
                mean=u.show(s.get("latency_us_mean")) + m,
                min=u.show(s.get("latency_us_min")) + m,
                max=u.show(s.get("latency_us_max")) + m,
                throughput=fmt(s.get("throughput_per_s"), "{:,.1f}")
                + (m if num(s.get("throughput_per_s")) is not None else ""),
                cv=fmt(
                    s.get("cycles_cv") if num(s.get("cycles_cv")) is not None else s.get("latency_us_cv"),
                    "{:.2%}",
                ),
                cycles=fmt(s.get("cycles_median")) + (m if num(s.get("cycles_median")) is not None else ""),
                cold=u.show(cold) + m,
                source=c.timing_source,
                badge=source_badge(c.timing_source, c.emulated),
                accuracy=(f"{acc_name} " if acc_name != "top-1" else "") + pct(acc),
                bit_exact=fmt(s.get("bit_exact_pct"), "{:.1f} %"),
                mpc=fmt(s.get("mac_per_cycle"), "{:.3f}"),
                arena=fmt(c.job.get("arena_used"), "{:,.0f} B"),
                energy=fmt(e.median() if len(e) else None, "{:,.2f} µJ"),
            )
        )
    return out


def verdict_rows(rep: Report) -> list[dict[str, Any]]:
    def f(x: Any) -> str:
        v = num(x)
        if v is None:
            return "–"
        return f"{v:,.4f}" if abs(v) < 10 else f"{v:,.0f}"

    return [
        dict(
            board=v.board or "",
            model=v.model or "",
            metric=v.metric,
            unit=v.unit,
            baseline=f(v.baseline),
            candidate=f(v.candidate),
            effect="–" if v.effect is None else f"{v.effect:+.2%}",
            p="–" if v.p_value is None else f"{v.p_value:.2g}",
            method=v.method,
            verdict=v.verdict,
            detail=v.detail,
        )
        for v in rep.verdicts
    ]

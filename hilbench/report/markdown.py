"""A Markdown summary of a run for a CI comment (GitHub / GitLab flavoured).

The same collected report as the HTML page (`hilbench.report.model.collect`): the run in one
line, a table per board x model with the emulated caveat, the verdicts against a baseline
(regressions first, the rest folded away), the device-choice Pareto front per dataset,
and where the full HTML report is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hilbench.report.format import fmt, num, pct, stem
from hilbench.report.model import Report
from hilbench.report.rows import summary_rows, verdict_rows

ICON = {"regressed": "🔴", "improved": "🟢", "unchanged": "⚪", "inconclusive": "🟡"}


def _cell(s: Any) -> str:
    return str(s).replace("|", "\\|").replace("*", "\\*").replace("\n", " ")


def _table(
    header: list[str], rows: list[list[Any]], right: frozenset[int] | set[int] = frozenset()
) -> list[str]:
    out = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---:" if i in right else "---" for i in range(len(header))) + "|",
    ]
    out += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return out


def _front_point(p: dict[str, Any]) -> str:
    star = "\\*" if p["emulated"] else ""
    arena = f", {fmt(p['arena'], '{:,.0f}')} B" if num(p["arena"]) is not None else ""
    return (
        f"**{p['board']} · {stem(p['model'])}** ({fmt(p['latency_ms'], '{:,.3f}')} ms{star}, "
        f"{p['accuracy_name']} {pct(p['accuracy'])}{arena})"
    )


def render_markdown(rep: Report, html_path: str | Path | None = None) -> str:
    m = rep.meta
    lines: list[str] = []
    status = "❌ failed (partial results)" if rep.partial else "✅ complete"
    head = f"### hilbench run `{rep.run_id}` {status}"
    if rep.baseline:
        n = len(rep.regressed)
        head += f" · {'🔴 ' + str(n) + ' regressed' if n else '🟢 no regression'} vs `{rep.baseline}`"
    lines.append(head)
    lines.append("")
    bits = []
    if m.get("suite"):
        bits.append(f"suite **{m['suite']}**")
    if m.get("git_commit"):
        bits.append(
            f"commit `{str(m['git_commit'])[:12]}{'+dirty' if str(m['git_commit']).endswith('+dirty') else ''}`"
        )
    if m.get("host"):
        bits.append(f"host `{m['host']}`")
    bits.append(f"{len(rep.combos)} board × model × dataset")
    lines += [" · ".join(bits), ""]

    if rep.combos:
        rows = summary_rows(rep)
        lines += _table(
            [
                "board",
                "model",
                "dataset",
                "n",
                "median",
                "mean",
                "min",
                "max",
                "p95",
                "p99",
                "inf/s",
                "median cycles",
                "timing",
                "accuracy",
                "bit-exact",
                "arena",
                "energy",
            ],
            [
                [
                    r["board"],
                    r["model"],
                    r["dataset"],
                    r["n"],
                    r["median"],
                    r["mean"],
                    r["min"],
                    r["max"],
                    r["p95"],
                    r["p99"],
                    r["throughput"],
                    r["cycles"],
                    r["source"],
                    r["accuracy"],
                    r["bit_exact"],
                    r["arena"],
                    r["energy"],
                ]
                for r in rows
            ],
            right={3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16},
        )
        constant = [c.constant_line for c in rep.combos if c.constant_line]
        if constant:
            lines.append("")
            lines += [f"- {c.key}: {c.constant_line}" for c in rep.combos if c.constant_line]
        lines.append("")
        for c in rep.caveats:
            star = "\\* " if c["star"] else ""
            lines.append(f"<sub>{star}{c['text']}</sub><br>")
        if rep.caveats:
            lines.append("")
    else:
        lines += ["_No measured inferences._", ""]

    if rep.baseline:
        vr = verdict_rows(rep)
        bad = [v for v in vr if v["verdict"] in ("regressed", "inconclusive")]
        title = f"#### Compared with `{rep.baseline}`" + (
            f" ({rep.baseline_ref})" if rep.baseline_ref != rep.baseline else ""
        )
        lines += [title, ""]
        counts = {k: sum(v["verdict"] == k for v in vr) for k in ICON}
        lines.append(" · ".join(f"{ICON[k]} {n} {k}" for k, n in counts.items() if n) or "no verdicts")
        lines.append("")
        vt = [
            [
                ICON[v["verdict"]] + " " + v["verdict"],
                v["board"],
                v["model"],
                v["metric"],
                v["baseline"],
                v["candidate"],
                v["effect"],
                v["method"],
            ]
            for v in vr
        ]
        header = ["verdict", "board", "model", "metric", "baseline", "this run", "effect", "method"]
        if bad:
            lines += _table(header, [r for r, v in zip(vt, vr) if v in bad], right={4, 5, 6})
            lines.append("")
        rest = [r for r, v in zip(vt, vr) if v not in bad]
        if rest:
            lines += ["<details><summary>" + f"{len(rest)} other verdicts" + "</summary>", ""]
            lines += _table(header, rest, right={4, 5, 6})
            lines += ["", "</details>", ""]

    fronts = []
    for ds in rep.datasets:
        single = rep.single_choice_line(ds)
        pts = [p for p in rep.choice if p["dataset"] == ds and p.get("front_latency_ms")]
        if single:
            fronts.append(f"- `{ds}`: {single.split(': ', 1)[1]}")
        elif pts:
            fronts.append(
                f"- `{ds}`: " + ", ".join(_front_point(p) for p in sorted(pts, key=lambda p: p["latency_ms"]))
            )
    if fronts:
        lines += ["#### Device choice: Pareto front of accuracy vs latency", ""] + fronts + [""]

    if rep.has_energy:
        lines.append("Energy measured: see the report's energy section.")
    if html_path:
        lines.append(f"Full report: `{html_path}`")
    lines.append(f"<sub>hilbench report · generated {rep.generated_at}</sub>")
    return "\n".join(lines).rstrip() + "\n"

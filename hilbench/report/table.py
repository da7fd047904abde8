"""The terminal results table.

Every latency figure says where it comes from: on an emulated board the "cycles" are QEMU
instruction counts (`qemu_icount`) and the microseconds are those counts at the board's
nominal clock, so the table marks them instead of passing them off as silicon timings.
"""

from __future__ import annotations

import math

import pandas as pd
from rich.console import Group, JustifyMethod
from rich.table import Table

from hilbench.report.caveats import emulated_note
from hilbench.results.verdict import Verdict


def _num(x: object, fmt: str = "{:,.0f}") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA:
        return "-"
    return fmt.format(x)


def summary_table(summary: pd.DataFrame, title: str = "hilbench results") -> Group:
    """The results table (cycles, accuracy, fidelity per board x model) followed by the
    latency table (`latency_table`: trtexec's figures and the throughput)."""
    return Group(results_table(summary, title), latency_table(summary))


def latency_table(summary: pd.DataFrame, title: str = "latency per inference (µs) and throughput") -> Table:
    """trtexec's latency figures per board x model: min, mean, median, p90, p95, p99, max in
    µs, and the throughput, inferences/s = 1e6 / mean µs, in the time of the row's timing
    source (marked * when emulated: at the nominal clock, not silicon time)."""
    t = Table(title=title, title_justify="left")
    for col in (
        "board",
        "model",
        "n",
        "min",
        "mean",
        "median",
        "p90",
        "p95",
        "p99",
        "max",
        "inf/s",
        "timing source",
    ):
        t.add_column(col, justify="left" if col in ("board", "model", "timing source") else "right")
    for r in summary.to_dict("records"):
        mark = "*" if r.get("emulated") else ""
        us = [
            _num(r.get(f"latency_us_{k}"), "{:,.1f}") + mark
            for k in ("min", "mean", "median", "p90", "p95", "p99", "max")
        ]
        tp = r.get("throughput_per_s")
        t.add_row(
            str(r["board"]),
            str(r["model"]),
            str(int(r["n"])),
            *us,
            _num(tp, "{:,.1f}") + ("" if _missing(tp) else mark),
            str(r["timing_source"]),
        )
    t.caption = "inf/s: inferences per second, 1e6 / mean µs, in the timing source's time" + (
        "; * emulated: at the board's nominal clock, not silicon time"
        if any(bool(r.get("emulated")) for r in summary.to_dict("records"))
        else ""
    )
    t.caption_justify = "left"
    return t


def results_table(summary: pd.DataFrame, title: str = "hilbench results") -> Table:
    t = Table(title=title, title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        ("board", "left"),
        ("model", "left"),
        ("n", "right"),
        ("median cycles", "right"),
        ("p90", "right"),
        ("p99", "right"),
        ("CV", "right"),
        ("median µs", "right"),
        ("timing source", "left"),
        ("accuracy", "right"),
        ("bit-exact", "right"),
        ("MAC/cycle", "right"),
    ]
    for col, just in columns:
        t.add_column(col, justify=just)
    notes: set[str] = set()
    for r in summary.to_dict("records"):
        emulated = bool(r.get("emulated"))
        mark = "*" if emulated else ""
        if emulated:
            notes.add("* " + emulated_note(r.get("timing_source"), f"{r['clock_hz'] / 1e6:g} MHz"))
        if r.get("timing_source") == "host_clock":
            notes.add("host_clock: microseconds of the host CPU, not of any device")
        top1 = _accuracy_cell(r, notes)
        t.add_row(
            str(r["board"]),
            str(r["model"]),
            str(int(r["n"])),
            _num(r.get("cycles_median")) + mark,
            _num(r.get("cycles_p90")) + mark,
            _num(r.get("cycles_p99")) + mark,
            _num(
                r.get("cycles_cv") if not _missing(r.get("cycles_cv")) else r.get("latency_us_cv"), "{:.2%}"
            ),
            _num(r.get("latency_us_median"), "{:,.1f}") + mark,
            str(r["timing_source"]),
            top1,
            _num(r.get("bit_exact_pct"), "{:.1f} %"),
            _num(r.get("mac_per_cycle"), "{:.3f}"),
        )
    if notes:
        t.caption = "\n".join(sorted(notes))
        t.caption_justify = "left"
    return t


def _accuracy_cell(r: dict, notes: set[str]) -> str:
    """top-1 (with ties) for classifiers; AUC, else the mean anomaly score, for AD; else "-".

    A model without predictions (an autoencoder) never shows a top-1 or ties.
    """
    if not _missing(r.get("top1")):
        cell = f"top-1 {100 * r['top1']:.1f} %"
        tied = r.get("top1_tied")
        if not _missing(tied) and tied:
            cell += f" ({int(tied)} tied)"
            notes.add("top-1 by argmax (lowest index wins a tie); tied: outputs whose maximum is shared")
        return cell
    if not _missing(r.get("auc")):
        notes.add("AUC: ROC AUC of the per-file anomaly scores (mean window MSE) against the labels")
        return f"AUC {r['auc']:.3f}"
    if not _missing(r.get("score_mean")):
        notes.add("score: mean anomaly score of the files (no AUC: the files are not labelled both ways)")
        return f"score {r['score_mean']:.4g}"
    return "-"


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def layers_table(layers: list[dict], title: str = "per-layer profile (one inference)") -> Table:
    """Where the time goes: cycles (or host µs), share of the total and MACs per cycle."""
    t = Table(title=title, title_justify="left")
    for col in ("op", "name", "MACs", "cycles", "µs", "share", "MAC/cycle"):
        t.add_column(col, justify="left" if col == "name" else "right")
    total = sum(r["ticks"] for r in layers) or 1
    for r in layers:
        cyc = r.get("cycles")
        t.add_row(
            str(r["op_index"]),
            r["op_name"],
            _num(r["macs"]),
            _num(cyc),
            _num(r["latency_us"], "{:,.1f}"),
            f"{100 * r['ticks'] / total:.1f} %",
            _num(r["macs"] / cyc if cyc and r["macs"] else None, "{:.3f}"),
        )
    if layers and layers[0].get("emulated"):
        t.caption = (
            "cycles: QEMU instruction counts (qemu_icount); µs at the board's nominal clock; not silicon time"
        )
        t.caption_justify = "left"
    return t


def history_table(df: pd.DataFrame, title: str = "hilbench history") -> Table:
    t = Table(title=title, title_justify="left")
    cols: list[tuple[str, JustifyMethod]] = [
        ("run", "left"),
        ("board", "left"),
        ("model", "left"),
        ("n", "right"),
        ("median cycles", "right"),
        ("median ms", "right"),
        ("source", "left"),
        ("top-1", "right"),
        ("bit-exact", "right"),
        ("arena B", "right"),
        ("commit", "left"),
    ]
    for c, j in cols:
        t.add_column(c, justify=j)
    for r in df.to_dict("records"):
        mark = "*" if r.get("emulated") else ""
        commit = r.get("git_commit")
        t.add_row(
            str(r["run_id"]) + ("" if r.get("status") in (None, "complete") else f" ({r['status']})"),
            str(r["board"]),
            str(r["model"]),
            str(int(r["n"])),
            _num(r.get("cycles_median")) + mark,
            _num(r.get("latency_ms"), "{:,.3f}") + mark,
            str(r.get("timing_source")),
            _num(None if r.get("top1") is None or pd.isna(r.get("top1")) else 100 * r["top1"], "{:.1f} %"),
            _num(r.get("bit_exact_pct"), "{:.1f} %"),
            _num(None if pd.isna(r.get("arena_used")) else r.get("arena_used")),
            (str(commit)[:12] if isinstance(commit, str) else "-"),
        )
    if any(df.get("emulated", pd.Series(dtype=bool)).fillna(False)):
        t.caption = (
            "* emulated: QEMU instruction counts (qemu_icount, ms at the board's nominal clock) or a DUT "
            "timer on QEMU virtual time (dut_timer_us); not silicon time"
        )
        t.caption_justify = "left"
    return t


def confusion_table(rec: dict) -> Table:
    """Confusion matrix of one board x model: rows are true labels, columns predictions."""
    cm = rec["confusion_matrix"]
    t = Table(
        title=f"confusion matrix: {rec['board']} / {rec['model']} (rows true, columns predicted)",
        title_justify="left",
    )
    t.add_column("true", justify="right")
    for j in range(len(cm)):
        t.add_column(str(j), justify="right")
    t.add_column("recall", justify="right")
    for i, row in enumerate(cm):
        total = sum(row)
        cells = [f"[bold]{v}[/]" if i == j else (str(v) if v else "·") for j, v in enumerate(row)]
        t.add_row(str(i), *cells, f"{100 * row[i] / total:.1f} %" if total else "-")
    return t


def verdict_table(verdicts: list[Verdict], title: str) -> Table:
    t = Table(title=title, title_justify="left")
    columns: list[tuple[str, JustifyMethod]] = [
        ("board", "left"),
        ("model", "left"),
        ("metric", "left"),
        ("baseline", "right"),
        ("candidate", "right"),
        ("effect", "right"),
        ("p", "right"),
        ("method", "left"),
        ("verdict", "left"),
    ]
    for col, j in columns:
        t.add_column(col, justify=j)
    style = {"regressed": "bold red", "improved": "green", "unchanged": "", "inconclusive": "yellow"}
    for v in verdicts:
        t.add_row(
            v.board or "",
            v.model or "",
            v.metric,
            _fmt_verdict(v.baseline),
            _fmt_verdict(v.candidate),
            "-" if v.effect is None else f"{v.effect:+.2%}",
            "-" if v.p_value is None else f"{v.p_value:.2g}",
            v.method,
            f"[{style.get(v.verdict, '')}]{v.verdict}[/]" if style.get(v.verdict) else v.verdict,
        )
    return t


def _fmt_verdict(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:,.4f}" if abs(x) < 10 else f"{x:,.0f}"

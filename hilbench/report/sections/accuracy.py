"""The accuracy section: a confusion matrix per distinct result, the anomaly score per file
for anomaly detection, or the plain top-1."""

from __future__ import annotations

from typing import Any

from hilbench.report import svg
from hilbench.report.format import fmt, num, pct, stem
from hilbench.report.model import Combo, Report
from hilbench.results.summary import ad_file_scores


def accuracy_views(rep: Report) -> list[dict[str, Any]]:
    """One entry per distinct (model, dataset, confusion matrix): boards whose outputs give
    the very same matrix share one heatmap."""
    out: list[dict[str, Any]] = []
    for c in rep.combos:
        s = c.summary
        cm = s.get("confusion_matrix")
        entry = dict(
            boards=[c.board],
            model=c.model,
            dataset=c.dataset,
            top1=pct(s.get("top1")),
            top5=pct(s.get("top5")),
            ties_any=pct(s.get("top1_ties_any")),
            tied=fmt(s.get("top1_tied")),
            auc=fmt(s.get("auc"), "{:.4f}"),
            pauc=fmt(s.get("pauc"), "{:.4f}"),
            n_files=fmt(s.get("n_files")),
            svg="",
            kind="none",
            n=_acc_n(c),
        )
        if isinstance(cm, list) and cm:
            for o in out:
                if (
                    o["kind"] == "cm"
                    and o["model"] == c.model
                    and o["dataset"] == c.dataset
                    and o["cm"] == cm
                ):
                    o["boards"].append(c.board)
                    break
            else:
                labels = [str(i) for i in range(len(cm))]
                entry.update(
                    kind="cm",
                    cm=cm,
                    svg=svg.heatmap(
                        cm, row_labels=labels, col_labels=labels, title=f"confusion matrix ({stem(c.model)})"
                    ),
                )
                out.append(entry)
        elif num(s.get("auc")) is not None or s.get("file_scores"):
            fs = s.get("file_scores") or {}
            f = ad_file_scores(c.rows)
            series = []
            for lab, name, col in ((0, "normal", svg.BLUE), (1, "anomaly", svg.VERMILION)):
                g = f[f["label"] == lab]
                if len(g):
                    series.append(
                        svg.Series(
                            name,
                            g.index.to_numpy(float),
                            g["score"].to_numpy(float),
                            col,
                            "points",
                            tips=[f"{a}: {b:.4g}" for a, b in zip(g["file"], g["score"], strict=False)],
                        )
                    )
            entry.update(
                kind="ad",
                svg=svg.line_chart(
                    series,
                    title="anomaly score per file",
                    x_label="file",
                    y_label="score (MSE)",
                    legend=[("normal", svg.BLUE, "dot"), ("anomaly", svg.VERMILION, "dot")],
                )
                if series
                else "",
                n=len(fs),
            )
            out.append(entry)
        else:
            entry["kind"] = "plain" if num(s.get("top1")) is not None else "none"
            out.append(entry)
    return out


def _acc_n(c: Combo) -> int:
    m = c.rows[(c.rows["phase"] == "measure") & c.rows["label"].notna()]
    if "window" in m:
        m = m[m["window"].isna()]
    return len(m)

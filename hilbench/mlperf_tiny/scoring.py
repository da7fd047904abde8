"""MLPerf Tiny's scoring rules (DESIGN.md §6) and the `results.txt` its submission checker reads.

- Performance: throughput of a window = N / (T1 - T0) on the DUT's own timer; a window
  counts only if it lasted at least `min_window_s` of DUT time (10 s by the rules); the
  result is the median over 5 windows.
- Accuracy (classifiers): top-1 over the files of `y_labels.csv`, one `infer 1 0` each,
  from the printed scores. A file whose true class *shares* the highest printed score
  counts as correct: that is how the 90.2 % MLPerf Tiny quotes for KWS on kws01 comes out
  (3 of its files have two classes tied at the top; strict argmax, lowest index winning,
  gives 90.1 %). hilbench reports both; `results.txt` carries the MLPerf figure.
- AD: the score of a file is the mean of its windows' printed scores; AUC over files
  (normal vs anomaly) with hilbench.results.metrics.roc_auc.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hilbench.results.metrics import roc_auc, topk_accuracy

MIN_WINDOW_S = 10.0  # the rules' minimum window of DUT time
WINDOWS = 5


@dataclass(frozen=True)
class Window:
    count: int
    elapsed_us: int

    @property
    def seconds(self) -> float:
        return self.elapsed_us / 1e6

    @property
    def throughput(self) -> float:
        """Inferences per second of DUT time."""
        return self.count / self.seconds if self.elapsed_us > 0 else float("inf")


def median_throughput(windows: list[Window]) -> float:
    if not windows:
        raise ValueError("no performance windows")
    return float(statistics.median(w.throughput for w in windows))


@dataclass(frozen=True)
class Accuracy:
    n: int
    top1_mlperf: float  # percent; a tie at the top containing the label counts
    top1_argmax: float  # percent; lowest index wins a tie
    tied: int  # files with more than one class at the top score


def accuracy(scores: list[tuple[float, ...]], labels: list[int]) -> Accuracy:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels, dtype=np.int64)
    tied = int(((s == s.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum()) if len(s) else 0
    return Accuracy(len(y), 100.0 * topk_accuracy(s, y, 1, ties="any"), 100.0 * topk_accuracy(s, y, 1), tied)


@dataclass(frozen=True)
class AdResult:
    file_scores: dict[str, float]
    labels: dict[str, int | None]
    auc: float | None  # None unless both normal and anomalous files were scored


def ad_result(window_scores: list[tuple[str, int | None, float]]) -> AdResult:
    """(file, label, printed window score) -> per-file mean and AUC."""
    per: dict[str, list[float]] = {}
    labels: dict[str, int | None] = {}
    for f, label, score in window_scores:
        per.setdefault(f, []).append(score)
        labels[f] = label
    files = {f: float(np.mean(v)) for f, v in per.items()}
    lab = [(files[f], labels[f]) for f in files if labels[f] is not None]
    y = np.asarray([int(v[1]) for v in lab], dtype=np.int64)  # type: ignore[arg-type]
    auc = roc_auc([v[0] for v in lab], y) if len(y) and 0 < y.sum() < len(y) else None
    return AdResult(files, labels, auc)


def results_txt_lines(*, mode: str, board: str, dut_name: str, model_id: str, emulated: bool,
                      windows: list[Window] | None = None, min_window_s: float = MIN_WINDOW_S,
                      acc: Accuracy | None = None, ad: AdResult | None = None) -> list[str]:
    """The lines of results.txt: information first, then the lines the checker reads
    (`Median throughput is X inf./sec.`, `Top 1% = X`, `AUC = X`)."""
    lines = [
        f"hilbench MLPerf Tiny {mode} mode: board {board}, DUT {dut_name!r}, model {model_id}",
        "Timing: the DUT's own timer (m-lap-us)" + (
            "; EMULATED board: µs of QEMU virtual time (instruction counts), not silicon time" if emulated else ""),
    ]
    if windows is not None:
        for i, w in enumerate(windows):
            lines.append(f"Window {i}: {w.count} inferences in {w.seconds:.6f} s = {w.throughput:.3f} inf./sec.")
        if min_window_s < MIN_WINDOW_S:
            lines.append(f"Note: windows of at least {min_window_s:g} s, shorter than the rules' "
                         f"{MIN_WINDOW_S:g} s: not a compliant result")
        lines.append(f"Median throughput is {median_throughput(windows):.3f} inf./sec.")
    if acc is not None:
        # The headline is the official runner's rule (argmax, the lowest index wins a tie);
        # counting a tie as correct is a fact beside it, never under the same name.
        lines.append(f"Files: {acc.n}; tied at the top: {acc.tied}; counting a tie as correct: {acc.top1_mlperf:.1f} %")
        lines.append(f"Top 1% = {acc.top1_argmax:.1f}")
    if ad is not None:
        lines.append(f"Files: {len(ad.file_scores)}")
        lines.append(f"AUC = {ad.auc:.4f}" if ad.auc is not None else
                     "AUC = n/a (needs both normal and anomalous files)")
    return lines


def write_results_txt(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path

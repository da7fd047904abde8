"""MLPerf Tiny's scoring rules, exactly as the official runner computes them, and the lines
of the `results.txt` the submission checker reads (docs/mlperf-tiny.md, "Scoring rules").

The reference is mlcommons/tiny `benchmark/runner/` (a copy in
`../shared/third_party/mlperf-tiny`); every rule below names the function it copies:

- Performance (`script.py` `_ScriptInferStep._print_AP_results`): the throughput of a
  window is N / ((T1 - T0) / 1e6), N the `infer N W` count asked for (not the results
  printed), T0/T1 the DUT's `m-lap-us-` readings; 0 when T1 - T0 <= 0. The result is
  `np.median` over the windows (`main.py` `summarize_result`). ERROR 1 when the loop count
  is not 5; ERROR 2 when the whole loop of windows took < 10 s of *host wall time*
  (`_ScriptLoopStep.run`), which is not the DUT time of a window.
- Accuracy (`main.py` `summarize_result`, `calculate_accuracy`, `normalize_probabilities`):
  the printed scores of a file are divided by their sum when there are more than one;
  `Top 1%` = 100 * correct / files with `np.argmax` (the lowest index wins a tie); AUC is
  sklearn's `roc_auc_score` on the normalised scores: column 1 for two classes, else
  `multi_class='ovr'` (macro average).
- AD (same functions): a file's score is the mean of its segments' scores; `Top 1%` is the
  best (precision + recall) / 2 over 100 thresholds min + k/100 * (max - min), a file
  anomalous when its score > the threshold; AUC is `roc_auc_score` of the file scores.

hilbench adds facts on lines of its own (`hilbench:`), never a number under the runner's
names; in particular the count of files whose label *shares* the top score (ties).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from hilbench.results.metrics import roc_auc

MIN_LOOP_S = 10.0  # script.py _ScriptLoopStep.run: ERROR 2 below this much host wall time
MIN_WINDOW_S = 10.0  # main.py summarize_result: "Runtime requirements have been met." above it (DUT time)
WINDOWS = 5  # tests_performance.yaml `loop 5`; ERROR 1 otherwise
# tests_performance.yaml: `infer N W` per benchmark (the model id the DUT reports).
PERFORMANCE_INFER = {"kws01": (70, 10), "vww01": (20, 5), "ic01": (20, 5), "ad01": (1500, 10)}
# tests_energy.yaml, for the energy mode (not implemented yet).
ENERGY_INFER = {"kws01": (70, 10), "vww01": (20, 5), "ic01": (20, 0), "ad01": (1500, 0)}
RUNNER_TAG = "ulp-mlperf: "
HILBENCH_TAG = "hilbench: "
RULE = "---------------------------------------------------------"
ERROR_1 = "ERROR 1 - loop_count was not exactly 5."
ERROR_2 = "ERROR 2 - loop exited before 10 seconds elapsed."


def stamp(now: datetime | None = None) -> str:
    """`main.py` `summarize_result`'s line prefix: `%m%d.%H%M%S ` then the tag follows."""
    return (now or datetime.now()).strftime("%m%d.%H%M%S ")


def prefixed(text: str, now: datetime | None = None, tag: str = RUNNER_TAG) -> str:
    return stamp(now) + tag + text


# ---------------------------------------------------------------------- performance


@dataclass(frozen=True)
class Window:
    count: int  # N of `infer N W`
    elapsed_us: int  # T1 - T0 on the DUT's timer

    @property
    def seconds(self) -> float:
        return self.elapsed_us / 1_000_000

    @property
    def throughput(self) -> float:
        """`_print_AP_results`: N / elapsed seconds; 0 when the elapsed time is not > 0."""
        return self.count / (self.elapsed_us / 1_000_000) if self.elapsed_us > 0 else 0


def median_throughput(windows: Sequence[Window]) -> float:
    if not windows:
        raise ValueError("no performance windows")
    return float(np.median([w.throughput for w in windows]))


def performance_error(loop_count: int, loop_wall_s: float, min_loop_s: float = MIN_LOOP_S) -> str | None:
    """`_ScriptLoopStep.run` + `summarize_result`: ERROR 1 wins over ERROR 2."""
    if loop_count != WINDOWS:
        return ERROR_1
    if loop_wall_s < min_loop_s:
        return ERROR_2
    return None


# ---------------------------------------------------------------------- accuracy


def normalize_probabilities(scores: Sequence[float]) -> list[float]:
    """`main.py` `normalize_probabilities`, applied when a result has more than one value."""
    total = sum(scores)
    return [s / total for s in scores]


def _as_runner_row(values: Sequence[float]) -> list[float]:
    return list(values) if len(values) == 1 else normalize_probabilities(values)


def _binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    return roc_auc(scores, positive)


def runner_auc(y_pred: np.ndarray, y_true: np.ndarray) -> float | None:
    """`summarize_result`'s AUC, as sklearn's `roc_auc_score` computes it; None where
    sklearn raises (one class only; ovr with a class absent from y_true or rows that do
    not sum to 1), where the official runner would stop with a traceback."""
    try:
        if y_pred.shape[1] == 2:
            return (
                _binary_auc(y_pred[:, 1], y_true == np.max(y_true)) if len(np.unique(y_true)) == 2 else None
            )
        if y_pred.shape[1] == 1:  # AD: binary, y_true in {0, 1}
            return _binary_auc(y_pred[:, 0], y_true == 1) if len(np.unique(y_true)) == 2 else None
        # multi_class='ovr', average='macro': one-vs-rest AUC of each class, mean
        if not np.allclose(1, y_pred.sum(axis=1)):
            return None
        classes = np.unique(y_true)
        if len(classes) != y_pred.shape[1]:
            return None
        return float(np.mean([_binary_auc(y_pred[:, i], y_true == c) for i, c in enumerate(classes)]))
    except ValueError:
        return None


def runner_accuracy(y_pred: np.ndarray, labels: np.ndarray) -> float:
    """`main.py` `calculate_accuracy`, statement for statement."""
    if y_pred.shape[1] == 1:
        thresholds = np.amin(y_pred) + np.arange(0.0, 1.0, 0.01) * (np.amax(y_pred) - np.amin(y_pred))
        accuracy = 0
        for threshold in thresholds:
            y_pred_binary = (y_pred > threshold).astype(int)
            false_positive = np.sum(y_pred_binary[labels == 0] == 1)
            true_positive = np.sum(y_pred_binary[labels == 1] == 1)
            false_negative = np.sum(y_pred_binary[labels == 1] == 0)
            precision = true_positive / (true_positive + false_positive + 1e-8)
            recall = true_positive / (true_positive + false_negative + 1e-8)
            accuracy = max(accuracy, 100 * (precision + recall) / 2)
        return float(accuracy)
    y_pred_label = np.argmax(y_pred, axis=1)
    correct = np.sum(labels == y_pred_label)
    return float(100 * correct / len(y_pred))


@dataclass(frozen=True)
class Accuracy:
    n: int
    top1: float  # percent: the official runner's `Top 1%` (argmax, the lowest index wins a tie)
    auc: float | None  # the official runner's `AUC` (None where roc_auc_score would raise)
    top1_ties_correct: float  # percent; a tie at the top containing the label counts (hilbench fact)
    tied: int  # files with more than one class at the top score

    @property
    def top1_argmax(self) -> float:  # the name hilbench used before; the same number as top1
        return self.top1


def accuracy(scores: Sequence[Sequence[float]], labels: Sequence[int]) -> Accuracy:
    """One printed result per file (classifiers), in file order."""
    y = np.asarray(labels, dtype=np.int64)
    raw = np.asarray(scores, dtype=np.float64)
    if not len(y):
        return Accuracy(0, float("nan"), None, float("nan"), 0)
    y_pred = np.asarray([_as_runner_row(s) for s in scores], dtype=np.float64)
    top = raw == raw.max(axis=1, keepdims=True)
    tied = int((top.sum(axis=1) > 1).sum())
    ties_correct = 100.0 * float(top[np.arange(len(y)), y].mean())
    return Accuracy(len(y), runner_accuracy(y_pred, y), runner_auc(y_pred, y), ties_correct, tied)


@dataclass(frozen=True)
class AdResult:
    file_scores: dict[str, float]  # mean of the file's segment scores
    labels: dict[str, int | None]
    auc: float | None  # None unless both normal and anomalous files were scored
    top1: float | None = None  # the runner's AD `Top 1%`: best (precision + recall) / 2
    segments: dict[str, int] = field(default_factory=dict)


def ad_result(window_scores: Sequence[tuple[str, int | None, float]]) -> AdResult:
    """(file, label, printed segment score) in order -> per-file mean, AUC, `Top 1%`."""
    per: dict[str, list[list[float]]] = {}
    labels: dict[str, int | None] = {}
    for f, label, score in window_scores:
        per.setdefault(f, []).append([score])
        labels[f] = label
    files = {f: float(np.mean(v, axis=0)[0]) for f, v in per.items()}
    known_labels = {f: lab for f in files if (lab := labels[f]) is not None}
    known = list(known_labels)
    if not known:
        return AdResult(files, labels, None, None, {f: len(v) for f, v in per.items()})
    y_pred = np.asarray([[files[f]] for f in known], dtype=np.float64)
    y = np.asarray([int(known_labels[f]) for f in known], dtype=np.int64)
    return AdResult(
        files, labels, runner_auc(y_pred, y), runner_accuracy(y_pred, y), {f: len(v) for f, v in per.items()}
    )


# ---------------------------------------------------------------------- results.txt


def performance_lines(windows: Sequence[Window], error: str | None, now: datetime | None = None) -> list[str]:
    """What `summarize_result` writes to results.txt in performance mode."""
    lines: list[str] = []
    for i, w in enumerate(windows):
        lines += [
            f"Performance results for window {i + 1}",
            f"    # Inferences : {w.count}",
            f"    Runtime: {w.elapsed_us / 1e6} sec.",
            f"    Throughput: {w.throughput} inf./sec.",
        ]
        if w.elapsed_us / 1e6 > MIN_WINDOW_S:
            lines.append("    Runtime requirements have been met.")
    if error is not None:
        lines.append(prefixed(error, now))
    elif windows:
        lines += [
            prefixed(RULE, now),
            prefixed(f"Median throughput is {median_throughput(windows):>10.3f} inf./sec.", now),
            prefixed(RULE, now),
        ]
    return lines


def accuracy_lines(top1: float, auc: float | None, now: datetime | None = None) -> list[str]:
    """What `summarize_result` writes in accuracy mode. Where roc_auc_score would raise (the
    runner stops with a traceback, no line at all), hilbench writes `AUC = n/a`, which the
    checker's AUC pattern does not match."""
    return [
        prefixed(f"Top 1% = {top1:2.1f}", now),
        prefixed(f"AUC = {auc:.3f}" if auc is not None else "AUC = n/a (roc_auc_score undefined here)", now),
    ]


def energy_lines(
    energies_uj: Sequence[float],
    seconds: Sequence[float],
    inferences: Sequence[int],
    total_j: Sequence[float],
) -> list[str]:
    """Reserved: what `print_energy_results` writes (energy mode arrives with the energy
    monitor); given per-trial energy/inference (µJ), elapsed s, inferences and total J."""
    lines = ["Power Edition Output"]
    for i, (e, t, n, tot) in enumerate(zip(energies_uj, seconds, inferences, total_j)):
        warn = "" if t >= 10.0 else "  <<<< below minimum duration"
        lines += [
            f"Energy data for trial {i}",
            f"  Elapsed time  : {t}{warn}",
            f"  Inferences    : {n}",
            f"  Power         : {1e3 * tot / t:5.4f} mW.",
            f"  Total Energy  : {tot * 1e6:.3f} uJ",
            f"  Energy/Inf    : {e:.3f} uJ/inf",
        ]
    lines += [RULE, f"Median energy cost is {float(np.median(energies_uj)):5.4f} uJ/inf.", RULE]
    return lines

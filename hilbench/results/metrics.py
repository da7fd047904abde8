"""Accuracy and fidelity metrics, in pure numpy (scikit-learn is a test-only cross-check).

Accuracy
    `topk_accuracy`, `topk_correct`, `confusion_matrix`, `classification_summary` for
    classifiers; `roc_auc` (optionally McClish-standardised partial AUC, as DCASE / MLPerf
    Tiny report "pAUC") for anomaly detection.

Fidelity against the reference interpreter
    `fidelity(dut, ref)` -> `Fidelity` (bit-exact %, max |diff| in LSB, RMSE in LSB and in
    real units, mean cosine similarity, top-1 agreement); `per_sample_diff` gives the
    per-sample columns of the results schema (`bit_exact`, `max_abs_diff_vs_reference`).

Ties. Quantized classifiers tie often: an int8 softmax saturates, and MLPerf Tiny's KWS
model already ties in its int8 logits (3 of the 1000 kws01 vectors). The default rule,
``ties="first"``, makes the prediction the *lowest* class index among equal scores, exactly
as ``np.argmax`` does, and ranks classes by (score descending, index ascending) for top-k:
a deterministic, single-answer rule that a DUT reporting one class would also follow.
``ties="any"`` is the optimistic rule: a sample counts as correct when fewer than k classes
score strictly higher than its label (a label tied for first is a top-1 hit). On kws01 with
the tflite-micro reference the two give 90.1 % and 90.2 %; published figures for that set
(90.2 %) correspond to the optimistic rule (or to other kernels that do not tie there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

Ties = Literal["first", "any"]

__all__ = [
    "ClassificationSummary",
    "Fidelity",
    "classification_summary",
    "confusion_matrix",
    "fidelity",
    "per_sample_diff",
    "predictions",
    "roc_auc",
    "topk_accuracy",
    "topk_correct",
]


# -- classification --------------------------------------------------------------------


def _as_2d(outputs: Any, name: str = "outputs") -> np.ndarray:
    """(n, C) scores from an (n, C) array, an (n, 1, C) array or a list of per-sample arrays."""
    if isinstance(outputs, (list, tuple)):
        arr = np.stack([np.asarray(o).reshape(-1) for o in outputs]) if len(outputs) else np.empty((0, 0))
    else:
        arr = np.asarray(outputs)
        if arr.ndim == 1:
            raise ValueError(f"{name}: need one row of class scores per sample, got a 1-D array")
        arr = arr.reshape(arr.shape[0], int(np.prod(arr.shape[1:])))
    return arr


def _as_labels(labels: Any, n: int) -> np.ndarray:
    lab = np.asarray(labels).reshape(-1)
    if lab.shape[0] != n:
        raise ValueError(f"labels: {lab.shape[0]} labels for {n} samples")
    if lab.size and not np.issubdtype(lab.dtype, np.integer):
        as_int = lab.astype(np.int64)
        if not np.array_equal(as_int, lab):
            raise ValueError("labels must be integer class indices")
        lab = as_int
    return lab.astype(np.int64, copy=False)


def predictions(outputs: Any) -> np.ndarray:
    """Top-1 class per sample (lowest index among tied maxima, like ``np.argmax``)."""
    return _as_2d(outputs).argmax(axis=1)


def topk_correct(outputs: Any, labels: Any, k: int = 1, *, ties: Ties = "first") -> np.ndarray:
    """Per-sample bool: is the label among the top k classes (see the module doc for ties)."""
    scores = _as_2d(outputs)
    n, c = scores.shape
    lab = _as_labels(labels, n)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if n == 0:
        return np.zeros(0, dtype=bool)
    if lab.min() < 0 or lab.max() >= c:
        raise ValueError(f"labels must be in 0..{c - 1} for {c} output classes")
    # Compare in a dtype that holds every value exactly (int8 arithmetic would not matter
    # here, but float16/uint inputs should not surprise anyone).
    s = scores.astype(np.float64) if scores.dtype.kind == "f" else scores.astype(np.int64)
    own = s[np.arange(n), lab][:, None]
    higher = (s > own).sum(axis=1)
    if ties == "any":
        return higher < k
    if ties != "first":
        raise ValueError(f"ties must be 'first' or 'any', got {ties!r}")
    # Rank = classes strictly higher + equal classes with a lower index (stable order).
    equal_before = ((s == own) & (np.arange(c)[None, :] < lab[:, None])).sum(axis=1)
    return (higher + equal_before) < k


def topk_accuracy(outputs: Any, labels: Any, k: int = 1, *, ties: Ties = "first") -> float:
    """Fraction (0..1) of samples whose label is in the top k of `outputs` (n, C).

    `ties="first"` (default): classes are ranked by score, then by index, so top-1 is
    ``np.argmax`` (the lowest index wins a tie). `ties="any"`: optimistic, a label tied with
    the k-th best counts. An empty set gives NaN.
    """
    hits = topk_correct(outputs, labels, k, ties=ties)
    return float(hits.mean()) if hits.size else float("nan")


def confusion_matrix(predictions: Any, labels: Any, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) int64 counts; rows = true label, columns = prediction."""
    pred = np.asarray(predictions).reshape(-1).astype(np.int64)
    lab = _as_labels(labels, pred.shape[0])
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    for what, arr in (("predictions", pred), ("labels", lab)):
        if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
            raise ValueError(f"{what} must be in 0..{num_classes - 1}")
    cm = np.bincount(lab * num_classes + pred, minlength=num_classes * num_classes)
    return cm.reshape(num_classes, num_classes).astype(np.int64)


@dataclass(frozen=True)
class ClassificationSummary:
    """Top-k accuracies (fractions), confusion matrix and tie count for one sample set."""

    n: int
    num_classes: int
    topk: dict[int, float]  # k -> accuracy with ties="first" (argmax convention)
    topk_ties_any: dict[int, float]  # k -> accuracy with ties="any" (optimistic)
    confusion_matrix: np.ndarray = field(repr=False)  # rows true, columns predicted
    top1_tied: int  # samples whose maximum score is shared by two or more classes

    @property
    def top1(self) -> float:
        return self.topk[1]

    def per_class_recall(self) -> np.ndarray:
        """Diagonal / row sums (NaN for a class with no samples)."""
        rows = self.confusion_matrix.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(rows > 0, np.diag(self.confusion_matrix) / rows, np.nan)


def classification_summary(
    outputs: Any, labels: Any, num_classes: int | None = None, ks: Sequence[int] = (1, 5)
) -> ClassificationSummary:
    """Top-k for each k in `ks` (k >= num_classes is skipped: it is trivially 1.0; top-1 is
    always included), the confusion matrix of the top-1 predictions, and the tie count."""
    scores = _as_2d(outputs)
    n, c = scores.shape
    num_classes = c if num_classes is None else int(num_classes)
    if num_classes != c:
        raise ValueError(f"outputs have {c} classes, num_classes says {num_classes}")
    lab = _as_labels(labels, n)
    wanted = sorted({1, *(int(k) for k in ks if 1 <= int(k) < num_classes)})
    topk = {k: topk_accuracy(scores, lab, k) for k in wanted}
    topk_any = {k: topk_accuracy(scores, lab, k, ties="any") for k in wanted}
    pred = scores.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)
    tied = int(((scores == scores.max(axis=1, keepdims=True)).sum(axis=1) > 1).sum()) if n else 0
    return ClassificationSummary(
        n=n,
        num_classes=num_classes,
        topk=topk,
        topk_ties_any=topk_any,
        confusion_matrix=confusion_matrix(pred, lab, num_classes),
        top1_tied=tied,
    )


# -- ROC AUC -----------------------------------------------------------------------------


def _binary(is_anomaly: Any, n: int) -> np.ndarray:
    y = np.asarray(is_anomaly).reshape(-1)
    if y.shape[0] != n:
        raise ValueError(f"is_anomaly: {y.shape[0]} labels for {n} scores")
    if y.dtype == bool:
        return y
    vals = set(np.unique(y).tolist())
    if not vals <= {0, 1}:
        raise ValueError(f"is_anomaly must be boolean or 0/1, got values {sorted(vals)[:5]}")
    return y.astype(bool)


def roc_auc(scores: Any, is_anomaly: Any, *, max_fpr: float | None = None) -> float:
    """Area under the ROC curve; a higher score means "more anomalous" (positive class).

    Full AUC is the Mann-Whitney statistic with tied scores given averaged ranks (a tie
    between a positive and a negative counts 1/2), computed in exact integer arithmetic and
    divided once, so it is the correctly rounded value of the exact rational; it equals
    sklearn's ``roc_auc_score`` to within float rounding. With `max_fpr` (0 < max_fpr <= 1)
    it is the McClish-standardised partial AUC over FPR in [0, max_fpr], as sklearn's
    ``roc_auc_score(..., max_fpr=...)`` and the DCASE / MLPerf Tiny "pAUC" (max_fpr=0.1).
    Raises ValueError when only one class is present (AUC is undefined).
    """
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = _binary(is_anomaly, s.shape[0])
    if np.isnan(s).any():
        raise ValueError("scores contain NaN")
    n_pos = int(y.sum())
    n_neg = int(y.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"ROC AUC needs both classes; got {n_pos} anomalous and {n_neg} normal")
    if max_fpr is not None and max_fpr != 1:
        if not 0 < max_fpr < 1:
            raise ValueError(f"max_fpr must be in (0, 1], got {max_fpr}")
        return _partial_auc_mcclish(s, y, float(max_fpr))
    # Twice the average rank of each distinct score value is an integer:
    # (first + last) over 1-based positions of the tied block.
    _, inverse, counts = np.unique(s, return_inverse=True, return_counts=True)
    last = np.cumsum(counts, dtype=np.int64)
    twice_rank = (2 * last - counts + 1)[inverse]  # = first + last, per element
    twice_rank_sum = int(twice_rank[y].sum(dtype=np.int64))
    twice_u = twice_rank_sum - n_pos * (n_pos + 1)
    return twice_u / (2 * n_pos * n_neg)


def _roc_points(s: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fpr, tpr) at every distinct threshold, from (0, 0) to (1, 1)."""
    order = np.argsort(-s, kind="stable")
    s_sorted, y_sorted = s[order], y[order]
    distinct = np.r_[np.nonzero(np.diff(s_sorted))[0], s_sorted.size - 1]
    tps = np.cumsum(y_sorted)[distinct]
    fps = (distinct + 1) - tps
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    return fpr, tpr


def _partial_auc_mcclish(s: np.ndarray, y: np.ndarray, max_fpr: float) -> float:
    fpr, tpr = _roc_points(s, y)
    stop = int(np.searchsorted(fpr, max_fpr, side="right"))
    x_interp = [fpr[stop - 1], fpr[stop]]
    y_interp = [tpr[stop - 1], tpr[stop]]
    tpr = np.append(tpr[:stop], np.interp(max_fpr, x_interp, y_interp))
    fpr = np.append(fpr[:stop], max_fpr)
    partial = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    min_area = 0.5 * max_fpr**2
    max_area = max_fpr
    return 0.5 * (1 + (partial - min_area) / (max_area - min_area))


# -- fidelity ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fidelity:
    """How closely a DUT's outputs match the reference interpreter's.

    Differences are in LSB (integer steps of the output tensor) for integer outputs; for
    float outputs "LSB" needs `scale` (diff / scale, rounded for the max) and is None
    without it. `rmse_real` / `max_abs_diff_real` are in real units: LSB x scale for
    quantized outputs, the raw difference for float outputs, None for integer outputs with
    no scale. `cosine_similarity` is the mean per-sample cosine of the dequantized vectors
    ((q - zero_point), scale does not matter); two all-zero vectors count 1.0, one
    all-zero vector against a non-zero one 0.0.
    """

    n: int
    bit_exact_pct: float  # % of samples whose every element is equal
    max_abs_diff_lsb: int | None
    rmse_lsb: float | None
    rmse_real: float | None
    max_abs_diff_real: float | None
    cosine_similarity: float
    top1_agreement: float  # fraction of samples with the same argmax (lowest index on ties)

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _pair(dut: Any, ref: Any) -> tuple[np.ndarray, np.ndarray]:
    d = _as_2d(dut, "dut_outputs")
    r = _as_2d(ref, "ref_outputs")
    if d.shape != r.shape:
        raise ValueError(f"dut outputs {d.shape} and reference outputs {r.shape} differ in shape")
    return d, r


def per_sample_diff(dut_outputs: Any, ref_outputs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per sample: (bit_exact bool, max |dut - ref|) in the outputs' own units (LSB for ints)."""
    d, r = _pair(dut_outputs, ref_outputs)
    if d.dtype.kind in "iub" and r.dtype.kind in "iub":
        diff = np.abs(d.astype(np.int64) - r.astype(np.int64))
    else:
        diff = np.abs(d.astype(np.float64) - r.astype(np.float64))
    exact = np.array([np.array_equal(a, b) for a, b in zip(d, r)], dtype=bool)
    mx = diff.max(axis=1) if diff.shape[1] else np.zeros(diff.shape[0], dtype=diff.dtype)
    return exact, mx


def fidelity(
    dut_outputs: Any,
    ref_outputs: Any,
    *,
    scale: float | None = None,
    zero_point: int = 0,
) -> Fidelity:
    """Compare DUT outputs with reference outputs, sample by sample (rows; any per-sample
    shape is flattened). Pass the output tensor's `scale` and `zero_point` for quantized
    outputs so that real-unit RMSE and the cosine of the dequantized vectors are right."""
    d, r = _pair(dut_outputs, ref_outputs)
    n = d.shape[0]
    if n == 0:
        nan = float("nan")
        return Fidelity(0, nan, None, None, None, None, nan, nan)
    integer = d.dtype.kind in "iub" and r.dtype.kind in "iub"
    exact, _ = per_sample_diff(d, r)

    if integer:
        diff = d.astype(np.int64) - r.astype(np.int64)
        max_int = int(np.abs(diff).max()) if diff.size else 0
        rmse_float = float(np.sqrt(np.mean(diff.astype(np.float64) ** 2))) if diff.size else 0.0
        max_lsb: int | None = max_int
        rmse_lsb: float | None = rmse_float
        rmse_real = None if scale is None else rmse_float * float(scale)
        max_real = None if scale is None else max_int * float(scale)
        dv = d.astype(np.float64) - zero_point
        rv = r.astype(np.float64) - zero_point
    else:
        diff_f = d.astype(np.float64) - r.astype(np.float64)
        rmse_real = float(np.sqrt(np.mean(diff_f**2))) if diff_f.size else 0.0
        max_real = float(np.abs(diff_f).max()) if diff_f.size else 0.0
        if scale is None:
            max_lsb, rmse_lsb = None, None
        else:
            max_lsb = int(np.rint(max_real / float(scale)))
            rmse_lsb = rmse_real / float(scale)
        dv, rv = d.astype(np.float64), r.astype(np.float64)

    dot = np.einsum("ij,ij->i", dv, rv)
    nd = np.linalg.norm(dv, axis=1)
    nr = np.linalg.norm(rv, axis=1)
    both_zero = (nd == 0) & (nr == 0)
    one_zero = (nd == 0) ^ (nr == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.where(both_zero, 1.0, np.where(one_zero, 0.0, dot / (nd * nr)))
    cos = np.clip(cos, -1.0, 1.0)

    agree = float(np.mean(d.argmax(axis=1) == r.argmax(axis=1))) if d.shape[1] else 1.0
    return Fidelity(
        n=n,
        bit_exact_pct=100.0 * float(exact.mean()),
        max_abs_diff_lsb=max_lsb,
        rmse_lsb=rmse_lsb,
        rmse_real=rmse_real,
        max_abs_diff_real=max_real,
        cosine_similarity=float(cos.mean()),
        top1_agreement=agree,
    )

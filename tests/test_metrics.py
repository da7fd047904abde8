"""Accuracy and fidelity metrics: unit tests, scikit-learn cross-checks, KWS on kws01."""

from __future__ import annotations

import time

import numpy as np
import pytest

from hilbench.results.metrics import (
    classification_summary,
    confusion_matrix,
    fidelity,
    per_sample_diff,
    predictions,
    roc_auc,
    topk_accuracy,
    topk_correct,
)
from tests.conftest import shared_path

# -- top-k -----------------------------------------------------------------------------------


def test_topk_simple() -> None:
    out = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    lab = np.array([1, 1, 0])
    assert topk_accuracy(out, lab, 1) == pytest.approx(1 / 3)
    assert topk_accuracy(out, lab, 2) == pytest.approx(2 / 3)
    assert topk_accuracy(out, lab, 3) == 1.0
    assert topk_correct(out, lab, 2).tolist() == [True, True, False]


def test_top1_ties_lowest_index_wins_like_argmax() -> None:
    out = np.array([[5, 9, 9, 1], [9, 9, 9, 9], [-128, -128, 0, 0]], dtype=np.int8)
    assert predictions(out).tolist() == [1, 0, 2]
    assert topk_correct(out, [1, 0, 2], 1).tolist() == [True, True, True]
    assert topk_correct(out, [2, 3, 3], 1).tolist() == [False, False, False]
    # Optimistic rule: a label tied for first counts.
    assert topk_correct(out, [2, 3, 3], 1, ties="any").tolist() == [True, True, True]
    # Top-2 under the stable order: ranks by (score desc, index asc).
    assert topk_correct(out, [2, 1, 3], 2).tolist() == [True, True, True]
    assert topk_correct(out, [0, 2, 0], 2).tolist() == [False, False, False]
    assert topk_correct(out, [0, 2, 0], 2, ties="any").tolist() == [False, True, False]


def test_top1_equals_argmax_on_tie_heavy_ints() -> None:
    rng = np.random.default_rng(1)
    out = rng.integers(-3, 3, size=(500, 7)).astype(np.int8)  # many ties
    lab = rng.integers(0, 7, size=500)
    assert topk_accuracy(out, lab, 1) == pytest.approx(np.mean(out.argmax(1) == lab))
    # k-th rank under the stable order, via a stable argsort on the negated scores.
    order = np.argsort(-out.astype(np.int64), axis=1, kind="stable")
    for k in (1, 2, 3, 6, 7):
        expect = np.mean([lab[i] in order[i, :k] for i in range(len(lab))])
        assert topk_accuracy(out, lab, k) == pytest.approx(expect)
        assert topk_accuracy(out, lab, k, ties="any") >= topk_accuracy(out, lab, k)


def test_topk_matches_sklearn_without_ties() -> None:
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(2)
    out = rng.random((400, 10))
    lab = rng.integers(0, 10, size=400)
    for k in (1, 2, 5, 9):
        expect = skm.top_k_accuracy_score(lab, out, k=k, labels=np.arange(10))
        assert topk_accuracy(out, lab, k) == pytest.approx(expect, abs=1e-12)
        assert topk_accuracy(out, lab, k, ties="any") == pytest.approx(expect, abs=1e-12)


def test_topk_input_forms_and_errors() -> None:
    per_sample = [np.array([[1, 5, 2]], dtype=np.int8), np.array([[7, 0, 0]], dtype=np.int8)]
    assert topk_accuracy(per_sample, [1, 0]) == 1.0
    assert np.isnan(topk_accuracy(np.empty((0, 3)), []))
    with pytest.raises(ValueError, match="labels"):
        topk_accuracy(np.zeros((2, 3)), [0])
    with pytest.raises(ValueError, match="0..2"):
        topk_accuracy(np.zeros((1, 3)), [3])
    with pytest.raises(ValueError, match="k must"):
        topk_accuracy(np.zeros((1, 3)), [0], 0)
    with pytest.raises(ValueError, match="ties"):
        topk_accuracy(np.zeros((1, 3)), [0], ties="random")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1-D"):
        topk_accuracy(np.zeros(3), [0])


# -- confusion matrix -------------------------------------------------------------------------


def test_confusion_matrix_orientation() -> None:
    cm = confusion_matrix(predictions=[0, 2, 2, 1], labels=[0, 1, 2, 1], num_classes=3)
    assert cm.dtype.kind == "i"
    assert cm.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]  # row = true 1: one right, one as 2
    assert confusion_matrix([], [], 4).tolist() == [[0] * 4] * 4
    with pytest.raises(ValueError, match="predictions"):
        confusion_matrix([3], [0], 3)


def test_confusion_matrix_matches_sklearn() -> None:
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(3)
    lab = rng.integers(0, 12, size=1000)
    pred = np.where(rng.random(1000) < 0.8, lab, rng.integers(0, 12, size=1000))
    cm = confusion_matrix(pred, lab, 12)
    assert np.array_equal(cm, skm.confusion_matrix(lab, pred, labels=np.arange(12)))
    assert cm.sum() == 1000 and np.trace(cm) == int(np.sum(pred == lab))


def test_classification_summary() -> None:
    out = np.array([[3, 3, 1], [0, 5, 1], [2, 1, 0], [0, 1, 4]], dtype=np.int8)
    s = classification_summary(out, [1, 1, 0, 0], 3, ks=(1, 2, 5))
    assert s.n == 4 and s.num_classes == 3
    assert sorted(s.topk) == [1, 2]  # k=5 >= 3 classes is skipped
    assert s.top1 == 0.5 and s.topk_ties_any[1] == 0.75
    assert s.top1_tied == 1
    assert s.confusion_matrix.tolist() == [[1, 0, 1], [1, 1, 0], [0, 0, 0]]
    assert np.isnan(s.per_class_recall()[2])
    with pytest.raises(ValueError, match="num_classes"):
        classification_summary(out, [0, 0, 0, 0], 4)


# -- ROC AUC ------------------------------------------------------------------------------


def test_roc_auc_hand_cases() -> None:
    assert roc_auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]) == 1.0
    assert roc_auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]) == 0.0
    assert roc_auc([1, 1, 1, 1], [0, 1, 0, 1]) == 0.5  # all tied
    # One positive/negative tie: 3 of 4 pairs ordered, 1 tied -> (3 + 0.5) / 4
    assert roc_auc([0.1, 0.5, 0.5, 0.9], [False, False, True, True]) == 0.875
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([1, 2], [1, 1])
    with pytest.raises(ValueError, match="0/1"):
        roc_auc([1, 2], [0, 2])
    with pytest.raises(ValueError, match="max_fpr"):
        roc_auc([1, 2], [0, 1], max_fpr=0)


@pytest.mark.parametrize("seed", range(6))
def test_roc_auc_matches_sklearn(seed: int) -> None:
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 2000))
    y = rng.random(n) < rng.uniform(0.1, 0.9)
    y[:2] = [True, False]
    if seed % 2:
        scores = rng.integers(0, 6, size=n) + y * rng.integers(0, 3, size=n)  # heavy ties
    else:
        scores = rng.normal(size=n) + y * 0.7
    assert roc_auc(scores, y) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-13)
    for max_fpr in (0.1, 0.37):
        assert roc_auc(scores, y, max_fpr=max_fpr) == pytest.approx(
            skm.roc_auc_score(y, scores, max_fpr=max_fpr), abs=1e-13
        )
    assert roc_auc(scores, y, max_fpr=1) == roc_auc(scores, y)


# -- fidelity -----------------------------------------------------------------------------


def test_fidelity_identical() -> None:
    ref = np.array([[-128, 5, 127], [0, 0, 0]], dtype=np.int8)
    f = fidelity(ref.copy(), ref, scale=0.5, zero_point=0)
    assert f.n == 2 and f.bit_exact_pct == 100.0
    assert f.max_abs_diff_lsb == 0 and f.rmse_lsb == 0.0 and f.rmse_real == 0.0
    assert f.cosine_similarity == 1.0  # the all-zero pair counts as identical
    assert f.top1_agreement == 1.0


def test_fidelity_diffs() -> None:
    ref = np.array([[-128, 10, 127], [1, 2, 3], [4, 4, 4], [0, 0, 0]], dtype=np.int8)
    dut = np.array([[127, 10, 127], [1, 2, 3], [4, 5, 4], [0, 0, 0]], dtype=np.int8)
    f = fidelity(dut, ref, scale=0.25, zero_point=-128)
    assert f.bit_exact_pct == 50.0
    assert f.max_abs_diff_lsb == 255  # no int8 wrap-around
    assert f.rmse_lsb == pytest.approx(np.sqrt((255**2 + 1) / 12))
    assert f.rmse_real == pytest.approx(f.rmse_lsb * 0.25)
    assert f.max_abs_diff_real == pytest.approx(255 * 0.25)
    assert f.top1_agreement == 0.5  # samples 0 (2 vs 0) and 2 (0 vs 1) disagree
    exact, mx = per_sample_diff(dut, ref)
    assert exact.tolist() == [False, True, False, True] and mx.tolist() == [255, 0, 1, 0]


def test_fidelity_cosine_uses_zero_point_and_zero_vectors() -> None:
    ref = np.array([[-128, -128], [-127, -128]], dtype=np.int8)
    dut = np.array([[-128, -128], [-128, -127]], dtype=np.int8)
    f = fidelity(dut, ref, scale=1 / 256, zero_point=-128)
    # sample 0: both dequantize to zero -> 1.0; sample 1: (1,0) vs (0,1) -> 0.0
    assert f.cosine_similarity == pytest.approx(0.5)
    g = fidelity(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0]]))
    assert g.cosine_similarity == 0.0
    assert g.max_abs_diff_lsb is None and g.rmse_real == pytest.approx(np.sqrt(0.5))


def test_fidelity_float_outputs_with_scale() -> None:
    ref = np.array([[0.0, 0.5, 1.0]])
    dut = np.array([[0.0, 0.75, 1.0]])
    f = fidelity(dut, ref, scale=0.25)
    assert f.max_abs_diff_lsb == 1 and f.rmse_lsb == pytest.approx(np.sqrt(1 / 3))
    assert f.cosine_similarity == pytest.approx(1.375 / (np.sqrt(1.25) * 1.25))
    with pytest.raises(ValueError, match="shape"):
        fidelity(np.zeros((2, 3)), np.zeros((2, 4)))


# -- KWS on the shared kws01 set (acceptance) ------------------------------------------------


@pytest.fixture(scope="module")
def kws_outputs() -> tuple[np.ndarray, np.ndarray, float]:
    pytest.importorskip("tflite_micro", reason="tflite-micro is not installed")
    from hilbench.datasets import load_dataset
    from hilbench.models.reference import ReferenceInterpreter

    ds = load_dataset(shared_path("datasets", "kws01"))
    ri = ReferenceInterpreter(shared_path("models", "mlperf-tiny", "kws_ref_model.tflite"))
    t0 = time.perf_counter()
    outs = np.stack([ri.run(ds.read(v))[0].reshape(-1) for v in ds.vectors])
    elapsed = time.perf_counter() - t0
    labels = np.array([v.label for v in ds.vectors])
    return outs, labels, elapsed


def test_kws01_top1_and_confusion_matrix(kws_outputs: tuple[np.ndarray, np.ndarray, float]) -> None:
    outs, labels, _ = kws_outputs
    assert outs.shape == (1000, 12) and outs.dtype == np.int8
    s = classification_summary(outs, labels, 12, ks=(1, 5))
    # The tflite-micro reference ties the top score on 3 vectors (58, 648, 696: classes
    # 6/7 vs 11, already tied in the int8 logits). argmax (lowest index) gets 2 of them
    # right: 901 / 1000. Counting a label tied for first as correct gives the published
    # 90.2 %.
    assert s.top1_tied == 3
    assert s.topk[1] == 0.901
    assert s.topk_ties_any[1] == 0.902
    assert s.topk[5] > s.topk[1]
    cm = s.confusion_matrix
    assert cm.shape == (12, 12) and cm.sum() == 1000
    assert np.trace(cm) == 901
    assert np.array_equal(cm.sum(axis=1), np.bincount(labels, minlength=12))
    assert np.array_equal(cm.sum(axis=0), np.bincount(outs.argmax(1), minlength=12))


def test_kws01_fidelity_of_reference_against_itself(
    kws_outputs: tuple[np.ndarray, np.ndarray, float],
) -> None:
    outs, _, _ = kws_outputs
    f = fidelity(outs, outs.copy(), scale=1 / 256, zero_point=-128)
    assert f.bit_exact_pct == 100.0 and f.max_abs_diff_lsb == 0 and f.top1_agreement == 1.0
    # One LSB of noise on one class of every sample: still ~identical, never bit-exact.
    noisy = outs.copy()
    noisy[:, 0] = np.where(noisy[:, 0] < 127, noisy[:, 0] + 1, 126)
    g = fidelity(noisy, outs, scale=1 / 256, zero_point=-128)
    assert g.bit_exact_pct == 0.0 and g.max_abs_diff_lsb == 1
    assert g.rmse_lsb == pytest.approx(np.sqrt(1 / 12))
    assert g.cosine_similarity > 0.99

"""MLPerf Tiny anomaly detection: windows, quantization, scores, AUC from published scores."""

from __future__ import annotations

import numpy as np
import pytest

from hilbench.datasets.anomaly import (
    AD_WINDOW_SIZE,
    ad_windows,
    dequantize,
    file_score,
    load_ad_file,
    quantize_windows,
    window_scores,
)
from hilbench.mlperf_tiny.ad_reference import (
    is_anomaly_name,
    read_reference_auc,
    read_reference_scores,
    score_file,
)
from hilbench.errors import DatasetError
from hilbench.results.metrics import roc_auc
from tests.conftest import shared_path

SAMPLE = ("datasets", "samples", "ad01", "normal_id_01_00000000_hist_librosa.bin")
SCORES = ("datasets", "ad01_reference_scores")
# mean window MSE of the sample on tflite-micro (this repository's reference interpreter)
TFLM_SAMPLE_SCORE = 10.264468325294036
# the published score of the same clip (TF 2.3 TFLite, float-I/O model, features from WAV)
PUBLISHED_SAMPLE_SCORE = 10.260287884484411


# -- windows ----------------------------------------------------------------------------------


def test_windows_count_and_layout() -> None:
    frames = np.arange(200 * 128, dtype=np.float32).reshape(200, 128)
    w = ad_windows(frames)
    assert w.shape == (196, AD_WINDOW_SIZE) and w.dtype == np.float32
    assert w.flags.c_contiguous
    for t in (0, 1, 97, 195):
        assert np.array_equal(w[t], frames[t : t + 5].reshape(-1))  # frame-major
    assert ad_windows(frames, n=5, stride=2).shape == (98, 640)
    assert np.array_equal(ad_windows(frames, stride=2)[3], frames[6:11].reshape(-1))
    assert ad_windows(frames[:4]).shape == (0, 640)
    assert ad_windows(frames[:5]).shape == (1, 640)
    with pytest.raises(ValueError):
        ad_windows(frames.reshape(-1))


def test_load_ad_file(tmp_path) -> None:
    data = np.random.default_rng(0).normal(size=(7, 128)).astype("<f4")
    p = tmp_path / "x_hist_librosa.bin"
    p.write_bytes(data.tobytes())
    assert np.array_equal(load_ad_file(p), data)
    (tmp_path / "bad.bin").write_bytes(b"\0" * 100)
    with pytest.raises(DatasetError, match="whole number"):
        load_ad_file(tmp_path / "bad.bin")
    with pytest.raises(DatasetError, match="cannot read"):
        load_ad_file(tmp_path / "missing.bin")


# -- quantization -------------------------------------------------------------------------------


def test_quantize_rounds_half_away_from_zero_and_clamps() -> None:
    x = np.array([0.25, -0.25, 0.75, -0.75, 0.2, 1000.0, -1000.0], dtype=np.float32)
    q = quantize_windows(x[None], scale=0.5, zero_point=0)
    # x / 0.5 = 0.5, -0.5, 1.5, -1.5, 0.4 -> 1, -1, 2, -2, 0 (np.round would give 0, -0, 2, -2)
    assert q.dtype == np.int8
    assert q.tolist() == [[1, -1, 2, -2, 0, 127, -128]]
    assert quantize_windows(x[None], 0.5, 10).tolist() == [[11, 9, 12, 8, 10, 127, -128]]
    assert quantize_windows(np.zeros((1, 3)), 1.0, 300, dtype=np.int8).tolist() == [[127, 127, 127]]
    with pytest.raises(ValueError):
        quantize_windows(x[None], 0.0, 0)


def test_quantize_divides_in_float32() -> None:
    # The quotient in float32 is what the firmware (float / float) and TFLite compute.
    rng = np.random.default_rng(5)
    x = rng.uniform(-60, 3, size=(50, 640)).astype(np.float32)
    scale = 0.3910152316093445
    q = quantize_windows(x, scale, 89)
    v = (x / np.float32(scale)).astype(np.float64)
    expect = np.clip(np.sign(v) * np.floor(np.abs(v) + 0.5) + 89, -128, 127)
    assert np.array_equal(q, expect.astype(np.int8))


# -- scores -----------------------------------------------------------------------------------


def test_window_and_file_scores() -> None:
    win = np.array([[1.0, 2.0], [0.0, 0.0]])
    out = np.array([[12, 14], [10, 11]], dtype=np.int8)  # dequantized (zp 10, scale 0.5): [1, 2], [0, 0.5]
    ws = window_scores(out, win, 0.5, 10)
    assert ws.tolist() == [0.0, 0.125]
    assert file_score(out, win, 0.5, 10) == pytest.approx(0.0625)
    assert dequantize(out, 0.5, 10).tolist() == [[1.0, 2.0], [0.0, 0.5]]
    with pytest.raises(ValueError, match="shape"):
        window_scores(out, win[:, :1], 0.5, 10)


def test_anomaly_names() -> None:
    assert is_anomaly_name("anomaly_id_01_00000263.wav")
    assert not is_anomaly_name("some/dir/normal_id_04_00000000.wav")
    with pytest.raises(DatasetError):
        is_anomaly_name("id_01.wav")


# -- the shared AD sample on the reference interpreter (acceptance) ----------------------------


@pytest.fixture(scope="module")
def sample_result():
    pytest.importorskip("tflite_micro", reason="tflite-micro is not installed")
    from hilbench.models.reference import ReferenceInterpreter

    ri = ReferenceInterpreter(shared_path("models", "mlperf-tiny", "ad01_int8.tflite"))
    return ri, score_file(shared_path(*SAMPLE), ri)


def test_shared_sample_windows_and_quantization(sample_result) -> None:
    ri, res = sample_result
    frames = load_ad_file(shared_path(*SAMPLE))
    assert frames.shape == (200, 128)
    assert res.inputs.shape == (196, 640) and res.inputs.dtype == np.int8
    assert res.outputs.shape == (196, 640)
    # No exact .5 quotient in this file: the interpreter's own quantize() agrees here.
    assert np.array_equal(res.inputs, ri.inputs[0].quantize(ad_windows(frames)))


def test_shared_sample_score(sample_result) -> None:
    ri, res = sample_result
    assert res.window_scores.shape == (196,)
    assert res.score == pytest.approx(TFLM_SAMPLE_SCORE, rel=1e-12)
    assert abs(res.score - 10.27) < 0.01  # "about 10.27" (shared/README.md)
    # Published score for this clip: within 0.05 % (different runtime and feature run).
    assert res.score == pytest.approx(PUBLISHED_SAMPLE_SCORE, rel=5e-4)
    # Scoring against the quantized-then-dequantized input instead lands further away
    # from the published figure: the published scheme compares with the float input.
    out = ri.outputs[0]
    vs_dequant = file_score(
        res.outputs,
        dequantize(res.inputs, ri.inputs[0].scale, ri.inputs[0].zero_point),
        out.scale,
        out.zero_point,
    )
    assert abs(vs_dequant - PUBLISHED_SAMPLE_SCORE) > 3 * abs(res.score - PUBLISHED_SAMPLE_SCORE)


# -- published per-clip scores -> AUC (acceptance) ---------------------------------------------


def test_auc_from_published_scores_matches_published_auc() -> None:
    root = shared_path(*SCORES)
    published = read_reference_auc(root / "tflite_quant_fullint_micro_result.csv")
    files = sorted(root.glob("tflite_quant_fullint_micro_anomaly_score_ToyCar_id_*.csv"))
    assert len(files) == 4
    aucs, paucs = [], []
    for f in files:
        ref = read_reference_scores(f)
        assert 0 < ref.is_anomaly.sum() < len(ref.files)
        auc = roc_auc(ref.scores, ref.is_anomaly)
        pauc = roc_auc(ref.scores, ref.is_anomaly, max_fpr=0.1)
        pub_auc, pub_pauc = published[ref.machine_id]
        assert auc == pytest.approx(pub_auc, abs=1e-12), ref.machine_id
        assert pauc == pytest.approx(pub_pauc, abs=1e-12), ref.machine_id
        aucs.append(auc)
        paucs.append(pauc)
    assert np.mean(aucs) == pytest.approx(published["Average"][0], abs=1e-12)
    assert np.mean(paucs) == pytest.approx(published["Average"][1], abs=1e-12)
    assert np.mean(aucs) == pytest.approx(0.8415, abs=1e-4)


def test_published_sample_score_is_the_sample_clip() -> None:
    ref = read_reference_scores(
        shared_path(*SCORES, "tflite_quant_fullint_micro_anomaly_score_ToyCar_id_01.csv")
    )
    assert ref.machine_id == "01"
    assert ref.files[0] == "normal_id_01_00000000.wav"
    assert ref.scores[0] == PUBLISHED_SAMPLE_SCORE


def test_read_reference_auc_rejects_conflicting_repeats(tmp_path) -> None:
    p = tmp_path / "r.csv"
    p.write_text("ToyCar\nid,AUC,pAUC\n01,0.5,0.4\nToyCar\nid,AUC,pAUC\n01,0.5,0.4\n")
    assert read_reference_auc(p) == {"01": (0.5, 0.4)}
    p.write_text("ToyCar\nid,AUC,pAUC\n01,0.5,0.4\n01,0.6,0.4\n")
    with pytest.raises(DatasetError, match="repeated"):
        read_reference_auc(p)

"""Anomaly-detection datasets in the runner: AD feature files -> windows -> DUT -> scores, AUC.

Acceptance (issue: "AD AUC is computed from the shared AD sample windows and the scores
match the reference interpreter's"): `hilbench run --board host` on a two-file AD dataset
built from ../shared's ToyCar sample gives 196 windows per file, every window bit-exact,
window scores equal to hilbench.datasets.anomaly + ReferenceInterpreter's, and the AUC of the
per-file reference scores.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hilbench.datasets import AD_SUFFIX, ad_file_of, load_dataset
from hilbench.datasets.anomaly import AD_WINDOW_SIZE, ad_windows, quantize_windows, window_scores
from hilbench.errors import DatasetError
from hilbench.results.metrics import roc_auc
from hilbench.results.summary import ad_file_scores, summarize
from tests.clihelp import run_cli
from tests.conftest import need_tool, shared_path

SAMPLE = ("datasets", "samples", "ad01", "normal_id_01_00000000_hist_librosa.bin")
MODEL = ("models", "mlperf-tiny", "ad01_int8.tflite")
NORMAL = "normal_id_01_00000000_hist_librosa.bin"
ANOMALY = "anomaly_id_01_00000000_hist_librosa.bin"
# mean window MSE of the shared sample on tflite-micro (tests/test_ad_windows.py; published 10.26)
TFLM_SAMPLE_SCORE = 10.264468325294036
ANOMALY_SEED = 20261128  # the "anomaly" clip: the sample plus seeded N(0, 4^2) noise per value


def make_anomaly(frames: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(ANOMALY_SEED)
    return (frames + rng.normal(0.0, 4.0, size=frames.shape)).astype("<f4")


class _Tensor:
    """The fields of hilbench.models.inspect.TensorInfo that Dataset.for_model_input reads."""

    def __init__(self, n: int = 640, dtype: str = "int8", scale: tuple = (0.5,), zero_point: tuple = (3,)):
        self.num_elements, self.nbytes, self.dtype = n, n, dtype
        self.scale, self.zero_point = scale, zero_point


def _write(path: Path, frames: np.ndarray) -> Path:
    path.write_bytes(np.asarray(frames, dtype="<f4").tobytes())
    return path


def _frames(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-40, 5, size=(n, 128)).astype("<f4")


# -- detection and labels (no device) -----------------------------------------------------------


def test_ad_dataset_detected_by_name_and_labelled_by_name(tmp_path: Path) -> None:
    _write(tmp_path / f"normal_id_01_0{AD_SUFFIX}", _frames(7, 1))
    _write(tmp_path / f"anomaly_id_01_0{AD_SUFFIX}", _frames(6, 2))
    _write(tmp_path / f"id_01_9{AD_SUFFIX}", _frames(5, 3))
    ds = load_dataset(tmp_path)
    assert ds.kind == "ad" and ds.is_ad and ds.num_classes is None and ds.vectors == []
    assert [(f.sample_id, f.label) for f in ds.files] == [
        ("anomaly_id_01_0_hist_librosa", 1),
        ("id_01_9_hist_librosa", None),
        ("normal_id_01_0_hist_librosa", 0),
    ]
    w = ds.for_model_input(_Tensor(), "m input")
    # 6, 5 and 7 frames -> 2, 1 and 3 windows of 5 frames, stride 1
    assert [v.sample_id for v in w.vectors] == [
        "anomaly_id_01_0_hist_librosa#w0",
        "anomaly_id_01_0_hist_librosa#w1",
        "id_01_9_hist_librosa#w0",
        "normal_id_01_0_hist_librosa#w0",
        "normal_id_01_0_hist_librosa#w1",
        "normal_id_01_0_hist_librosa#w2",
    ]
    assert [v.label for v in w.vectors] == [1, 1, None, 0, 0, 0]
    assert ad_file_of("normal_id_01_0_hist_librosa#w2") == "normal_id_01_0_hist_librosa"
    # each window is quantized on the host with the model input's scale / zero point
    frames = _frames(7, 1)
    v = w.vectors[5]
    assert np.array_equal(w.float_window(v), ad_windows(frames)[2])
    assert w.read(v) == quantize_windows(ad_windows(frames)[2:3], 0.5, 3).tobytes()
    assert len(w.read(v)) == AD_WINDOW_SIZE
    # the data hash covers the files (not the windows): the same before and after windowing
    assert w.sha256() == ds.sha256()
    assert load_dataset(tmp_path, limit=2).sha256() != ds.sha256()


def test_ad_labels_from_csv(tmp_path: Path) -> None:
    _write(tmp_path / f"a{AD_SUFFIX}", _frames(5))
    _write(tmp_path / f"normal_b{AD_SUFFIX}", _frames(5))
    (tmp_path / "y_labels.csv").write_text(f"normal_b{AD_SUFFIX},2,0\na{AD_SUFFIX},2,1\n")
    ds = load_dataset(tmp_path)
    assert ds.kind == "ad" and [(f.sample_id, f.label) for f in ds.files] == [
        ("normal_b_hist_librosa", 0),
        ("a_hist_librosa", 1),
    ]
    (tmp_path / "y_labels.csv").write_text(f"normal_b{AD_SUFFIX},2,1\n")
    with pytest.raises(
        DatasetError, match=r"normal_b_hist_librosa\.bin is labelled 1 \(anomaly\) but its name says normal"
    ):
        load_dataset(tmp_path)
    (tmp_path / "y_labels.csv").write_text(f"a{AD_SUFFIX},3,1\n")
    with pytest.raises(DatasetError, match=r"y_labels\.csv: AD labels are file,2,label"):
        load_dataset(tmp_path)


def test_ad_dataset_errors_name_the_culprit(tmp_path: Path) -> None:
    _write(tmp_path / f"normal_a{AD_SUFFIX}", _frames(5))
    (tmp_path / "x.bin").write_bytes(b"\0" * 640)
    with pytest.raises(DatasetError, match=r"x\.bin: 1 of 2 files are AD feature files"):
        load_dataset(tmp_path)
    (tmp_path / "x.bin").unlink()
    ds = load_dataset(tmp_path)
    with pytest.raises(DatasetError, match=r"AD windows have 640 values .* but m input takes 490"):
        ds.for_model_input(_Tensor(n=490), "m input")
    with pytest.raises(DatasetError, match=r"not a quantized int8/uint8 tensor"):
        ds.for_model_input(_Tensor(dtype="float32", scale=(), zero_point=()), "m input")
    with pytest.raises(DatasetError, match=r"windowed, not sent whole"):
        ds.check_sizes(640, "m input")
    _write(tmp_path / f"normal_a{AD_SUFFIX}", _frames(4))
    with pytest.raises(
        DatasetError, match=r"normal_a_hist_librosa\.bin: 4 frames, fewer than one window of 5"
    ):
        load_dataset(tmp_path).for_model_input(_Tensor(), "m input")
    (tmp_path / f"normal_a{AD_SUFFIX}").write_bytes(b"\0" * 700)
    with pytest.raises(DatasetError, match=r"700 bytes is not a whole number of 128-bin float32 frames"):
        load_dataset(tmp_path).for_model_input(_Tensor(), "m input")
    bad = _frames(5)
    bad[2, 3] = np.nan
    _write(tmp_path / f"normal_a{AD_SUFFIX}", bad)
    with pytest.raises(DatasetError, match="NaN"):
        load_dataset(tmp_path).for_model_input(_Tensor(), "m input")


def test_feature_files_without_the_ad_name_get_a_hint(tmp_path: Path) -> None:
    _write(tmp_path / "normal_a.bin", _frames(200))
    hint = r"normal_a\.bin: 102400 bytes, but m takes 640 bytes \(AD feature files.*_hist_librosa\.bin\)"
    with pytest.raises(DatasetError, match=hint):
        load_dataset(tmp_path).check_sizes(640, "m")


# -- summary (no device) ----------------------------------------------------------------------


def _rows(scores: dict[str, list[float]], labels: dict[str, int | None]) -> pd.DataFrame:
    rows = []
    for f, ws in scores.items():
        for k, s in enumerate(ws):
            rows.append(
                dict(
                    board="b",
                    model="m",
                    dataset="d",
                    timing_source="host_clock",
                    emulated=False,
                    phase="measure",
                    window=None,
                    iteration=0,
                    cycles=None,
                    latency_us=1.0,
                    clock_hz=0,
                    sample_id=f"{f}#w{k}",
                    label=labels[f],
                    prediction=None,
                    correct=None,
                    output=bytes(4),
                    reference_output=bytes(4),
                    bit_exact=True,
                    score=s,
                )
            )
    warm = dict(rows[0], phase="warmup", score=1e9)
    perf = dict(rows[0], window=0, score=None, output=None, reference_output=None, bit_exact=None)
    return pd.DataFrame([warm] + rows + [perf])


def test_summary_file_scores_auc_pauc() -> None:
    df = _rows(
        {"n1": [1.0, 2.0, 3.0], "a1": [5.0, 6.0], "n2": [4.0, 4.5], "u": [9.0]},
        {"n1": 0, "a1": 1, "n2": 0, "u": None},
    )
    fs = ad_file_scores(df)
    assert fs.to_dict("records") == [
        {"file": "n1", "label": 0, "windows": 3, "score": 2.0},
        {"file": "a1", "label": 1, "windows": 2, "score": 5.5},
        {"file": "n2", "label": 0, "windows": 2, "score": 4.25},
        {"file": "u", "label": None, "windows": 1, "score": 9.0},
    ]
    s = summarize(df).iloc[0]
    assert s["file_scores"] == {"n1": 2.0, "a1": 5.5, "n2": 4.25, "u": 9.0}
    assert s["n_files"] == 4 and s["top1"] is None
    assert s["auc"] == 1.0 == roc_auc([2.0, 5.5, 4.25], [0, 1, 0])  # the unlabelled file is left out
    assert s["pauc"] == roc_auc([2.0, 5.5, 4.25], [0, 1, 0], max_fpr=0.1)
    assert s["score_mean"] == pytest.approx((2.0 + 5.5 + 4.25 + 9.0) / 4)
    one_class = summarize(_rows({"n1": [1.0], "n2": [2.0]}, {"n1": 0, "n2": 0})).iloc[0]
    assert one_class["auc"] is None and one_class["pauc"] is None and one_class["score_mean"] == 1.5


# -- acceptance: the shared AD sample on the host-native DUT -----------------------------------


@pytest.fixture(scope="module")
def ad_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path, Path]:
    need_tool("gcc")
    pytest.importorskip("tflite_micro", reason="tflite-micro (the reference interpreter) is not installed")
    sample, model = shared_path(*SAMPLE), shared_path(*MODEL)
    root = tmp_path_factory.mktemp("ad")
    ds = root / "toycar"
    ds.mkdir()
    shutil.copyfile(sample, ds / NORMAL)
    frames = np.fromfile(sample, dtype="<f4").reshape(-1, 128)
    _write(ds / ANOMALY, make_anomaly(frames))
    res = root / "results"
    r = run_cli(
        "run", "--board", "host", "--model", str(model), "--dataset", str(ds), "--results-dir", str(res)
    )
    assert r.code == 0, r.stderr
    m = re.search(r"hilbench run (\S+)", r.stdout)
    assert m, r.stdout
    import hilbench.results

    return hilbench.results.load(m.group(1), res), ds, model


def test_ad_rows_one_per_window_bit_exact(ad_run) -> None:
    df, _, _ = ad_run
    acc = df[(df.phase == "measure") & df.window.isna()]
    files = acc.sample_id.map(ad_file_of)
    assert files.value_counts().to_dict() == {
        "anomaly_id_01_00000000_hist_librosa": 196,
        "normal_id_01_00000000_hist_librosa": 196,
    }
    assert acc.sample_id[files == "normal_id_01_00000000_hist_librosa"].tolist() == [
        f"normal_id_01_00000000_hist_librosa#w{k}" for k in range(196)
    ]
    assert set(acc.label[files.str.startswith("anomaly_")]) == {1}
    assert set(acc.label[files.str.startswith("normal_")]) == {0}
    assert acc.prediction.isna().all() and acc.correct.isna().all()
    assert acc.score.notna().all() and acc.score.dtype == np.float64
    bad = acc[~acc.bit_exact.astype(bool)]
    assert bad.empty, (
        f"{len(bad)} of {len(acc)} windows differ from tflite-micro: "
        f"{bad[['sample_id', 'max_abs_diff_vs_reference']].to_dict('records')[:5]}"
    )
    assert df[df.phase == "warmup"].score.notna().all()


def test_ad_scores_match_reference_interpreter(ad_run) -> None:
    from hilbench.mlperf_tiny.ad_reference import score_file
    from hilbench.models.reference import ReferenceInterpreter

    df, ds, model = ad_run
    ri = ReferenceInterpreter(model)
    out_t = ri.outputs[0]
    acc = df[(df.phase == "measure") & df.window.isna()]
    fs = ad_file_scores(df).set_index("file")
    ref_scores, labels = [], []
    for name, label in ((ANOMALY, 1), (NORMAL, 0)):
        ref = score_file(ds / name, ri)
        rows = acc[acc.sample_id.map(ad_file_of) == Path(name).stem]
        # the host fed the DUT what score_file fed the reference interpreter, and the DUT
        # returned what the reference returned ...
        assert np.array_equal(
            np.stack([np.frombuffer(b, np.int8) for b in rows.reference_output]), ref.outputs
        )
        dut = np.stack([np.frombuffer(b, np.int8) for b in rows.output])
        assert np.array_equal(dut, ref.outputs)
        # ... so the window scores are the reference's, exactly, and so is the file score
        assert np.array_equal(rows.score.to_numpy(), ref.window_scores)
        assert np.array_equal(
            window_scores(
                dut, ad_windows(np.fromfile(ds / name, "<f4").reshape(-1, 128)), out_t.scale, out_t.zero_point
            ),
            ref.window_scores,
        )
        assert fs.loc[Path(name).stem, "score"] == ref.score
        ref_scores.append(ref.score)
        labels.append(label)
    assert fs.loc["normal_id_01_00000000_hist_librosa", "score"] == pytest.approx(
        TFLM_SAMPLE_SCORE, rel=1e-12
    )
    assert abs(fs.loc["normal_id_01_00000000_hist_librosa", "score"] - 10.26) < 0.01  # published 10.26
    s = summarize(df).iloc[0]
    assert s["n_files"] == 2
    assert s["auc"] == roc_auc(ref_scores, labels) and s["auc"] in (0.0, 1.0)
    assert s["pauc"] == roc_auc(ref_scores, labels, max_fpr=0.1)
    assert s["score_mean"] == pytest.approx(np.mean(ref_scores), rel=1e-15)
    assert s["bit_exact_pct"] == 100.0


def test_fc_multiplier_is_computed_in_double(tmp_path: Path) -> None:
    """Regression: with the per-tensor FULLY_CONNECTED multiplier computed from a float-rounded
    scale product (as older TFLM sources read), window 74 of this clip came out 1 LSB off
    tflite-micro at output 502; the installed tflite-micro computes it in double."""
    need_tool("gcc")
    frames = np.fromfile(shared_path(*SAMPLE), "<f4").reshape(-1, 128)
    noisy = (frames + np.random.default_rng(2024).normal(0.0, 4.0, size=frames.shape)).astype("<f4")
    ds = tmp_path / "ds"
    ds.mkdir()
    _write(ds / ANOMALY, noisy)
    res = tmp_path / "res"
    r = run_cli(
        "run",
        "--board",
        "host",
        "--model",
        str(shared_path(*MODEL)),
        "--dataset",
        str(ds),
        "--results-dir",
        str(res),
        "--no-profile",
    )
    assert r.code == 0, r.stderr
    import hilbench.results

    df = hilbench.results.load(next(p.name for p in res.iterdir() if p.is_dir()), res)
    m = df[df.phase == "measure"]
    assert len(m) == 196 and m.bit_exact.all(), m[~m.bit_exact].sample_id.tolist()

"""MLPerf Tiny anomaly detection (ad01): windows, input quantization, anomaly scores.

The scheme, as in mlcommons/tiny (`training/anomaly_detection`: `common.py`,
`03_tflite_test.py`; reference firmware `th_load_tensor` / `th_results`):

- A test clip is a `*_hist_librosa.bin` file: float32 little-endian log-mel energies,
  frames x 128 mel bins, frame-major (frames = size / (128 * 4); 200 for ToyCar clips,
  the central frames 50..249 of the spectrogram).
- A model input is 5 consecutive frames flattened frame by frame (640 floats); windows
  advance by one frame, so 200 frames give 196 windows.
- The int8 model (ad01_int8.tflite) takes int8 input: each float is quantized as
  ``clamp(round(x / scale) + zero_point, -128, 127)`` with the division in float32 and
  round-half-away-from-zero. That is what MLPerf Tiny's firmware does
  (`util/quantization_helpers.h`: ``round(value / scale) + zero_point``, C `round`) and
  what TFLite's QUANTIZE op does (`AffineQuantize`, ``TfLiteRound`` = ``std::round``) in the
  float-I/O model that produced the published scores. numpy's ``np.round`` rounds half to
  even, which differs on exact .5 quotients, so it is not used here.
- The anomaly score of a window is the mean squared error between the dequantized output,
  ``(q - zero_point) * scale``, and the *float* input window (not the quantized-then-
  dequantized input): `03_tflite_test.py` computes ``mean(square(data - predict(data)))``
  on the float features, and the firmware's `th_results` subtracts the dequantized output
  from the float input it received. The score of a clip is the mean over its windows, and
  AUC is computed over clips (normal vs anomaly, per machine id).

Scores here are computed in float64 (the firmware accumulates in float32 and prints
``%0.3f``, so a DUT's reported window score can differ in the last printed digit).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from hilbench.errors import DatasetError

AD_MEL_BINS = 128
AD_FRAMES_PER_WINDOW = 5
AD_STRIDE = 1
AD_WINDOW_SIZE = AD_MEL_BINS * AD_FRAMES_PER_WINDOW  # 640
AD_PAUC_MAX_FPR = 0.1  # DCASE 2020 task 2 / MLPerf Tiny "pAUC"

__all__ = [
    "AD_FRAMES_PER_WINDOW",
    "AD_MEL_BINS",
    "AD_PAUC_MAX_FPR",
    "AD_STRIDE",
    "AD_WINDOW_SIZE",
    "ad_windows",
    "dequantize",
    "file_score",
    "load_ad_file",
    "quantize_windows",
    "window_scores",
]


def load_ad_file(path: str | Path, mel_bins: int = AD_MEL_BINS) -> np.ndarray:
    """A `*_hist_librosa.bin` clip as a float32 (frames, mel_bins) array."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read: {exc.strerror}") from None
    frame_bytes = mel_bins * 4
    if not raw or len(raw) % frame_bytes:
        raise DatasetError(
            f"{path}: {len(raw)} bytes is not a whole number of {mel_bins}-bin float32 frames "
            f"({frame_bytes} bytes each)"
        )
    data = np.frombuffer(raw, dtype="<f4").reshape(-1, mel_bins).astype(np.float32)
    if not np.isfinite(data).all():
        raise DatasetError(f"{path}: contains NaN or infinite values")
    return data


def ad_windows(frames: np.ndarray, n: int = AD_FRAMES_PER_WINDOW, stride: int = AD_STRIDE) -> np.ndarray:
    """(W, n * bins) windows of n consecutive frames, frame-major; W = (frames - n) // stride + 1.

    Window w is ``frames[w*stride : w*stride + n].reshape(-1)`` (MLPerf Tiny's layout:
    element ``t * bins + m`` is mel bin m of the t-th frame of the window).
    """
    f = np.asarray(frames)
    if f.ndim != 2:
        raise ValueError(f"frames must be 2-D (frames, mel bins), got shape {f.shape}")
    if n < 1 or stride < 1:
        raise ValueError(f"window length and stride must be >= 1 (got n={n}, stride={stride})")
    if f.shape[0] < n:
        return np.empty((0, n * f.shape[1]), dtype=f.dtype)
    view = np.lib.stride_tricks.sliding_window_view(f, n, axis=0)[::stride]  # (W, bins, n)
    return np.ascontiguousarray(view.transpose(0, 2, 1)).reshape(view.shape[0], n * f.shape[1])


def _round_half_away(x: np.ndarray) -> np.ndarray:
    return np.where(x >= 0, np.floor(x + 0.5), np.ceil(x - 0.5))


def quantize_windows(windows: np.ndarray, scale: float, zero_point: int, dtype: Any = np.int8) -> np.ndarray:
    """Float windows -> integer model input: clamp(round_half_away(x / scale) + zp).

    The quotient is taken in float32, as the firmware and TFLite do (``float / float``);
    rounding that float32 quotient in float64 is exact.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    q = np.asarray(windows, dtype=np.float32) / np.float32(scale)
    r = _round_half_away(q.astype(np.float64)) + int(zero_point)
    info = np.iinfo(dtype)
    return np.clip(r, info.min, info.max).astype(dtype)


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """Integer tensor -> float64 real values, (q - zero_point) * scale."""
    return (np.asarray(q, dtype=np.float64) - int(zero_point)) * float(scale)


def window_scores(
    outputs: np.ndarray, windows_float: np.ndarray, out_scale: float, out_zero_point: int
) -> np.ndarray:
    """(W,) float64: per window, mean((dequantized output - float input window)^2)."""
    out = np.asarray(outputs)
    win = np.asarray(windows_float, dtype=np.float64)
    out = out.reshape(out.shape[0], -1) if out.ndim else out
    win = win.reshape(win.shape[0], -1)
    if out.shape != win.shape:
        raise ValueError(f"outputs {out.shape} and windows {win.shape} differ in shape")
    diff = dequantize(out, out_scale, out_zero_point) - win
    return np.mean(diff * diff, axis=1)


def file_score(
    outputs: np.ndarray, windows_float: np.ndarray, out_scale: float, out_zero_point: int
) -> float:
    """The anomaly score of a clip: the mean of its window scores."""
    s = window_scores(outputs, windows_float, out_scale, out_zero_point)
    if s.size == 0:
        raise ValueError("a clip with no windows has no anomaly score")
    return float(s.mean())

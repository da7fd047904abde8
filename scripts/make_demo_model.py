#!/usr/bin/env python3
"""Generate the demo workload: hilbench/demo/digits_mlp.tflite and hilbench/demo/digits/.

Why: every hilbench job (bench run, regression, pytest) must work out of the box on the
default emulated board, so the package ships one tiny int8 model and its labelled test
vectors. Both must be byte-identical when regenerated on any machine (`--check` is a CI
test), so nothing here depends on BLAS, threads or floating-point reduction order:

- data: scikit-learn's bundled 8x8 digits (1797 samples, pixel values 0..16, integers);
  its sha256 is pinned below so a changed copy fails loudly instead of drifting;
- split: sample i is a test vector when i % 5 == 0 (360 vectors), training otherwise;
- training: averaged multi-class perceptrons with pure int64 updates in a fixed sample
  order (integer arithmetic is exact whatever the order or CPU);
- quantization: integer round-half-away-from-zero; every scale is a power of two, so
  tflite-micro's requantization multipliers are exact (2^30 mantissa, integer shift) and
  this script emulates the int8 kernels bit for bit with integers. The emulation is
  checked against tflite-micro's interpreter on every test vector when it is installed.

Model (int8, per-tensor symmetric weights, int32 bias, asymmetric activations):
  input  int8 [1,64]  scale 2^-3, zero point -128: q = 8*pixel - 128 (0..16 -> -128..0, exact)
  FULLY_CONNECTED 64->32, fused RELU -> int8 [1,32] scale 2^(k1-10), zero point -128
  FULLY_CONNECTED 32->10             -> int8 [1,10] logits, zero point 0 (no softmax)
Hidden units 0-9 are one-vs-rest perceptron scores on raw pixels, 10-19 their negations
(so ReLU keeps both signs), 20-31 fixed ternary projections from a SplitMix64 stream;
the output layer is a second perceptron trained on the exact int8 hidden activations.

Usage: python scripts/make_demo_model.py [--out DIR] [--check]
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hilbench.models.builder import ModelBuilder  # noqa: E402

DEMO_DIR = ROOT / "hilbench" / "demo"
MODEL_NAME = "digits_mlp.tflite"
DATASET_NAME = "digits"
NUM_CLASSES = 10
HIDDEN = 32
TEST_EVERY = 5
EPOCHS_1 = 30
EPOCHS_2 = 30
SEED = 0x68696C62  # "hilb"
# sha256 of the digits data as int8 [1797, 64] pixels followed by int8 [1797] labels.
DIGITS_SHA256 = "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"

INPUT_SCALE_LOG2 = -3  # 0.125: pixel v (0..16) is q = 8v - 128
INPUT_ZP = -128
WEIGHT_SCALE_LOG2 = -7  # int8 weights represent w/128, in (-1, 1)
HIDDEN_ZP = -128
OUTPUT_ZP = 0
MIN_ACCURACY = 0.85


# -- data -------------------------------------------------------------------------------


def load_digits_int() -> tuple[np.ndarray, np.ndarray]:
    """The bundled digits as exact integers: pixels int64 [1797, 64], labels int64 [1797]."""
    from sklearn.datasets import load_digits

    d = load_digits()
    pixels = np.asarray(d.data)
    labels = np.asarray(d.target)
    if not np.array_equal(pixels, np.round(pixels)) or pixels.min() < 0 or pixels.max() > 16:
        raise SystemExit("unexpected digits data: pixels are not integers in 0..16")
    pixels = pixels.astype(np.int64)
    labels = labels.astype(np.int64)
    digest = hashlib.sha256(pixels.astype(np.int8).tobytes() + labels.astype(np.int8).tobytes()).hexdigest()
    if digest != DIGITS_SHA256:
        raise SystemExit(f"scikit-learn's digits data changed (sha256 {digest}); cannot reproduce")
    return pixels, labels


# -- exact integer helpers --------------------------------------------------------------


def div_round(a: np.ndarray, b: int) -> np.ndarray:
    """a / b rounded half away from zero, for int64 a and positive int b (exact)."""
    a = np.asarray(a, dtype=np.int64)
    if a.size and int(np.abs(a).max()) >= 1 << 61:
        raise SystemExit("integer overflow risk in div_round")  # int64 must stay exact
    q = (np.abs(a) * 2 + b) // (2 * b)
    return np.where(a < 0, -q, q)


def splitmix64(seed: int, n: int) -> list[int]:
    """n 64-bit outputs of SplitMix64: a fully specified stream, unlike library RNGs."""
    mask = (1 << 64) - 1
    state = seed & mask
    out = []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return out


def perceptron(features: np.ndarray, labels: np.ndarray, bias_value: int, epochs: int):
    """Averaged multi-class perceptron, int64 only, fixed order; ties go to the lower class.

    Returns (weights [classes, k], bias [classes]) scaled by the step count (the average's
    denominator is dropped: argmax and later normalisation do not depend on it).
    """
    n, k = features.shape
    x = np.hstack([features, np.full((n, 1), bias_value, dtype=np.int64)]).astype(np.int64)
    w = np.zeros((NUM_CLASSES, k + 1), dtype=np.int64)
    acc = np.zeros_like(w)
    step = 1
    for _ in range(epochs):
        for i in range(n):
            pred = int(np.argmax(w @ x[i]))
            label = int(labels[i])
            if pred != label:
                w[label] += x[i]
                w[pred] -= x[i]
                acc[label] += step * x[i]
                acc[pred] -= step * x[i]
            step += 1
    avg = step * w - acc
    return avg[:, :k], avg[:, k]


def to_int8_rows(w: np.ndarray, b: np.ndarray, bias_value: int) -> tuple[np.ndarray, np.ndarray]:
    """Scale each row so its largest |weight| is 127; bias follows (feature was bias_value)."""
    wq = np.zeros_like(w)
    bq = np.zeros_like(b)
    for r in range(w.shape[0]):
        m = int(np.abs(w[r]).max())
        if m == 0:
            continue
        wq[r] = div_round(w[r] * 127, m)
        bq[r] = div_round(np.array([int(b[r]) * bias_value * 127]), m)[0]
    return wq.astype(np.int64), bq.astype(np.int64)


# -- tflite-micro int8 FULLY_CONNECTED, emulated exactly ---------------------------------

_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1


def _srdhm(a: np.ndarray, b: int) -> np.ndarray:
    """gemmlowp SaturatingRoundingDoublingHighMul (int32 x int32 -> high int32)."""
    ab = a.astype(np.int64) * b
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    s = ab + nudge
    q = np.where(s >= 0, s >> 31, -((-s) >> 31))  # C division truncates toward zero
    return np.where((a == _I32_MIN) & (b == _I32_MIN), _I32_MAX, q)


def _rdbpot(x: np.ndarray, exponent: int) -> np.ndarray:
    """gemmlowp RoundingDivideByPOT."""
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (x < 0)
    return (x >> exponent) + (remainder > threshold)


def requantize_pow2(acc: np.ndarray, k: int) -> np.ndarray:
    """TFLM MultiplyByQuantizedMultiplier for a real multiplier of exactly 2^-k (k >= 1).

    QuantizeMultiplier(2^-k) gives mantissa 2^30 and shift 1-k, i.e. a doubling high
    multiply by 2^30 (itself a rounding halving) then a rounding shift by k-1: the double
    rounding docs/architecture.md §5 mentions, reproduced exactly.
    """
    if k < 1:
        raise ValueError("multiplier must be below 1")
    if acc.min() < _I32_MIN or acc.max() > _I32_MAX:
        raise ValueError("accumulator overflows int32")
    return _rdbpot(_srdhm(acc, 1 << 30), k - 1)


def fc_int8(
    x: np.ndarray, x_zp: int, w: np.ndarray, b: np.ndarray, k: int, out_zp: int, relu: bool
) -> np.ndarray:
    """int8 FULLY_CONNECTED as tflite-micro's reference kernel computes it (int64 math)."""
    acc = (x.astype(np.int64) - x_zp) @ w.T.astype(np.int64) + b
    out = requantize_pow2(acc, k) + out_zp
    lo = out_zp if relu else -128  # RELU clamps at real 0, i.e. the zero point
    return np.clip(out, max(lo, -128), 127).astype(np.int64)


def accumulators(x: np.ndarray, x_zp: int, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (x.astype(np.int64) - x_zp) @ w.T.astype(np.int64) + b


def shift_for(max_abs: int, limit: int) -> int:
    """Smallest k >= 1 with round(max_abs / 2^k) <= limit."""
    k = 1
    while (max_abs + (1 << (k - 1))) >> k > limit:
        k += 1
    return k


# -- the model --------------------------------------------------------------------------


@dataclass
class Demo:
    model: bytes
    test_inputs: np.ndarray  # int8 [n, 64]
    test_labels: np.ndarray
    test_sample_ids: np.ndarray  # row of load_digits()
    emulated_logits: np.ndarray  # int8 [n, 10]
    k1: int
    k2: int

    @property
    def emulated_accuracy(self) -> float:
        return float(np.mean(np.argmax(self.emulated_logits, axis=1) == self.test_labels))


def make_demo() -> Demo:
    """Train and quantize the demo MLP; return the model bytes and the test vectors."""
    pixels, labels = load_digits_int()
    ids = np.arange(len(labels))
    test = ids % TEST_EVERY == 0
    q_all = pixels * 8 + INPUT_ZP  # exact int8 input encoding (0..16 -> -128..0)
    x_train, y_train = q_all[~test], labels[~test]
    x_test, y_test = q_all[test], labels[test]
    bias_in = 1 << (-INPUT_SCALE_LOG2 + 4)  # 128 = the input of a full-scale pixel

    # Layer 1: one-vs-rest scores on pixels, their negations, fixed ternary projections.
    v, vb = perceptron(x_train - INPUT_ZP, y_train, bias_in, EPOCHS_1)
    v_q, vb_q = to_int8_rows(v, vb, bias_in)
    n_random = HIDDEN - 2 * NUM_CLASSES
    stream = splitmix64(SEED, n_random * 64)
    ternary = np.array([(z >> 32) % 3 - 1 for z in stream], dtype=np.int64).reshape(n_random, 64)
    ternary_q = ternary * 127
    # Centre each projection on the training mean (exact integer mean, rounded).
    tern_acc = accumulators(x_train, INPUT_ZP, ternary_q, np.zeros(n_random, dtype=np.int64))
    tern_b = -div_round(tern_acc.sum(axis=0), len(x_train))
    w1 = np.vstack([v_q, -v_q, ternary_q])
    b1 = np.concatenate([vb_q, -vb_q, tern_b])
    acc1 = accumulators(x_train, INPUT_ZP, w1, b1)
    k1 = shift_for(int(acc1.max()), 127 - HIDDEN_ZP)
    h_train = fc_int8(x_train, INPUT_ZP, w1, b1, k1, HIDDEN_ZP, relu=True)
    h_test = fc_int8(x_test, INPUT_ZP, w1, b1, k1, HIDDEN_ZP, relu=True)

    # Layer 2: perceptron on the exact int8 hidden activations.
    bias_h = 128
    u, ub = perceptron(h_train - HIDDEN_ZP, y_train, bias_h, EPOCHS_2)
    scale = int(np.abs(u).max())
    w2 = div_round(u * 127, scale)
    b2 = div_round(ub * bias_h * 127, scale)
    acc2 = accumulators(h_train, HIDDEN_ZP, w2, b2)
    k2 = shift_for(int(np.abs(acc2).max()), 127)
    logits = fc_int8(h_test, HIDDEN_ZP, w2, b2, k2, OUTPUT_ZP, relu=False)

    s_in = 2.0**INPUT_SCALE_LOG2
    s_w = 2.0**WEIGHT_SCALE_LOG2
    s_h = s_in * s_w * 2.0**k1
    s_out = s_h * s_w * 2.0**k2
    b = ModelBuilder(description="hilbench demo: 8x8 digits int8 MLP 64-32-10 (scripts/make_demo_model.py)")
    t_in = b.add_tensor("input", [1, 64], "int8", scale=s_in, zero_point=INPUT_ZP)
    t_w1 = b.add_tensor("fc1/weights", [HIDDEN, 64], "int8", scale=s_w, zero_point=0, data=w1.astype(np.int8))
    t_b1 = b.add_tensor(
        "fc1/bias", [HIDDEN], "int32", scale=s_in * s_w, zero_point=0, data=b1.astype(np.int32)
    )
    t_h = b.add_tensor("fc1/relu", [1, HIDDEN], "int8", scale=s_h, zero_point=HIDDEN_ZP)
    t_w2 = b.add_tensor(
        "fc2/weights", [NUM_CLASSES, HIDDEN], "int8", scale=s_w, zero_point=0, data=w2.astype(np.int8)
    )
    t_b2 = b.add_tensor(
        "fc2/bias", [NUM_CLASSES], "int32", scale=s_h * s_w, zero_point=0, data=b2.astype(np.int32)
    )
    t_out = b.add_tensor("logits", [1, NUM_CLASSES], "int8", scale=s_out, zero_point=OUTPUT_ZP)
    b.add_op("FULLY_CONNECTED", [t_in, t_w1, t_b1], [t_h], {"fused_activation_function": "RELU"})
    b.add_op("FULLY_CONNECTED", [t_h, t_w2, t_b2], [t_out], {"fused_activation_function": "NONE"})
    b.set_io(inputs=[t_in], outputs=[t_out])
    for name, arr in (("w1", w1), ("w2", w2)):
        if arr.min() < -127 or arr.max() > 127:
            raise SystemExit(f"{name} does not fit int8")
    for name, arr in (("b1", b1), ("b2", b2)):
        if arr.min() < _I32_MIN or arr.max() > _I32_MAX:
            raise SystemExit(f"{name} does not fit int32")
    return Demo(b.build(), x_test.astype(np.int8), y_test, ids[test], logits, k1, k2)


def write_demo(demo: Demo, out: Path) -> None:
    """Write `<out>/digits_mlp.tflite` and `<out>/digits/` (MLPerf Tiny dataset layout)."""
    out.mkdir(parents=True, exist_ok=True)
    (out / MODEL_NAME).write_bytes(demo.model)
    ds = out / DATASET_NAME
    ds.mkdir(exist_ok=True)
    for stale in ds.glob("digit_*.bin"):
        stale.unlink()
    rows = []
    for i, (vec, label) in enumerate(zip(demo.test_inputs, demo.test_labels)):
        name = f"digit_{i:04d}.bin"
        (ds / name).write_bytes(vec.astype(np.int8).tobytes())
        rows.append(f"{name},{NUM_CLASSES},{int(label)}\n")
    # MLPerf Tiny's y_labels.csv: no header, "file,num_classes,label", LF line endings.
    with open(ds / "y_labels.csv", "w", newline="\n", encoding="ascii") as f:
        f.writelines(rows)


def reference_accuracy(demo: Demo) -> float | None:
    """Accuracy on tflite-micro; also asserts the emulation matched it bit for bit."""
    try:
        from hilbench.models.reference import ReferenceInterpreter

        ref = ReferenceInterpreter(demo.model, name=MODEL_NAME)
    except Exception as exc:  # tflite-micro missing: the bytes do not depend on it
        print(f"note: tflite-micro unavailable ({exc}); reference accuracy not measured")
        return None
    logits = np.stack([ref.run(v.tobytes())[0].reshape(-1) for v in demo.test_inputs])
    mismatches = int(np.sum(np.any(logits != demo.emulated_logits, axis=1)))
    if mismatches:
        raise SystemExit(f"emulated int8 kernels differ from tflite-micro on {mismatches} vectors")
    return float(np.mean(np.argmax(logits, axis=1) == demo.test_labels))


def compare_trees(expected: Path, actual: Path) -> list[str]:
    """Files that differ between the generated tree and the committed one."""
    problems = []
    names = {MODEL_NAME} | {
        f"{DATASET_NAME}/{p.name}" for d in (expected, actual) for p in (d / DATASET_NAME).glob("*")
    }
    for name in sorted(names):
        a, b = expected / name, actual / name
        if not a.exists():
            problems.append(f"{name}: generated but not committed")
        elif not b.exists():
            problems.append(f"{name}: committed but not generated")
        elif not filecmp.cmp(a, b, shallow=False):
            problems.append(f"{name}: content differs")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=DEMO_DIR, help="output directory (default: hilbench/demo)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary directory and compare bytes with --out",
    )
    args = parser.parse_args(argv)

    demo = make_demo()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            write_demo(demo, Path(tmp))
            problems = compare_trees(Path(tmp), args.out)
        if problems:
            for p in problems:
                print(f"demo differs: {p}", file=sys.stderr)
            return 1
        print(f"demo files in {args.out} are byte-identical to a fresh build")
        return 0

    write_demo(demo, args.out)
    sha = hashlib.sha256(demo.model).hexdigest()
    print(f"wrote {args.out / MODEL_NAME} ({len(demo.model)} bytes, sha256 {sha})")
    print(f"wrote {len(demo.test_labels)} vectors to {args.out / DATASET_NAME}/")
    print(f"requantization: hidden 2^-{demo.k1}, output 2^-{demo.k2}")
    print(f"emulated int8 top-1: {demo.emulated_accuracy:.4f}")
    acc = reference_accuracy(demo)
    if acc is not None:
        print(f"tflite-micro reference top-1: {acc:.4f} (bit-exact with the emulation)")
        if acc < MIN_ACCURACY:
            print(f"accuracy below {MIN_ACCURACY}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Regression verdicts (hilbench.results.verdict), including the seeded acceptance
simulations of issue 4: <= 1 % false regressions over 1000 null comparisons and >= 95 %
detection of a true 5 % shift, n = 50 a side, default settings, under the documented
noise model (simulated_timings: lognormal CV 3-5 % + 2 % outliers 20-50 % slow)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from hilbench.results.verdict import (
    DEFAULT_EMULATED_THRESHOLD,
    MIN_SAMPLES,
    VERDICTS,
    Verdict,
    _decide,
    bootstrap_ratio_ci,
    compare_counts,
    compare_deterministic,
    compare_samples,
    compare_scalar,
    exit_code,
    simulated_timings,
)


def _trials(n_trials: int, shift: float, seed: int, n: int = 50, **kw) -> Counter:
    rng = np.random.default_rng(seed)
    out: Counter = Counter()
    for _ in range(n_trials):
        cv = rng.uniform(0.03, 0.05)
        a = simulated_timings(rng, n, cv=cv)
        b = simulated_timings(rng, n, cv=cv, shift=shift)
        out[compare_samples(a, b, **kw).verdict] += 1
    return out


# ------------------------------------------------------------------ acceptance (issue 4)


def test_acceptance_false_regressions_at_most_1_percent():
    c = _trials(1000, 0.0, seed=101)
    assert c["regressed"] <= 10, c
    assert c["unchanged"] >= 900, c  # and most null comparisons read as unchanged


def test_acceptance_true_5_percent_slowdown_detected_95_percent():
    c = _trials(400, 0.05, seed=202)
    assert c["regressed"] >= 0.95 * 400, c
    assert c["improved"] == 0


def test_acceptance_improvement_detected_symmetrically():
    c = _trials(200, -0.05, seed=303)
    assert c["improved"] >= 0.95 * 200, c
    assert c["regressed"] == 0


def test_acceptance_higher_is_better_metric_mirrors():
    # a throughput-like metric: 5 % lower is a regression
    rng = np.random.default_rng(404)
    hits = 0
    for _ in range(100):
        a = simulated_timings(rng, 50, cv=0.04)
        b = simulated_timings(rng, 50, cv=0.04, shift=-0.05)
        hits += compare_samples(a, b, higher_is_better=True).verdict == "regressed"
    assert hits >= 95


# ------------------------------------------------------------------ compare_samples


def test_compare_samples_clear_regression_fields():
    rng = np.random.default_rng(1)
    a = simulated_timings(rng, 60, cv=0.02)
    b = simulated_timings(rng, 60, cv=0.02, shift=0.10)
    v = compare_samples(a, b, board="an386", model="kws", metric="latency_us", unit="us")
    assert v.verdict == "regressed" and v.regressed
    assert (v.board, v.model, v.metric, v.unit) == ("an386", "kws", "latency_us", "us")
    assert v.baseline == pytest.approx(np.median(a)) and v.candidate == pytest.approx(np.median(b))
    assert v.effect == pytest.approx(v.candidate / v.baseline - 1)
    assert 0.08 < v.effect < 0.12
    assert v.ci_low < v.effect < v.ci_high and v.ci_low > 0.02
    assert v.p_value < 1e-6
    assert v.method == "mann-whitney+bootstrap"
    assert (v.n_baseline, v.n_candidate, v.min_effect) == (60, 60, 0.02)
    assert v.worsening == v.effect and v.direction == "lower_is_better"
    assert "n=60/60" in v.detail


def test_compare_samples_higher_is_better_signs():
    rng = np.random.default_rng(2)
    a = simulated_timings(rng, 50, cv=0.02)
    b = simulated_timings(rng, 50, cv=0.02, shift=0.10)  # 10 % larger
    v = compare_samples(a, b, higher_is_better=True)
    assert v.verdict == "improved" and v.effect > 0 and v.worsening < 0
    assert v.direction == "higher_is_better"
    assert compare_samples(b, a, higher_is_better=True).verdict == "regressed"
    assert compare_samples(b, a).verdict == "improved"


def test_compare_samples_too_few_samples_inconclusive():
    rng = np.random.default_rng(3)
    a = simulated_timings(rng, 5, cv=0.01)
    b = simulated_timings(rng, 5, cv=0.01, shift=0.3)
    v = compare_samples(a, b)
    assert v.verdict == "inconclusive" and "too few" in v.detail
    assert v.effect > 0.2 and v.p_value is not None  # still reported
    assert compare_samples(a, b, min_samples=5).verdict == "regressed"
    assert MIN_SAMPLES == 10


def test_compare_samples_empty_side_inconclusive():
    v = compare_samples([], [1.0, 2.0])
    assert v.verdict == "inconclusive" and v.baseline is None and v.candidate == 1.5 and v.effect is None
    v = compare_samples([np.nan] * 20, [1.0] * 20)
    assert v.verdict == "inconclusive" and v.n_baseline == 0


def test_compare_samples_significant_but_small_is_unchanged():
    rng = np.random.default_rng(4)
    a = simulated_timings(rng, 400, cv=0.005, outlier_rate=0)
    b = simulated_timings(rng, 400, cv=0.005, outlier_rate=0, shift=0.005)
    v = compare_samples(a, b)
    assert v.p_value < 0.01
    assert -0.02 < v.ci_low and v.ci_high < 0.02
    assert v.verdict == "unchanged" and "within" in v.detail


def test_compare_samples_large_but_not_significant_is_inconclusive():
    a = np.linspace(800.0, 1200.0, 12)  # wide spread, medians 6 % apart
    v = compare_samples(a, a * 1.06)
    assert v.p_value >= 0.01 and abs(v.effect) >= 0.02
    assert v.verdict == "inconclusive" and "not significant" in v.detail


def test_compare_samples_all_equal_and_constant_shift():
    v = compare_samples([1000] * 20, [1000] * 20)
    assert v.verdict == "unchanged" and v.p_value == 1.0 and v.effect == 0.0
    assert (v.ci_low, v.ci_high) == (0.0, 0.0)
    v = compare_samples([1000] * 20, [1100] * 20)
    assert v.verdict == "regressed" and v.effect == pytest.approx(0.1) and v.p_value < 1e-6


def test_compare_samples_deterministic_for_a_seed_and_drops_nan():
    rng = np.random.default_rng(6)
    a = simulated_timings(rng, 50)
    b = simulated_timings(rng, 50, shift=0.01)
    v1, v2 = compare_samples(a, b), compare_samples(a, b)
    assert v1 == v2
    v3 = compare_samples(np.append(a, np.nan), b)
    assert v3.n_baseline == 50 and v3.effect == v1.effect and v3.p_value == v1.p_value
    assert compare_samples(a, b, seed=1).ci_low != v1.ci_low
    with pytest.raises(ValueError):
        compare_samples([1.0, math.inf], b)


@pytest.mark.parametrize(
    "p,worse,ci,expected",
    [
        (0.001, 0.03, (0.01, 0.05), "regressed"),  # estimate beyond m, CI may straddle m
        (0.001, 0.05, (0.03, 0.07), "regressed"),
        (0.001, -0.03, (-0.05, -0.01), "improved"),
        (0.001, 0.01, (0.005, 0.015), "unchanged"),  # real but smaller than m
        (0.001, 0.01, (0.001, 0.03), "inconclusive"),  # real, could be >= m
        (0.001, -0.01, (-0.03, 0.0), "inconclusive"),
        (0.5, 0.005, (-0.03, 0.03), "unchanged"),  # not significant, small
        (0.5, 0.025, (-0.01, 0.06), "inconclusive"),  # not significant, large observed change
        (0.5, -0.025, (-0.06, 0.01), "inconclusive"),
    ],
)
def test_decision_table(p, worse, ci, expected):
    assert _decide(p, worse, ci, 0.02, 0.01)[0] == expected


def test_bootstrap_resampled_medians_match_np_median():
    from hilbench.results.verdict import _resampled_medians

    for n in (1, 2, 7, 50):
        x = np.sort(np.random.default_rng(n).normal(size=n))
        got = _resampled_medians(np.random.default_rng(0), x, 300)
        idx = np.random.default_rng(0).integers(0, n, (300, n), dtype=np.int16)
        np.testing.assert_allclose(got, np.median(x[idx], axis=1), rtol=0, atol=1e-12)


def test_bootstrap_ci_covers_and_scales():
    rng = np.random.default_rng(7)
    a = rng.lognormal(0, 0.05, 200)
    b = rng.lognormal(np.log(1.1), 0.05, 200)
    lo, hi = bootstrap_ratio_ci(a, b, n_boot=1000)
    assert lo < 0.1 < hi and hi - lo < 0.05
    lo99, hi99 = bootstrap_ratio_ci(a, b, n_boot=1000, level=0.99)
    assert lo99 <= lo and hi <= hi99
    # large samples go through the blocked path (bounded memory)
    big_a, big_b = rng.lognormal(0, 0.05, 30_000), rng.lognormal(0, 0.05, 30_000)
    lo, hi = bootstrap_ratio_ci(big_a, big_b, n_boot=200)
    assert -0.01 < lo < hi < 0.01
    with pytest.raises(ValueError):
        bootstrap_ratio_ci(a, b, level=1.0)


# ------------------------------------------------------------------ compare_deterministic


def test_compare_deterministic_exact():
    assert DEFAULT_EMULATED_THRESHOLD == 0.0
    same = compare_deterministic(
        [43_040_000] * 5, [43_040_000] * 3, board="an386", model="kws", metric="cycles"
    )
    assert same.verdict == "unchanged" and same.effect == 0.0 and same.p_value is None
    assert same.method == "exact-threshold" and same.ci_low is None and same.board == "an386"
    worse = compare_deterministic([43_040_000] * 5, [43_040_040] * 5)
    assert worse.verdict == "regressed" and worse.effect == pytest.approx(40 / 43_040_000)
    better = compare_deterministic([43_040_000] * 5, [7_700_000] * 5)
    assert better.verdict == "improved" and better.effect == pytest.approx(7.7 / 43.04 - 1)


def test_compare_deterministic_threshold_and_tolerance():
    assert compare_deterministic([1000], [1004], threshold=0.005).verdict == "unchanged"
    assert compare_deterministic([1000], [1006], threshold=0.005).verdict == "regressed"
    assert compare_deterministic([125_245], [125_285], abs_tolerance=40).verdict == "unchanged"
    assert compare_deterministic([125_245], [125_286], abs_tolerance=40).verdict == "regressed"
    assert compare_deterministic([100], [90], higher_is_better=True).verdict == "regressed"
    assert compare_deterministic([100], [110], higher_is_better=True).verdict == "improved"


def test_compare_deterministic_medians_noise_note_and_empty():
    v = compare_deterministic([100, 100, 140], [100, 100, 100])
    assert v.verdict == "unchanged" and "baseline not constant" in v.detail
    v = compare_deterministic([], [1])
    assert v.verdict == "inconclusive" and v.candidate == 1.0


# ------------------------------------------------------------------ compare_counts


def test_compare_counts_exact():
    v = compare_counts(90, 100, 90, 100)
    assert v.verdict == "unchanged" and v.method == "exact-count" and v.p_value is None
    assert v.higher_is_better and v.metric == "accuracy"
    v = compare_counts(90, 100, 89, 100)
    assert v.verdict == "regressed" and v.effect == pytest.approx(0.89 / 0.90 - 1)
    assert "-1.00 pp" in v.detail
    assert compare_counts(90, 100, 91, 100).verdict == "improved"
    v = compare_counts(9, 10, 90, 100)
    assert v.verdict == "unchanged" and "different sample counts" in v.detail
    assert compare_counts(0, 0, 5, 10).verdict == "inconclusive"


def test_compare_counts_statistical():
    v = compare_counts(900, 1000, 850, 1000, exact=False)
    assert v.verdict == "regressed" and v.method == "fisher-exact" and v.p_value < 0.01
    assert v.ci_low < v.effect < v.ci_high < 0
    assert compare_counts(850, 1000, 900, 1000, exact=False).verdict == "improved"
    v = compare_counts(900, 1000, 899, 1000, exact=False)
    assert v.verdict == "unchanged" and v.p_value > 0.5
    v = compare_counts(9, 10, 7, 10, exact=False)  # -22 % but 10 samples: not significant
    assert v.verdict == "inconclusive"
    v = compare_counts(10, 10, 0, 10, exact=False)  # zero cells: continuity-corrected CI
    assert v.verdict == "regressed" and math.isfinite(v.ci_low) and math.isfinite(v.ci_high)


def test_compare_counts_rejects_impossible_counts():
    with pytest.raises(ValueError):
        compare_counts(11, 10, 5, 10)
    with pytest.raises(ValueError):
        compare_counts(5, 10, -1, 10)


# ------------------------------------------------------------------ compare_scalar, Verdict, exit_code


def test_compare_scalar():
    v = compare_scalar(22_772, 22_772, metric="arena_bytes", unit="B")
    assert v.verdict == "unchanged" and v.n_baseline == 1 and v.method == "exact-threshold"
    assert compare_scalar(22_772, 22_800).verdict == "regressed"
    assert compare_scalar(22_772, 22_700).verdict == "improved"
    assert compare_scalar(100_000, 100_500, threshold=0.01).verdict == "unchanged"
    assert compare_scalar(100_000, 100_016, abs_tolerance=16).verdict == "unchanged"
    v = compare_scalar(None, 5)
    assert v.verdict == "inconclusive" and "baseline" in v.detail
    assert compare_scalar(5, float("nan")).verdict == "inconclusive"
    z = compare_scalar(0, 10)
    assert z.verdict == "regressed" and z.effect == math.inf


def test_verdict_dataclass_and_exit_code():
    with pytest.raises(ValueError):
        Verdict(verdict="worse")
    v = compare_scalar(1, 2, higher_is_better=True, board="b", model="m", metric="top1")
    d = v.to_dict()
    assert d["direction"] == "higher_is_better" and d["verdict"] == "improved" and d["effect"] == 1.0
    assert v.worsening == -1.0
    assert set(VERDICTS) == {"improved", "unchanged", "regressed", "inconclusive"}
    ok = [compare_scalar(1, 1), compare_scalar(2, 1), compare_samples([1], [2])]
    assert exit_code(ok) == 0
    assert exit_code(ok + [compare_scalar(1, 2)]) == 1
    assert exit_code([]) == 0


def test_simulated_timings_noise_model():
    rng = np.random.default_rng(8)
    x = simulated_timings(rng, 200_000, cv=0.04, outlier_rate=0.0)
    assert np.std(x) / np.mean(x) == pytest.approx(0.04, rel=0.03)
    assert np.mean(x) == pytest.approx(1000, rel=0.002)
    y = simulated_timings(rng, 200_000, cv=0.0, outlier_rate=0.02)
    slow = y[y > 1000.0 + 1e-9]
    assert len(slow) / len(y) == pytest.approx(0.02, rel=0.05)
    assert slow.min() >= 1200 - 1e-6 and slow.max() <= 1500 + 1e-6

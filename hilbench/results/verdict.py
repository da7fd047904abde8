"""Regression verdicts: one :class:`Verdict` per board x model x metric.

Which function for which metric
-------------------------------
- Noisy measurements (real-board cycles / latency, metered energy): :func:`compare_samples`
  (Mann-Whitney U + bootstrap CI of the ratio of medians + a minimum effect size).
- Deterministic measurements (emulated ``qemu_icount`` instruction counts, modelled
  energy): :func:`compare_deterministic` (medians, exact comparison with a threshold).
- Accuracy: :func:`compare_counts` (bit-exact runs: any change is flagged; otherwise a
  Fisher exact test + minimum effect).
- Single numbers (arena bytes, flash size): :func:`compare_scalar`.
- :func:`exit_code`: 1 if any verdict is "regressed", else 0 (exit 2, an infrastructure
  error, is the caller's to raise: a broken board is never a verdict).

Sign convention
---------------
``effect = candidate / baseline - 1`` always, whatever the metric: positive means the
candidate's value is *larger* (slower for latency, more accurate for accuracy).
``higher_is_better`` (and the ``direction`` property) says which way is good;
``worsening`` is the effect signed so that positive = worse (``effect`` for
lower-is-better metrics, ``-effect`` for higher-is-better ones). ``ci_low`` / ``ci_high``
bound ``effect`` (not ``worsening``). ``min_effect`` and ``threshold`` are relative too
(0.02 = 2 %).

The rule for noisy samples (:func:`compare_samples`)
----------------------------------------------------
``p`` is the two-sided Mann-Whitney U p-value (scipy, tie-corrected), ``w`` the observed
worsening of the median (candidate median / baseline median - 1, signed as above), ``m``
the minimum effect, ``[lo, hi]`` the bootstrap percentile CI (``ci_level``, default 95 %)
of the same quantity:

==========================================  ==============================================
fewer than ``min_samples`` on either side   inconclusive (too little data)
p < alpha and w >= m                        regressed
p < alpha and w <= -m                       improved
p < alpha, abs(w) < m, CI inside (-m, m)    unchanged (a real change, smaller than m)
p < alpha, abs(w) < m, CI reaches past +-m  inconclusive (cannot tell whether it is >= m)
p >= alpha and abs(w) < m                   unchanged
p >= alpha and abs(w) >= m                  inconclusive (a large observed change that is
                                            not statistically significant)
==========================================  ==============================================

So a regression needs *both* statistical significance (noise alone rarely produces it)
*and* a median that moved by at least ``m`` (board jitter or a sub-``m`` real change is
not a regression). The verdict never reads "unchanged" next to an effect of ``m`` or more.
Requiring the whole CI to lie beyond ``m`` was rejected: at CV 5 % and 50 samples a side
the ratio-of-medians CI is about +-2.5 % wide, so a true 5 % slowdown would be confirmed
only ~60 % of the time (the goal is 95 %). The CI decides the "significant but small"
case instead and is reported for every verdict.

Noise model the defaults are calibrated for (:func:`simulated_timings`)
-----------------------------------------------------------------------
Independent samples, multiplicative lognormal jitter with coefficient of variation
3-5 %, plus 2 % outliers (interrupts) slowed by a uniform 20-50 %. Measured at n = 50 per
side, alpha = 0.01, min_effect = 2 %, 1000 seeded trials per row
(``benchmarks/verdict_calibration.py``; the tests check the same goals):

- no true change, CV drawn from 3-5 %: 0.5 % "regressed" (goal <= 1 %), 0.2 % "improved",
  4 % "inconclusive", the rest "unchanged". At a constant CV of 5 %: 0.7 % regressed,
  11 % inconclusive (at 5 % CV, 50 medians resolve about +-2.5 %: an honest answer).
  The two-sided test at alpha = 0.01 puts at most ~0.5 % of null comparisons in the
  "worse" tail; the ``m`` filter can only remove more.
- true 5 % slowdown, CV 3-5 %: 99.3 % "regressed" (goal >= 95 %); 96.3 % at a constant
  CV of 5 % (the worst case of the model). A 5 % speed-up: 99.2 % "improved".

Not covered by the guarantee: run-to-run drift (the whole board slower or faster today:
temperature, clock tolerance). Samples of one run are then not exchangeable with the
other run's, and the U test finds the drift significant once there are enough samples;
only ``min_effect`` stands between it and a false regression. With a run-wide factor of
sd 0.5 %: 1.3 % false regressions at min_effect 2 % (0.3 % at 3 %, but power for 5 %
falls to 93 %); sd 1 %: 9 % at 2 %. Raise ``min_effect`` on boards that drift, or compare
against several baseline runs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

VERDICTS = ("improved", "unchanged", "regressed", "inconclusive")

DEFAULT_MIN_EFFECT = 0.02
DEFAULT_ALPHA = 0.01
DEFAULT_N_BOOT = 2000
DEFAULT_CI_LEVEL = 0.95
MIN_SAMPLES = 10
# Emulated counts are exact (qemu -icount shift=0: the same count to +-1 timer tick on
# every run), so by default any change is flagged. A +-1 tick quantum (40 instructions on
# mps2 at 25 MHz) can show up as a tiny change; pass abs_tolerance=one tick, or a small
# relative threshold (e.g. 0.005), to ignore it.
DEFAULT_EMULATED_THRESHOLD = 0.0
# Bootstrap resamples are drawn in blocks of at most this many values (memory bound).
_BOOT_BLOCK_VALUES = 2_000_000


@dataclass(frozen=True, kw_only=True)
class Verdict:
    """The outcome of comparing one metric of one board x model between two runs."""

    board: str | None = None
    model: str | None = None
    metric: str = ""
    unit: str = ""
    baseline: float | None = None  # summary of the baseline (median, rate or value)
    candidate: float | None = None  # same summary of the candidate
    effect: float | None = None  # candidate / baseline - 1 (positive = larger)
    higher_is_better: bool = False
    ci_low: float | None = None  # CI of `effect`, when computed
    ci_high: float | None = None
    p_value: float | None = None  # None when no test applies (exact comparisons)
    verdict: str = "inconclusive"  # one of VERDICTS
    method: str = ""  # mann-whitney+bootstrap, exact-threshold, exact-count, fisher-exact
    detail: str = ""
    n_baseline: int | None = None
    n_candidate: int | None = None
    min_effect: float | None = None  # the relative threshold the verdict was judged against

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")

    @property
    def direction(self) -> str:
        return "higher_is_better" if self.higher_is_better else "lower_is_better"

    @property
    def worsening(self) -> float | None:
        """``effect`` signed so that positive = worse."""
        if self.effect is None:
            return None
        return -self.effect if self.higher_is_better else self.effect

    @property
    def regressed(self) -> bool:
        return self.verdict == "regressed"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["direction"] = self.direction
        return d


def exit_code(verdicts: Iterable[Verdict]) -> int:
    """1 if any verdict is "regressed", else 0 (inconclusive does not fail the run)."""
    return 1 if any(v.verdict == "regressed" for v in verdicts) else 0


# --------------------------------------------------------------------------- helpers


def _rel(base: float, cand: float) -> float:
    """cand / base - 1, with 0/0 = no change and x/0 = +-inf."""
    if base == 0:
        return 0.0 if cand == 0 else math.copysign(math.inf, cand)
    return cand / base - 1.0


def _values(x: Any, what: str) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64).reshape(-1)
    a = a[~np.isnan(a)]
    if np.isinf(a).any():
        raise ValueError(f"{what}: infinite value among the samples")
    return a


def _pct(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x * 100:+.2f} %"


def _worse(effect: float, higher_is_better: bool) -> float:
    return -effect if higher_is_better else effect


def _labels(board: str | None, model: str | None, metric: str, unit: str) -> dict[str, Any]:
    return dict(board=board, model=model, metric=metric, unit=unit)


def _decide(
    p: float, worse: float, ci_worse: tuple[float, float] | None, m: float, alpha: float
) -> tuple[str, str]:
    """The decision table of the module docstring (``worse`` and the CI signed positive = worse)."""
    if p < alpha:
        if worse >= m:
            return "regressed", f"significant (p={p:.2g} < {alpha:g}) and at least the {m:.1%} minimum effect"
        if worse <= -m:
            return "improved", f"significant (p={p:.2g} < {alpha:g}) and at least the {m:.1%} minimum effect"
        if ci_worse is not None and -m < ci_worse[0] and ci_worse[1] < m:
            return "unchanged", f"significant (p={p:.2g}) but the CI lies within +-{m:.1%}"
        return "inconclusive", (
            f"significant (p={p:.2g}) but smaller than {m:.1%} and the CI reaches past "
            f"+-{m:.1%}: collect more samples"
        )
    if abs(worse) < m:
        return "unchanged", f"no significant change (p={p:.2g} >= {alpha:g})"
    return "inconclusive", (
        f"observed change of at least {m:.1%} but not significant (p={p:.2g} >= {alpha:g}): "
        "collect more samples"
    )


def bootstrap_ratio_ci(
    base: np.ndarray,
    cand: np.ndarray,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    level: float = DEFAULT_CI_LEVEL,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``median(cand) / median(base) - 1``: each side resampled
    independently with replacement, ``n_boot`` times; deterministic for a seed.

    Vectorized: each side is sorted once, and a resample's median is read from its sorted
    resampled *indices* (sorting small integers is several times faster than taking the
    median of each resampled row; the result is the same ``np.median``)."""
    base = np.asarray(base, dtype=np.float64)
    cand = np.asarray(cand, dtype=np.float64)
    if n_boot < 1 or not 0 < level < 1:
        raise ValueError("n_boot must be >= 1 and level in (0, 1)")
    if base.size == 0 or cand.size == 0:
        raise ValueError("bootstrap_ratio_ci: empty sample")
    rng = np.random.default_rng(seed)
    block = max(1, _BOOT_BLOCK_VALUES // max(base.size, cand.size))
    ratios = np.empty(n_boot)
    for start in range(0, n_boot, block):
        k = min(block, n_boot - start)
        mb = _resampled_medians(rng, np.sort(base), k)
        mc = _resampled_medians(rng, np.sort(cand), k)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios[start : start + k] = np.where(
                mb == 0, np.where(mc == 0, 0.0, np.sign(mc) * np.inf), mc / mb - 1.0
            )
    tail = (1.0 - level) / 2.0
    lo, hi = np.quantile(ratios, [tail, 1.0 - tail])
    return float(lo), float(hi)


def _resampled_medians(rng: np.random.Generator, sorted_x: np.ndarray, k: int) -> np.ndarray:
    """Medians of ``k`` resamples (with replacement) of the sorted sample ``sorted_x``."""
    n = sorted_x.size
    idx = rng.integers(0, n, (k, n), dtype=np.int16 if n <= np.iinfo(np.int16).max else np.int64)
    idx.sort(axis=1)
    mid = n // 2
    if n % 2:
        return sorted_x[idx[:, mid]]
    return (sorted_x[idx[:, mid - 1]] + sorted_x[idx[:, mid]]) / 2.0


def _mannwhitney_p(base: np.ndarray, cand: np.ndarray) -> float:
    from scipy.stats import mannwhitneyu

    if np.all(base == base[0]) and np.all(cand == base[0]):
        return 1.0  # every value tied: no evidence of any difference
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        p = float(mannwhitneyu(base, cand, alternative="two-sided").pvalue)
    return 1.0 if math.isnan(p) else p


# --------------------------------------------------------------------------- comparisons


def compare_samples(
    base: Sequence[float] | np.ndarray,
    cand: Sequence[float] | np.ndarray,
    *,
    higher_is_better: bool = False,
    min_effect: float = DEFAULT_MIN_EFFECT,
    alpha: float = DEFAULT_ALPHA,
    n_boot: int = DEFAULT_N_BOOT,
    seed: int = 0,
    ci_level: float = DEFAULT_CI_LEVEL,
    min_samples: int = MIN_SAMPLES,
    board: str | None = None,
    model: str | None = None,
    metric: str = "",
    unit: str = "",
) -> Verdict:
    """Verdict for noisy samples (real-board timings, metered energy); see the module
    docstring for the rule and the noise model it is calibrated for. NaNs are dropped.
    ``baseline`` / ``candidate`` are the medians."""
    b, c = _values(base, "baseline"), _values(cand, "candidate")
    common = dict(
        _labels(board, model, metric, unit),
        higher_is_better=higher_is_better,
        method="mann-whitney+bootstrap",
        n_baseline=int(b.size),
        n_candidate=int(c.size),
        min_effect=min_effect,
    )
    if b.size == 0 or c.size == 0:
        return Verdict(
            **common,
            baseline=float(np.median(b)) if b.size else None,
            candidate=float(np.median(c)) if c.size else None,
            verdict="inconclusive",
            detail=f"no samples (baseline n={b.size}, candidate n={c.size})",
        )
    mb, mc = float(np.median(b)), float(np.median(c))
    effect = _rel(mb, mc)
    lo, hi = bootstrap_ratio_ci(b, c, n_boot=n_boot, level=ci_level, seed=seed)
    p = _mannwhitney_p(b, c)
    if b.size < min_samples or c.size < min_samples:
        verdict, why = "inconclusive", f"too few samples (need {min_samples} a side)"
    else:
        ci_w = (_worse(hi, higher_is_better), _worse(lo, higher_is_better))
        ci_w = (min(ci_w), max(ci_w))
        verdict, why = _decide(p, _worse(effect, higher_is_better), ci_w, min_effect, alpha)
    detail = (
        f"median {mb:.6g} -> {mc:.6g} ({_pct(effect)}, {ci_level:.0%} CI {_pct(lo)} .. {_pct(hi)}), "
        f"n={b.size}/{c.size}: {why}"
    )
    return Verdict(
        **common,
        baseline=mb,
        candidate=mc,
        effect=effect,
        ci_low=lo,
        ci_high=hi,
        p_value=p,
        verdict=verdict,
        detail=detail,
    )


def compare_deterministic(
    base_values: Sequence[float] | np.ndarray,
    cand_values: Sequence[float] | np.ndarray,
    *,
    threshold: float = DEFAULT_EMULATED_THRESHOLD,
    higher_is_better: bool = False,
    abs_tolerance: float = 0.0,
    board: str | None = None,
    model: str | None = None,
    metric: str = "",
    unit: str = "",
) -> Verdict:
    """Exact comparison of the medians of deterministic values (emulated instruction
    counts): unchanged when ``abs(effect) <= threshold`` or the medians differ by at most
    ``abs_tolerance`` (same unit as the values, e.g. one timer tick), else improved /
    regressed. No test, so ``p_value`` is None. A side whose values are not all equal is
    noted in ``detail`` (such data is noisy and belongs to :func:`compare_samples`)."""
    b, c = _values(base_values, "baseline"), _values(cand_values, "candidate")
    common = dict(
        _labels(board, model, metric, unit),
        higher_is_better=higher_is_better,
        method="exact-threshold",
        n_baseline=int(b.size),
        n_candidate=int(c.size),
        min_effect=threshold,
    )
    if b.size == 0 or c.size == 0:
        return Verdict(
            **common,
            baseline=float(np.median(b)) if b.size else None,
            candidate=float(np.median(c)) if c.size else None,
            verdict="inconclusive",
            detail=f"no values (baseline n={b.size}, candidate n={c.size})",
        )
    mb, mc = float(np.median(b)), float(np.median(c))
    verdict, effect, why = _exact(mb, mc, threshold, abs_tolerance, higher_is_better)
    notes = [
        f"{name} not constant ({a.min():.6g} .. {a.max():.6g})"
        for name, a in (("baseline", b), ("candidate", c))
        if a.min() != a.max()
    ]
    detail = f"median {mb:.6g} -> {mc:.6g} ({_pct(effect)}): {why}" + "".join(f"; {n}" for n in notes)
    return Verdict(**common, baseline=mb, candidate=mc, effect=effect, verdict=verdict, detail=detail)


def compare_scalar(
    base: float | None,
    cand: float | None,
    *,
    higher_is_better: bool = False,
    threshold: float = 0.0,
    abs_tolerance: float = 0.0,
    board: str | None = None,
    model: str | None = None,
    metric: str = "",
    unit: str = "",
) -> Verdict:
    """One number a side (arena bytes, flash size): unchanged when ``abs(effect) <=
    threshold`` (or the difference is at most ``abs_tolerance``), else improved / regressed.
    A missing side (None / NaN) is inconclusive."""
    common = dict(
        _labels(board, model, metric, unit),
        higher_is_better=higher_is_better,
        method="exact-threshold",
        min_effect=threshold,
    )
    missing = [n for n, v in (("baseline", base), ("candidate", cand)) if v is None or math.isnan(float(v))]
    if missing:
        return Verdict(
            **common,
            baseline=None if base is None else float(base),
            candidate=None if cand is None else float(cand),
            verdict="inconclusive",
            detail=f"no {' or '.join(missing)} value",
        )
    assert base is not None and cand is not None  # `missing` returned above otherwise
    b, c = float(base), float(cand)
    verdict, effect, why = _exact(b, c, threshold, abs_tolerance, higher_is_better)
    return Verdict(
        **common,
        baseline=b,
        candidate=c,
        effect=effect,
        verdict=verdict,
        n_baseline=1,
        n_candidate=1,
        detail=f"{b:.6g} -> {c:.6g} ({_pct(effect)}): {why}",
    )


def _exact(
    b: float, c: float, threshold: float, abs_tolerance: float, higher_is_better: bool
) -> tuple[str, float, str]:
    effect = _rel(b, c)
    if b == c:
        return "unchanged", effect, "identical"
    if abs(c - b) <= abs_tolerance:
        return "unchanged", effect, f"within the absolute tolerance {abs_tolerance:g}"
    if abs(effect) <= threshold:
        return "unchanged", effect, f"within the {threshold:.2%} threshold"
    worse = _worse(effect, higher_is_better)
    limit = f"{threshold:.2%} threshold" if threshold else "exact comparison"
    return ("regressed" if worse > 0 else "improved"), effect, f"beyond the {limit}"


def compare_counts(
    base_correct: int,
    base_n: int,
    cand_correct: int,
    cand_n: int,
    *,
    exact: bool = True,
    alpha: float = DEFAULT_ALPHA,
    min_effect: float = DEFAULT_MIN_EFFECT,
    ci_level: float = DEFAULT_CI_LEVEL,
    board: str | None = None,
    model: str | None = None,
    metric: str = "accuracy",
    unit: str = "fraction",
) -> Verdict:
    """Accuracy (correct out of n; higher is better). ``baseline`` / ``candidate`` are the
    rates, ``effect`` the relative change of the rate.

    ``exact=True`` (bit-exact, deterministic runs over the same inputs): any change of the
    rate is flagged — fewer correct is "regressed" — with no test (method "exact-count").
    ``exact=False`` (non-deterministic devices or different inputs): two-sided Fisher exact
    test on the 2x2 table, a Katz log CI of the rate ratio, and the same decision table as
    :func:`compare_samples` with ``min_effect`` relative to the baseline rate (method
    "fisher-exact")."""
    for name, k, n in (("baseline", base_correct, base_n), ("candidate", cand_correct, cand_n)):
        if n < 0 or not 0 <= k <= max(n, 0):
            raise ValueError(f"compare_counts: {name} correct={k} out of n={n}")
    common = dict(
        _labels(board, model, metric, unit),
        higher_is_better=True,
        n_baseline=int(base_n),
        n_candidate=int(cand_n),
        method="exact-count" if exact else "fisher-exact",
    )
    if base_n == 0 or cand_n == 0:
        return Verdict(
            **common,
            baseline=base_correct / base_n if base_n else None,
            candidate=cand_correct / cand_n if cand_n else None,
            verdict="inconclusive",
            detail=f"no samples (baseline n={base_n}, candidate n={cand_n})",
        )
    rb, rc = base_correct / base_n, cand_correct / cand_n
    effect = _rel(rb, rc)
    counts = (
        f"{base_correct}/{base_n} ({rb:.2%}) -> {cand_correct}/{cand_n} ({rc:.2%}), {100 * (rc - rb):+.2f} pp"
    )
    if exact:
        same = base_correct * cand_n == cand_correct * base_n
        verdict = "unchanged" if same else ("improved" if rc > rb else "regressed")
        note = "" if base_n == cand_n else "; different sample counts"
        return Verdict(
            **common,
            baseline=rb,
            candidate=rc,
            effect=effect,
            verdict=verdict,
            min_effect=0.0,
            detail=f"{counts}: exact comparison ({'same' if same else 'changed'} rate){note}",
        )
    from scipy.stats import fisher_exact, norm

    table = [[base_correct, base_n - base_correct], [cand_correct, cand_n - cand_correct]]
    p = float(fisher_exact(table, alternative="two-sided").pvalue)
    # Katz log interval of the rate ratio rc / rb (0.5 added to every cell if any count is 0)
    a, n1, c, n2 = float(base_correct), float(base_n), float(cand_correct), float(cand_n)
    if min(a, c, n1 - a, n2 - c) == 0:
        a, c, n1, n2 = a + 0.5, c + 0.5, n1 + 1.0, n2 + 1.0
    z = float(norm.ppf(0.5 + ci_level / 2.0))
    log_rr = math.log((c / n2) / (a / n1))
    se = math.sqrt(max(1 / c - 1 / n2 + 1 / a - 1 / n1, 0.0))
    lo, hi = math.exp(log_rr - z * se) - 1.0, math.exp(log_rr + z * se) - 1.0
    verdict, why = _decide(p, -effect, (-hi, -lo), min_effect, alpha)
    return Verdict(
        **common,
        baseline=rb,
        candidate=rc,
        effect=effect,
        ci_low=lo,
        ci_high=hi,
        p_value=p,
        verdict=verdict,
        min_effect=min_effect,
        detail=f"{counts} ({_pct(effect)}, {ci_level:.0%} CI {_pct(lo)} .. {_pct(hi)}): {why}",
    )


# --------------------------------------------------------------------------- calibration


def simulated_timings(
    rng: np.random.Generator,
    n: int,
    *,
    shift: float = 0.0,
    cv: float = 0.04,
    outlier_rate: float = 0.02,
    outlier_slowdown: tuple[float, float] = (1.2, 1.5),
    drift: float = 0.0,
    center: float = 1000.0,
) -> np.ndarray:
    """Samples from the noise model the verdict defaults are calibrated for: ``center *
    (1 + shift)`` times lognormal jitter of coefficient of variation ``cv`` (median-
    preserving up to the cv**2/2 lognormal mean correction), a fraction ``outlier_rate`` of
    samples slowed by a uniform factor in ``outlier_slowdown`` (interrupts), and optionally
    one run-wide factor ``exp(N(0, drift))`` (the whole board slower or faster today)."""
    sigma = math.sqrt(math.log1p(cv * cv))
    x = np.exp(rng.normal(-sigma * sigma / 2.0, sigma, n)) * center * (1.0 + shift)
    if drift:
        x *= math.exp(rng.normal(0.0, drift))
    hit = rng.random(n) < outlier_rate
    x[hit] *= rng.uniform(outlier_slowdown[0], outlier_slowdown[1], int(hit.sum()))
    return x

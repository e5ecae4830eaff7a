"""Statistics of the accuracy tables and the claims ledger: per-model summaries and tests on differences.

- `summarize`: mean, sample standard deviation, n and the 95 % Student t-interval of the mean
  (mean ± t₀.₉₇₅,ₙ₋₁ · sd / √n); no interval below n = 2.
- `paired`: the difference a − b of two models trained with the same seeds (same data order), as the
  t-interval of the mean of the per-seed differences (paired t-test: scipy's ``ttest_rel``).
- `welch`: the difference of the means of two independent samples, Welch's unequal-variance t-interval
  (Welch–Satterthwaite degrees of freedom: scipy's ``ttest_ind(..., equal_var=False)``).
- `difference`: paired when both models have the same ≥ 2 seeds, else Welch.
- `seeds_needed`: how many seeds per model give the usual 80 % power to make the 95 % interval of the
  difference clear the claim's nearest threshold, if the effect and the spread are as measured (`power`).
- `decide`: the verdict from an interval and the claim's kind: "holds", "contradicted" or "inconclusive".
- `agreement`: a reproduction against the shipped reference run (docs/reference.md): "agrees within ±1
  point", "differs" or "inconclusive", from the Welch interval of the difference.

Every interval is two-sided at 95 %; a one-sided claim ("A is better than B") therefore holds at the
2.5 % level. All numbers are in the unit of the values (accuracy points for the tables).
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from scipy import stats as _scipy

LEVEL = 0.95
MAX_SEEDS = 1000  # seeds_needed() answers None beyond this (no realistic number of seeds decides it)
POWER = 0.8  # seeds_needed(): the conventional planning power (Cohen 1988), 1 − β with β = 0.2
HOLDS, CONTRADICTED, INCONCLUSIVE = "holds", "contradicted", "inconclusive"
AGREES, DIFFERS = "agrees with the reference within ±{m:g} point", "differs from the reference by more than {m:g} point"


def t_quantile(df: float, level: float = LEVEL) -> float:
    """Two-sided Student t critical value t_{(1+level)/2, df}."""
    if not df > 0:
        raise ValueError(f"df: expected > 0, got {df}")
    return float(_scipy.t.ppf((1 + level) / 2, df))


@dataclass(frozen=True)
class Summary:
    """Mean, sample sd, n and the 95 % t-interval [lo, hi] of the mean (None where undefined)."""

    n: int
    mean: float | None
    sd: float | None
    lo: float | None
    hi: float | None

    @property
    def half_width(self) -> float | None:
        return None if self.lo is None else (self.hi - self.lo) / 2


def summarize(values, level: float = LEVEL) -> Summary:
    v = [float(x) for x in values]
    if any(not math.isfinite(x) for x in v):
        raise ValueError(f"values: expected finite numbers, got {v}")
    if not v:
        return Summary(0, None, None, None, None)
    mean = statistics.fmean(v)
    if len(v) < 2:
        return Summary(1, mean, None, None, None)
    sd = statistics.stdev(v)
    h = t_quantile(len(v) - 1, level) * sd / math.sqrt(len(v))
    return Summary(len(v), mean, sd, mean - h, mean + h)


@dataclass(frozen=True)
class Difference:
    """Effect a − b with its 95 % interval; ``spread`` is what `seeds_needed` scales (sd of the per-seed
    differences for the paired test, (sd_a, sd_b) for Welch)."""

    test: str                     # "paired t (by seed)" or "Welch t"
    n_a: int
    n_b: int
    effect: float | None
    lo: float | None = None
    hi: float | None = None
    df: float | None = None
    p: float | None = None        # two-sided p-value of "no difference"
    spread: tuple = ()


def paired(a: dict, b: dict, level: float = LEVEL) -> Difference:
    """a, b: seed -> value. Uses the seeds both have: scipy's ``ttest_rel`` and its confidence interval."""
    seeds = sorted(set(a) & set(b))
    x, y = [float(a[s]) for s in seeds], [float(b[s]) for s in seeds]
    s = summarize([u - v for u, v in zip(x, y)], level)
    if s.n < 2:
        return Difference("paired t (by seed)", len(a), len(b), s.mean)
    if s.sd == 0:  # identical differences: a zero-width interval, no p-value (scipy answers NaN)
        return Difference("paired t (by seed)", s.n, s.n, s.mean, s.mean, s.mean, s.n - 1, None, (s.sd,))
    res = _scipy.ttest_rel(x, y)
    ci = res.confidence_interval(level)
    return Difference("paired t (by seed)", s.n, s.n, s.mean, float(ci.low), float(ci.high), s.n - 1,
                      float(res.pvalue), (s.sd,))


def welch(a, b, level: float = LEVEL) -> Difference:
    """a, b: independent samples (iterables of values): scipy's ``ttest_ind(equal_var=False)`` and its interval."""
    sa, sb = summarize(a), summarize(b)
    if sa.n == 0 or sb.n == 0:
        return Difference("Welch t", sa.n, sb.n, None)
    effect = sa.mean - sb.mean
    if sa.n < 2 or sb.n < 2:
        return Difference("Welch t", sa.n, sb.n, effect)
    if sa.sd == 0 and sb.sd == 0:  # no spread at all: a zero-width interval, no p-value (scipy answers NaN)
        return Difference("Welch t", sa.n, sb.n, effect, effect, effect, None, None, (sa.sd, sb.sd))
    res = _scipy.ttest_ind([float(v) for v in a], [float(v) for v in b], equal_var=False)
    ci = res.confidence_interval(level)
    return Difference("Welch t", sa.n, sb.n, effect, float(ci.low), float(ci.high), float(res.df), float(res.pvalue),
                      (sa.sd, sb.sd))


def difference(a: dict, b: dict, level: float = LEVEL) -> Difference:
    """a, b: seed -> value. Paired by seed when both have the same seeds (at least 2), else Welch."""
    if set(a) == set(b) and len(a) >= 2:
        return paired(a, b, level)
    return welch(list(a.values()), list(b.values()), level)


def _standard_error(diff: Difference, n: int) -> tuple[float, float]:
    """(standard error of the effect, degrees of freedom) with ``n`` seeds per model at the measured spread."""
    if diff.test.startswith("paired"):
        (sd,) = diff.spread
        return sd / math.sqrt(n), n - 1
    sa, sb = diff.spread
    va, vb = sa ** 2 / n, sb ** 2 / n
    if va + vb == 0:
        return 0.0, 2 * n - 2
    return math.sqrt(va + vb), (va + vb) ** 2 / ((va ** 2 + vb ** 2) / (n - 1))  # Welch–Satterthwaite


def half_width(diff: Difference, n: int, level: float = LEVEL) -> float:
    """Half-width of the difference's interval with ``n`` seeds per model at the measured spread."""
    se, df = _standard_error(diff, n)
    return t_quantile(df, level) * se


def power(diff: Difference, gap: float, n: int, level: float = LEVEL) -> float:
    """Probability that the two-sided ``level`` interval with ``n`` seeds per model lies entirely on the
    effect's side of a threshold ``gap`` away from it, if the true effect and spread are as measured.

    The standard power of the t-test (as statsmodels' ``TTestPower`` / ``TTestIndPower`` or G*Power compute
    it): with se and df the standard error and degrees of freedom at ``n`` (paired: sd/√n, n − 1; Welch:
    √(s_a²/n + s_b²/n), Welch–Satterthwaite), the t statistic is noncentral t with noncentrality gap/se, and
    power = P(T > t_{(1+level)/2, df}). Only the tail on the effect's side counts: the other one (an interval
    past the threshold the wrong way) would not decide the claim the way the runs point.
    """
    se, df = _standard_error(diff, n)
    if se == 0:
        return 1.0
    return float(_scipy.nct.sf(t_quantile(df, level), df, gap / se))


def seeds_needed(diff: Difference, thresholds: tuple[float, ...], level: float = LEVEL,
                 target: float = POWER) -> int | None:
    """Fewest seeds per model (≥ 2) with `power` ≥ ``target`` (80 %, the usual planning value) to make the
    95 % interval clear the nearest of ``thresholds`` (the values at which the verdict changes), the true
    effect and spread taken as measured. For "equivalent" claims (two thresholds) this is the power against
    the nearer one, an upper bound on clearing both. None when no spread was measured (n < 2), when the
    effect sits on a threshold, or when more than MAX_SEEDS would be needed."""
    if diff.effect is None or not diff.spread:
        return None
    gap = min(abs(diff.effect - t) for t in thresholds)
    if gap == 0:
        return None
    lo, hi = 2, MAX_SEEDS  # power increases with n: bisect for the first n that reaches the target
    if power(diff, gap, hi, level) < target:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if power(diff, gap, mid, level) >= target:
            hi = mid
        else:
            lo = mid + 1
    return lo


def decide(kind: str, lo: float | None, hi: float | None, margin: float = 0.0, bounds=None) -> str:
    """Verdict from the 95 % interval [lo, hi] of the effect a − b.

    kind "better":      a better than b by more than margin (default 0).
                                                   holds: lo > margin;  contradicted: hi < margin.
    kind "not_worse":   a not worse than b − margin. holds: lo > −margin; contradicted: hi < −margin.
    kind "equivalent":  |a − b| < margin.           holds: −margin < lo and hi < margin;
                                                    contradicted: lo > margin or hi < −margin.
    kind "within":      low ≤ a − b < high (``bounds``). holds: low ≤ lo and hi < high;
                                                    contradicted: hi < low or lo ≥ high.
    Anything else, or no interval, is inconclusive.
    """
    if lo is None or hi is None:
        return INCONCLUSIVE
    if kind == "better":
        return HOLDS if lo > margin else CONTRADICTED if hi < margin else INCONCLUSIVE
    if kind == "not_worse":
        return HOLDS if lo > -margin else CONTRADICTED if hi < -margin else INCONCLUSIVE
    if kind == "equivalent":
        if -margin < lo and hi < margin:
            return HOLDS
        return CONTRADICTED if lo > margin or hi < -margin else INCONCLUSIVE
    if kind == "within":
        low, high = bounds
        if low <= lo and hi < high:
            return HOLDS
        return CONTRADICTED if hi < low or lo >= high else INCONCLUSIVE
    raise ValueError(f"kind: expected 'better', 'not_worse', 'equivalent' or 'within', got {kind!r}")


def thresholds(kind: str, margin: float = 0.0, bounds=None) -> tuple[float, ...]:
    """The effect values at which `decide` changes its verdict for ``kind``."""
    if kind == "within":
        return tuple(bounds)
    return {"better": (margin,), "not_worse": (-margin,), "equivalent": (-margin, margin)}[kind]


def agreement(lo: float | None, hi: float | None, margin: float = 1.0) -> str:
    """A reproduction against the reference run, from the 95 % interval [lo, hi] of the difference of their
    means (yours − reference; Welch, `welch`): "agrees" when the whole interval lies within ±``margin`` points,
    "differs" when it lies entirely outside (lo > margin or hi < −margin), "inconclusive" otherwise (also
    without an interval: fewer than 2 runs on either side)."""
    if lo is None or hi is None:
        return INCONCLUSIVE
    if -margin <= lo and hi <= margin:
        return AGREES.format(m=margin)
    return DIFFERS.format(m=margin) if lo > margin or hi < -margin else INCONCLUSIVE

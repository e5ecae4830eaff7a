"""Statistics of the accuracy tables and the claims ledger: per-model summaries and tests on differences.

- `summarize`: mean, sample standard deviation, n and the 95 % Student t-interval of the mean
  (mean ± t₀.₉₇₅,ₙ₋₁ · sd / √n); no interval below n = 2.
- `paired`: the difference a − b of two models trained with the same seeds (same data order), as the
  t-interval of the mean of the per-seed differences (paired t-test).
- `welch`: the difference of the means of two independent samples, Welch's unequal-variance t-interval
  (Welch–Satterthwaite degrees of freedom).
- `difference`: paired when both models have the same ≥ 2 seeds, else Welch.
- `seeds_needed`: how many seeds per model would make the 95 % interval of the difference clear the
  claim's thresholds if the effect and the spread stayed as measured.
- `decide`: the verdict from an interval and the claim's kind: "holds", "contradicted" or "inconclusive".

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
HOLDS, CONTRADICTED, INCONCLUSIVE = "holds", "contradicted", "inconclusive"


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
    """a, b: seed -> value. Uses the seeds both have."""
    seeds = sorted(set(a) & set(b))
    d = [float(a[s]) - float(b[s]) for s in seeds]
    s = summarize(d, level)
    if s.n < 2:
        return Difference("paired t (by seed)", len(a), len(b), s.mean)
    p = None
    if s.sd > 0:
        p = float(2 * _scipy.t.sf(abs(s.mean) / (s.sd / math.sqrt(s.n)), s.n - 1))
    return Difference("paired t (by seed)", s.n, s.n, s.mean, s.lo, s.hi, s.n - 1, p, (s.sd,))


def welch(a, b, level: float = LEVEL) -> Difference:
    """a, b: independent samples (iterables of values)."""
    sa, sb = summarize(a), summarize(b)
    if sa.n == 0 or sb.n == 0:
        return Difference("Welch t", sa.n, sb.n, None)
    effect = sa.mean - sb.mean
    if sa.n < 2 or sb.n < 2:
        return Difference("Welch t", sa.n, sb.n, effect)
    va, vb = sa.sd ** 2 / sa.n, sb.sd ** 2 / sb.n
    se = math.sqrt(va + vb)
    if se == 0:
        return Difference("Welch t", sa.n, sb.n, effect, effect, effect, None, None, (sa.sd, sb.sd))
    df = (va + vb) ** 2 / (va ** 2 / (sa.n - 1) + vb ** 2 / (sb.n - 1))
    h = t_quantile(df, level) * se
    p = float(2 * _scipy.t.sf(abs(effect) / se, df))
    return Difference("Welch t", sa.n, sb.n, effect, effect - h, effect + h, df, p, (sa.sd, sb.sd))


def difference(a: dict, b: dict, level: float = LEVEL) -> Difference:
    """a, b: seed -> value. Paired by seed when both have the same seeds (at least 2), else Welch."""
    if set(a) == set(b) and len(a) >= 2:
        return paired(a, b, level)
    return welch(list(a.values()), list(b.values()), level)


def half_width(diff: Difference, n: int, level: float = LEVEL) -> float:
    """Half-width of the difference's interval with ``n`` seeds per model at the measured spread."""
    if diff.test.startswith("paired"):
        (sd,) = diff.spread
        return t_quantile(n - 1, level) * sd / math.sqrt(n)
    sa, sb = diff.spread
    va, vb = sa ** 2 / n, sb ** 2 / n
    if va + vb == 0:
        return 0.0
    df = (va + vb) ** 2 / ((va ** 2 + vb ** 2) / (n - 1))
    return t_quantile(df, level) * math.sqrt(va + vb)


def seeds_needed(diff: Difference, thresholds: tuple[float, ...], level: float = LEVEL) -> int | None:
    """Fewest seeds per model (≥ 2) whose interval, centred on the measured effect with the measured
    spread, contains none of ``thresholds`` (the values at which the verdict changes); None when no
    spread was measured (n < 2) or more than MAX_SEEDS would be needed (e.g. an effect exactly on a
    threshold)."""
    if diff.effect is None or not diff.spread:
        return None
    gap = min(abs(diff.effect - t) for t in thresholds)
    if gap == 0:
        return None
    lo, hi = 2, MAX_SEEDS  # half_width decreases with n: bisect for the first n with half_width < gap
    if half_width(diff, hi, level) >= gap:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if half_width(diff, mid, level) < gap:
            hi = mid
        else:
            lo = mid + 1
    return lo


def decide(kind: str, lo: float | None, hi: float | None, margin: float = 0.0) -> str:
    """Verdict from the 95 % interval [lo, hi] of the effect a − b.

    kind "better":      a better than b.           holds: lo > 0;       contradicted: hi < 0.
    kind "not_worse":   a not worse than b − margin. holds: lo > −margin; contradicted: hi < −margin.
    kind "equivalent":  |a − b| < margin.           holds: −margin < lo and hi < margin;
                                                    contradicted: lo > margin or hi < −margin.
    Anything else, or no interval, is inconclusive.
    """
    if lo is None or hi is None:
        return INCONCLUSIVE
    if kind == "better":
        return HOLDS if lo > 0 else CONTRADICTED if hi < 0 else INCONCLUSIVE
    if kind == "not_worse":
        return HOLDS if lo > -margin else CONTRADICTED if hi < -margin else INCONCLUSIVE
    if kind == "equivalent":
        if -margin < lo and hi < margin:
            return HOLDS
        return CONTRADICTED if lo > margin or hi < -margin else INCONCLUSIVE
    raise ValueError(f"kind: expected 'better', 'not_worse' or 'equivalent', got {kind!r}")


def thresholds(kind: str, margin: float = 0.0) -> tuple[float, ...]:
    """The effect values at which `decide` changes its verdict for ``kind``."""
    return {"better": (0.0,), "not_worse": (-margin,), "equivalent": (-margin, margin)}[kind]

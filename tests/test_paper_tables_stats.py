"""paper_tables.stats: intervals and tests against scipy's independent implementations and textbook
values; verdicts on planted effects."""
import math
import random

import numpy as np
import pytest
from scipy import stats as sst

from paper_tables import stats

DATA_A = [71.2, 73.9, 72.4, 70.8, 74.1]
DATA_B = [69.0, 72.8, 70.1, 70.2, 71.9]


def test_t_quantiles_match_the_textbook_table():
    # Student t table, two-sided 95 %: df 1, 2, 4, 10, 30
    for df, t in ((1, 12.706), (2, 4.303), (4, 2.776), (10, 2.228), (30, 2.042)):
        assert stats.t_quantile(df) == pytest.approx(t, abs=5e-4)
    assert stats.t_quantile(1e9) == pytest.approx(1.95996, abs=1e-5)
    with pytest.raises(ValueError, match="df"):
        stats.t_quantile(0)


def test_summary_is_the_student_t_interval():
    s = stats.summarize([1, 2, 3, 4, 5])
    assert (s.n, s.mean, s.sd) == (5, 3.0, pytest.approx(math.sqrt(2.5)))
    assert s.half_width == pytest.approx(2.776445 * math.sqrt(2.5) / math.sqrt(5), rel=1e-6)  # 1.9632
    lo, hi = sst.t.interval(0.95, 4, loc=3.0, scale=sst.sem([1, 2, 3, 4, 5]))
    assert (s.lo, s.hi) == (pytest.approx(lo), pytest.approx(hi))
    assert stats.summarize([7.0]) == stats.Summary(1, 7.0, None, None, None)
    assert stats.summarize([]) == stats.Summary(0, None, None, None, None)
    with pytest.raises(ValueError, match="finite"):
        stats.summarize([1.0, float("nan")])


def test_paired_matches_scipy_ttest_rel():
    a = dict(enumerate(DATA_A))
    b = dict(enumerate(DATA_B))
    d = stats.paired(a, b)
    ref = sst.ttest_rel(DATA_A, DATA_B)
    ci = ref.confidence_interval(0.95)
    assert d.test.startswith("paired") and (d.n_a, d.n_b, d.df) == (5, 5, 4)
    assert d.effect == pytest.approx(sum(DATA_A) / 5 - sum(DATA_B) / 5)
    assert (d.lo, d.hi, d.p) == (pytest.approx(ci.low), pytest.approx(ci.high), pytest.approx(ref.pvalue))
    assert stats.difference(a, b) == d  # same seeds -> paired


def test_welch_matches_scipy_ttest_ind_unequal_variances():
    b = DATA_B[:3] + [60.0]
    d = stats.welch(DATA_A, b)
    ref = sst.ttest_ind(DATA_A, b, equal_var=False)
    ci = ref.confidence_interval(0.95)
    assert d.test == "Welch t" and (d.n_a, d.n_b) == (5, 4)
    assert (d.lo, d.hi, d.p, d.df) == (pytest.approx(ci.low), pytest.approx(ci.high), pytest.approx(ref.pvalue),
                                       pytest.approx(ref.df))
    assert stats.difference(dict(enumerate(DATA_A)), {7: 1.0, 8: 2.0, 9: 3.0}).test == "Welch t"  # other seeds
    assert stats.welch([1.0], [2.0, 3.0]).lo is None  # no spread for a single run


def test_seeds_needed_is_the_first_n_with_80_percent_power():
    d = stats.paired(dict(enumerate(DATA_A)), dict(enumerate(DATA_B)))
    d_small = stats.Difference(d.test, 5, 5, 0.3, spread=(1.5,))
    n = stats.seeds_needed(d_small, (0.0,))
    assert stats.power(d_small, 0.3, n) >= 0.8 > stats.power(d_small, 0.3, n - 1)
    assert stats.half_width(d_small, n) < 0.3  # 80 % power asks more than the interval clearing on average
    assert stats.seeds_needed(d, (0.0,)) >= 2
    assert stats.seeds_needed(stats.Difference("Welch t", 1, 1, 2.0), (0.0,)) is None  # no spread measured
    assert stats.seeds_needed(stats.Difference("Welch t", 3, 3, 0.0, spread=(1.0, 1.0)), (0.0,)) is None
    w = stats.welch(DATA_A, DATA_B[:3] + [60.0])
    n = stats.seeds_needed(w, (0.0,))
    assert n is None or stats.power(w, abs(w.effect), n) >= 0.8


@pytest.mark.parametrize("test, effect, n, power", [
    # G*Power 3.1, two-tailed α = 0.05, power 0.8: one-sample/paired (d = 0.5: 34, actual power 0.808;
    # d = 0.8: 15, 0.821) and two independent groups with equal sd (d = 0.5: 64 per group; d = 0.8: 26).
    ("paired t (by seed)", 0.5, 34, 0.8078), ("paired t (by seed)", 0.8, 15, 0.8213),
    ("Welch t", 0.5, 64, None), ("Welch t", 0.8, 26, None)])
def test_seeds_needed_matches_the_textbook_sample_sizes(test, effect, n, power):
    spread = (1.0,) if test.startswith("paired") else (1.0, 1.0)
    d = stats.Difference(test, 5, 5, effect, spread=spread)
    assert stats.seeds_needed(d, (0.0,)) == n
    if power is not None:
        assert stats.power(d, effect, n) == pytest.approx(power, abs=5e-4)


def test_power_is_the_simulated_rate_of_deciding():
    """Draw many 15-seed paired experiments with effect 0.8 sd: the 95 % interval clears 0 in ~82 % of them."""
    rng = np.random.default_rng(0)
    diffs = rng.normal(0.8, 1.0, size=(20000, 15))
    lo = diffs.mean(1) - sst.t.ppf(0.975, 14) * diffs.std(1, ddof=1) / np.sqrt(15)
    d = stats.Difference("paired t (by seed)", 15, 15, 0.8, spread=(1.0,))
    assert (lo > 0).mean() == pytest.approx(stats.power(d, 0.8, 15), abs=0.01)


@pytest.mark.parametrize("kind, lo, hi, margin, verdict", [
    ("better", 0.1, 2.0, 0, "holds"), ("better", -2.0, -0.1, 0, "contradicted"), ("better", -1, 1, 0, "inconclusive"),
    ("not_worse", -0.5, 2.0, 1, "holds"), ("not_worse", -3, -1.5, 1, "contradicted"),
    ("not_worse", -1.5, 0.5, 1, "inconclusive"),
    ("equivalent", -0.5, 0.5, 1, "holds"), ("equivalent", 1.2, 3, 1, "contradicted"),
    ("equivalent", 0.5, 1.5, 1, "inconclusive"), ("better", None, None, 0, "inconclusive")])
def test_decide(kind, lo, hi, margin, verdict):
    assert stats.decide(kind, lo, hi, margin) == verdict


def _planted(effect, sd=0.5, n=5):
    """Seed -> accuracy of two models, a = b + effect, with run-to-run noise from SUITE_SEED's RNG."""
    b = {s: 80 + random.gauss(0, sd) for s in range(n)}
    a = {s: b[s] + effect + random.gauss(0, sd) for s in range(n)}
    return a, b


def test_planted_effect_holds_opposite_is_contradicted():
    for effect, verdict in ((5.0, "holds"), (-5.0, "contradicted")):
        a, b = _planted(effect)
        d = stats.difference(a, b)
        assert stats.decide("better", d.lo, d.hi) == verdict, (a, b, d)


def test_pure_noise_is_inconclusive():
    # differences ±e_i: zero mean whatever the draw, so no test may decide it
    e = [abs(random.gauss(0, 1)) + 0.1 for _ in range(3)]
    b = {s: 80 + random.gauss(0, 1) for s in range(6)}
    a = {s: b[s] + (e[s // 2] if s % 2 else -e[s // 2]) for s in range(6)}
    for kind in ("better", "not_worse"):
        d = stats.difference(a, b)
        assert d.effect == pytest.approx(0, abs=1e-9)
        assert stats.decide(kind, d.lo, d.hi) == "inconclusive"


def test_no_spread_gives_a_zero_width_interval_and_no_p_value():
    d = stats.paired({0: 2.0, 1: 3.0}, {0: 1.0, 1: 2.0})  # both differences 1.0
    assert (d.effect, d.lo, d.hi, d.p, d.df) == (1.0, 1.0, 1.0, None, 1)
    w = stats.welch([2.0, 2.0], [1.0, 1.0, 1.0])
    assert (w.effect, w.lo, w.hi, w.p) == (1.0, 1.0, 1.0, None)

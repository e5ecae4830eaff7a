"""Every profile can decide its claims: enough seeds for each accuracy claim's statistics, and ``jobs show`` states
the paper profile's seeds and GPU cost (suite.experiments.cost)."""
import random

import pytest

from jobs import cli
from paper_tables import stats
from suite import experiments
from suite.experiments import cost
from suite.experiments.claim import Compare
from suite.profiles import PROFILES

ACCURACY_CLAIMS = [c for c in experiments.claims() if isinstance(c.test, Compare)]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("claim", ACCURACY_CLAIMS, ids=[c.key for c in ACCURACY_CLAIMS])
def test_every_accuracy_claim_is_decidable_with_the_default_seeds(claim, profile):
    """Both compared models train in the claim's experiment with the profile's default seeds, at least 2 of them
    and the same for both (so that `stats.difference` pairs them by seed), and synthetic accuracies on exactly those
    seeds give the claim an interval and a verdict other than 'no interval'."""
    exp = experiments.get(claim.experiment)
    t = claim.test
    assert {t.a, t.b} <= set(exp.models), f"{claim.key}: {t.a} / {t.b} not trained by {exp.name}"
    seeds = exp.setting(profile).seeds
    assert len(set(seeds)) >= 2, f"{claim.key} ({profile}): {len(seeds)} seed(s) per model give no interval"
    a = {s: 60 + random.gauss(0, 1) for s in seeds}  # one setting: every model trains every seed -> paired
    b = {s: 55 + random.gauss(0, 1) for s in seeds}
    d = stats.difference(a, b)
    assert d.test.startswith("paired") and d.lo is not None and d.hi is not None and d.n_a == len(set(seeds))


def test_fcnn_paper_settings_train_at_least_three_seeds():
    for name in experiments.names():
        exp = experiments.get(name)
        assert len(exp.setting("paper").seeds) >= 3, name
        assert len(exp.setting("local").seeds) >= 3, name
    prov = experiments.provenance("fcnn-table2")["seeds"]
    assert prov.kind == "chosen" and "inconclusive" in prov.reason


def test_cost_is_measured_where_a_step_time_is_known_and_unknown_elsewhere():
    t2 = experiments.get("fcnn-table2")
    paper = t2.setting("paper")
    e = cost.per_seed(paper, "fcnn-e")
    step = cost.STEP_TIMES["fcnn-e"]
    images = cost.TRAIN_IMAGES["imagenet"][0]
    assert e.gpu_hours == pytest.approx(paper.recipe.epochs * images * step.ms / step.batch / 3.6e6)
    assert "at most 100 epochs" in e.source and "H200" in e.source and "batch is 96" in e.source
    a = cost.per_seed(paper, "fcnn-a")
    assert a.gpu_hours is None and a.source == "unknown: no measured step time"
    t4 = experiments.get("fcnn-table4").setting("paper")  # 150×150: no step of these models was measured there
    assert cost.per_seed(t4, "fcnn-g").gpu_hours is None
    l150 = cost.per_seed(t4, "fcnn-e")  # E's step was measured at 221×221: an upper bound at 150×150
    assert l150.gpu_hours is not None and "upper bound" in l150.source
    assert cost.grid_points(experiments.get("hocp-table2"), "paper") == 5
    assert cost.grid_points(t2, "paper") == 1


def test_jobs_show_paper_profile_states_seeds_and_cost(capsys):
    assert cli.main(["show", "fcnn-table2", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    assert "seeds: 0, 1, 2;" in out
    e = cost.per_seed(experiments.get("fcnn-table2").setting("paper"), "fcnn-e")
    assert f"fcnn-e: {e.gpu_hours:.3g} GPU-h per seed" in out and "fcnn-a: unknown: no measured step time" in out
    assert "in all (3 seeds × 6 models): unknown (no measured step time for fcnn-a" in out
    assert f"alone: {3 * e.gpu_hours:.3g} GPU-h" in out
    assert cli.main(["show", "hocp-psi-ablation", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    assert "3 seeds × 2 models × 5 grid points (default sweep)" in out
    assert cli.main(["show", "fcnn-table2", "--profile", "local"]) == 0
    assert "cost: the local profile trains on the CPU" in capsys.readouterr().out

"""paper_tables.claims: the ledger's sources and quotes, and verdicts on planted result logs."""
import csv
import random
import re
from dataclasses import replace

import pytest

from paper_tables import claims, stats
from suite import paper_values as pv
from tests.test_results import make_run

PAPER_FILES = {"FCNN": "000_827885b84de41127.txt", "HO-CP": "004_b31600cd53fb7ce3.txt"}


def test_every_claim_names_its_source_and_a_test():
    keys = [c.key for c in claims.CLAIMS]
    assert len(keys) == len(set(keys))
    for c in claims.CLAIMS:
        assert c.paper in PAPER_FILES and c.source.startswith(c.paper) and re.search(r"Sec\.|Table|Figure|Abstract",
                                                                                      c.source), c
        assert c.quote and c.test.describe()
        assert c.experiment in {"fcnn-table2", "fcnn-table4", "fcnn-table5", "fcnn-table7", "hocp-table1",
                                "hocp-table2", "fcnn-residual", "hocp-compress", "hocp-psi-ablation"}
    experiments = {c.experiment for c in claims.CLAIMS if isinstance(c.test, claims.Compare)}
    assert experiments == {"fcnn-table2", "fcnn-table4", "fcnn-table5", "fcnn-table7", "hocp-table1", "hocp-table2",
                           "fcnn-residual", "hocp-compress", "hocp-psi-ablation"}


# Every quote is the paper's words: tests/test_ledger_quotes.py.


def test_printed_tolerance():
    assert claims.printed_tol("2.25") == pytest.approx(0.005)
    assert claims.printed_tol("0.5") == pytest.approx(0.05)
    assert claims.printed_tol("550") == pytest.approx(5)
    assert claims.printed_tol("1600") == pytest.approx(50)


@pytest.mark.slow  # counts every paper-size network, the 3-D ones too (~1 min on 2 cores)
def test_complexity_claims_are_exact_verdicts():
    by_key = {c.key: claims.evaluate(c) for c in claims.CLAIMS if isinstance(c.test, claims.Count)}
    assert all(v.verdict in ("holds", "contradicted") and v.test == "exact count" for v in by_key.values())
    b = by_key["fcnn-table2-complexity-fcnn-b"]
    assert (b.verdict, b.paper_effect, b.effect) == ("holds", 2.25, 2.25)
    k = by_key["fcnn-table5-complexity-fcnn-k"]  # 9/m depthwise term on top of the paper's projection-only 0.25
    assert k.verdict == "contradicted" and k.effect > pv.FCNN_TABLE5["fcnn-k"].complexity + 0.005
    assert by_key["hocp-t2-saved-params"].verdict == "holds"


def _claim(key):
    return next(c for c in claims.CLAIMS if c.key == key)


def _plant(root, effect, *, seeds=5, sd=0.4):
    """Runs of FCNN Table 2's models D and E, E = D + effect, noise from SUITE_SEED's RNG."""
    for s in range(seeds):
        d = 80 + random.gauss(0, sd)
        make_run(root, model="fcnn-d", seed=s, top1=d)
        make_run(root, model="fcnn-e", seed=s, top1=d + effect + random.gauss(0, sd))


@pytest.mark.parametrize("effect, verdict", [(3.0, "holds"), (-4.0, "contradicted"), (6.0, "contradicted")])
def test_planted_effect_decides_the_claim(tmp_path, effect, verdict):
    """"approximately 3% better": a size, 3 ± 1 point; 6 points better contradicts it as much as 4 worse."""
    _plant(tmp_path, effect, sd=0.2)
    v = claims.evaluate(_claim("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.verdict == verdict and v.n == "5/5" and v.test.startswith("paired")
    assert v.lo < v.effect < v.hi and v.paper_effect == pytest.approx(
        pv.FCNN_TABLE2["fcnn-e"].top1 - pv.FCNN_TABLE2["fcnn-d"].top1)


def _better(key):
    """Claim ``key`` tested as a plain ordering (a − b > 0)."""
    c = _claim(key)
    return replace(c, test=claims.Compare("better", c.test.a, c.test.b))


def test_size_claims_are_intervals_and_ratio_claims_scale_by_the_counted_cost(tmp_path):
    assert _claim("fcnn-t2-e-vs-d").test.bounds == (2.0, 4.0) and _claim("fcnn-t4-g-vs-h").test.bounds == (0, 1)
    assert _claim("fcnn-t5-k-vs-a").test.bounds == (0.5, 1.5)
    assert stats.decide("within", 0.2, 0.9, bounds=(0, 1)) == "holds"
    assert stats.decide("within", 0.5, 1.2, bounds=(0, 1)) == "inconclusive"
    assert stats.decide("within", 1.0, 1.2, bounds=(0, 1)) == "contradicted"  # "less than 1 %": 1 is outside
    with pytest.raises(ValueError, match="bounds"):
        claims.Compare("within", "fcnn-e", "fcnn-d")
    for s in range(3):  # K (0.25 of A's cost) at 60 % vs J (0.5) at 80 %: 60/0.25 > 80/0.5
        make_run(tmp_path, experiment="fcnn-table5", model="fcnn-k", seed=s, top1=60.0 + s / 10)
        make_run(tmp_path, experiment="fcnn-table5", model="fcnn-j", seed=s, top1=80.0 + s / 20)
    v = claims.evaluate(_claim("fcnn-t5-k-best-ratio-vs-j"), "local", tmp_path)
    cost = claims.complexity.relative_complexity("fcnn-k", "fcnn-j")
    assert f"= {cost:.4g} (counted)" in v.detail
    assert 0.4 < cost < 0.6 and v.verdict == "holds" and v.effect == pytest.approx(60.1 - cost * 80.05, abs=1e-6)


def test_pure_noise_is_inconclusive_and_says_how_many_seeds(tmp_path):
    e = abs(random.gauss(0, 0.5)) + 0.2
    for s, sign in enumerate((1, -1, 1, -1)):  # per-seed differences ±e: zero mean, whatever the draw
        d = 80 + random.gauss(0, 1)
        make_run(tmp_path, model="fcnn-d", seed=s, top1=d)
        make_run(tmp_path, model="fcnn-e", seed=s, top1=d + sign * e)
    v = claims.evaluate(_better("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.verdict == "inconclusive" and v.effect == pytest.approx(0, abs=1e-9) and v.seeds_needed is None
    make_run(tmp_path, model="fcnn-e", seed=9, top1=81.0)  # seed sets differ -> Welch; effect != 0 -> a seed count
    v = claims.evaluate(_better("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.test.startswith("Welch") and v.n == "5/4"


def test_one_seed_is_inconclusive_not_decided(tmp_path):
    make_run(tmp_path, model="fcnn-d", seed=0, top1=50.0)
    make_run(tmp_path, model="fcnn-e", seed=0, top1=90.0)
    v = claims.evaluate(_claim("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.verdict == "inconclusive" and "needs ≥ 2" in v.detail and v.effect == 40.0


@pytest.mark.slow  # counts every paper-size network, the 3-D ones too (~1 min on 2 cores)
def test_ledger_page_has_every_claim_per_profile(tmp_path):
    _plant(tmp_path / "results", 3.0, seeds=3, sd=0.05)
    md = claims.render(results_root=tmp_path / "results", out_dir=tmp_path / "out")
    with open(tmp_path / "out" / "claims.csv") as f:
        rows = {r["Claim"]: r for r in csv.DictReader(f)}
    assert set(rows) == {c.key for c in claims.CLAIMS}
    assert rows["fcnn-t2-e-vs-d"]["Verdict (local)"] == "holds"
    assert rows["fcnn-t2-e-vs-d"]["Verdict (paper)"] == "inconclusive"
    assert rows["fcnn-t2-e-vs-d"]["Detail (paper)"].startswith("no finished run")
    assert float(rows["fcnn-t2-e-vs-d"]["Ours (local)"]) == pytest.approx(3.0, abs=0.5)
    assert "Every testable claim of FCNN and HO-CP" in md and (tmp_path / "out" / "claims.md").exists()
    assert stats.HOLDS in md


def test_residual_speeds_training_reads_the_first_epoch(tmp_path):
    """"will speed up the training process": validation top-1 after epoch 1, from each run's metrics lines."""
    for s in range(3):  # make_run logs epoch e at top1 − (epochs − e): epoch 1 of 3 is top1 − 2
        make_run(tmp_path, experiment="fcnn-residual", model="fcnn-e", seed=s, top1=70.0 + s / 10, epochs=3)
        make_run(tmp_path, experiment="fcnn-residual", model="fcnn-e-no-residual", seed=s, top1=69.0 + s / 20, epochs=3)
    c = _claim("fcnn-residual-speeds-training")
    v = claims.evaluate(c, "local", tmp_path)
    assert c.test.metric == "val_top1@1" and v.verdict == "holds" and v.n == "3/3"
    assert v.effect == pytest.approx(68.1 - 67.05)
    from paper_tables.accuracy import collect
    assert collect("fcnn-residual", "local", tmp_path).seed_values("fcnn-e", "val_top1@1") == \
        pytest.approx({0: 68.0, 1: 68.1, 2: 68.2})

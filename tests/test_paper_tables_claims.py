"""paper_tables.claims: the ledger's sources and quotes, and verdicts on planted result logs."""
import csv
import random
import re
from pathlib import Path

import pytest

from paper_tables import claims, stats
from suite import paper_values as pv
from tests.test_results import make_run

PAPERS = Path(__file__).resolve().parents[2] / "shared" / "papers"
PAPER_FILES = {"FCNN": "000_827885b84de41127.txt", "HO-CP": "004_b31600cd53fb7ce3.txt"}


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("*", "").replace("emph", "")).strip().lower()


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


@pytest.mark.skipif(not PAPERS.is_dir(), reason=f"the paper files are not in {PAPERS}")
def test_quoted_sentences_are_in_the_paper():
    """Every quote that is not a table row is the paper's sentence (our insertions in [...], cuts as ...)."""
    for c in claims.CLAIMS:
        if c.quote.startswith("Table"):
            continue
        text = _normal((PAPERS / PAPER_FILES[c.paper]).read_text())
        quote = re.sub(r"\s*\[[^\]]*\]", "", c.quote)
        for part in quote.split("..."):
            part = _normal(part).strip(" .")
            assert part in text, f"{c.key}: {part!r} not in {PAPER_FILES[c.paper]}"


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


@pytest.mark.parametrize("effect, verdict", [(4.0, "holds"), (-4.0, "contradicted")])
def test_planted_effect_decides_the_claim(tmp_path, effect, verdict):
    _plant(tmp_path, effect)
    v = claims.evaluate(_claim("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.verdict == verdict and v.n == "5/5" and v.test.startswith("paired")
    assert v.lo < v.effect < v.hi and v.paper_effect == pytest.approx(
        pv.FCNN_TABLE2["fcnn-e"].top1 - pv.FCNN_TABLE2["fcnn-d"].top1)


def test_pure_noise_is_inconclusive_and_says_how_many_seeds(tmp_path):
    e = abs(random.gauss(0, 0.5)) + 0.2
    for s, sign in enumerate((1, -1, 1, -1)):  # per-seed differences ±e: zero mean, whatever the draw
        d = 80 + random.gauss(0, 1)
        make_run(tmp_path, model="fcnn-d", seed=s, top1=d)
        make_run(tmp_path, model="fcnn-e", seed=s, top1=d + sign * e)
    v = claims.evaluate(_claim("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.verdict == "inconclusive" and v.effect == pytest.approx(0, abs=1e-9) and v.seeds_needed is None
    make_run(tmp_path, model="fcnn-e", seed=9, top1=81.0)  # seed sets differ -> Welch; effect != 0 -> a seed count
    v = claims.evaluate(_claim("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.test.startswith("Welch") and v.n == "5/4"


def test_one_seed_is_inconclusive_not_decided(tmp_path):
    make_run(tmp_path, model="fcnn-d", seed=0, top1=50.0)
    make_run(tmp_path, model="fcnn-e", seed=0, top1=90.0)
    v = claims.evaluate(_claim("fcnn-t2-e-vs-d"), "local", tmp_path)
    assert v.verdict == "inconclusive" and "needs ≥ 2" in v.detail and v.effect == 40.0


@pytest.mark.slow  # counts every paper-size network, the 3-D ones too (~1 min on 2 cores)
def test_ledger_page_has_every_claim_per_profile(tmp_path):
    _plant(tmp_path / "results", 4.0, seeds=3)
    md = claims.render(results_root=tmp_path / "results", out_dir=tmp_path / "out")
    with open(tmp_path / "out" / "claims.csv") as f:
        rows = {r["Claim"]: r for r in csv.DictReader(f)}
    assert set(rows) == {c.key for c in claims.CLAIMS}
    assert rows["fcnn-t2-e-vs-d"]["Verdict (local)"] == "holds"
    assert rows["fcnn-t2-e-vs-d"]["Verdict (paper)"] == "inconclusive"
    assert rows["fcnn-t2-e-vs-d"]["Why undecided (paper)"].startswith("no finished run")
    assert float(rows["fcnn-t2-e-vs-d"]["Ours (local)"]) == pytest.approx(4.0, abs=3)
    assert "Every testable claim of FCNN and HO-CP" in md and (tmp_path / "out" / "claims.md").exists()
    assert stats.HOLDS in md

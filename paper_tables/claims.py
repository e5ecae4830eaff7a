"""The claims ledger: every quantitative claim of FCNN and HO-CP that a result log or `suite.complexity` can
test (each experiment's module in `suite.experiments` lists its claims with the sentence or table they rest on
and their test), evaluated to a verdict: holds, contradicted or inconclusive.

Accuracy claims (`Compare`) are evaluated from the finished runs of one experiment and profile with the
tests of `paper_tables.stats`: the difference a − b of the two models' accuracies, paired by seed when
both have the same seeds, else Welch; its 95 % t-interval decides (see `stats.decide`). "Almost the
same", "similar", "competitive", "maintain the same accuracy" and "accuracy of GoogLeNet" give no
tolerance; we test them as equivalence (or non-inferiority) within ±1 accuracy point (`MARGIN`), the
smallest gap the FCNN paper itself calls a difference ("less than 1% better"). This is our choice.

Complexity claims (`Count`) are exact: our count from `suite.complexity` (through `paper_tables.complexity`)
against the printed number, within half a unit of its last printed digit (or ±10 % for the values printed
with "~"), or against the stated bound. They hold or are contradicted; they never need seeds.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from suite import experiments
from suite.experiments.claim import MARGIN, Claim, Compare, Count, printed_tol  # noqa: F401  (the ledger's types)
from suite.profiles import PROFILES

from . import _render, complexity, stats
from . import reference as reference_runs
from .accuracy import collect

CLAIMS: tuple[Claim, ...] = experiments.claims()


# --------------------------------------------------------------------------------------- evaluation
@dataclass(frozen=True)
class Verdict:
    claim: Claim
    verdict: str
    test: str                        # the statistical test or "exact count"
    paper_effect: float | None       # a − b in the paper's table, or the paper's number
    effect: float | None             # ours: measured a − b, or our count
    lo: float | None = None
    hi: float | None = None
    n: str = ""                      # "n_a/n_b" runs
    seeds_needed: int | None = None
    detail: str = ""
    runs_used: str = ""              # "results: a n=3, b n=3" or "reference: ..." (paper_tables.reference.runs_for)


def evaluate(claim: Claim, profile: str = "local", results_root=None, collected=None) -> Verdict:
    """The verdict of ``claim`` on the runs of its experiment under ``profile`` (``collected``: reuse an
    `accuracy.Collected` of that experiment)."""
    t = claim.test
    if isinstance(t, Count):
        ours = float(t.ours(complexity))
        ok = {"≈": abs(ours - t.paper) <= t.tol, ">": ours > t.paper, "<": ours < t.paper}[t.relation]
        return Verdict(claim, stats.HOLDS if ok else stats.CONTRADICTED, "exact count", t.paper, ours,
                       detail=t.explain(complexity) if t.explain else "")
    col, used = reference_runs.runs_for(claim.experiment, profile, (t.a, t.b), results_root, collected)
    a, b = (col.seed_values(m, t.metric) for m in (t.a, t.b))
    pa, pb = (experiments.paper_accuracy(claim.experiment, m, t.metric) for m in (t.a, t.b))
    cost = complexity.relative_complexity(t.a, t.b) if t.per_cost else 1.0  # a − cost·b > 0 ⇔ a/cost_a > b/cost_b
    b = {s: cost * v for s, v in b.items()}
    paper = None if pa is None or pb is None else round(pa - cost * pb, 2)
    d = stats.difference(a, b)
    verdict = stats.decide(t.kind, d.lo, d.hi, t.margin, t.bounds)
    needed = stats.seeds_needed(d, stats.thresholds(t.kind, t.margin, t.bounds))
    detail = "" if d.lo is not None else "needs ≥ 2 finished seeds of each model" if d.effect is not None \
        else ("no finished run of " if "@" not in t.metric else f"no {t.metric} metrics line in the runs of ") \
        + " and ".join(m for m, v in ((t.a, a), (t.b, b)) if not v)
    if t.per_cost:
        detail = "; ".join(filter(None, [f"cost {t.a} / cost {t.b} = {cost:.4g} (counted)", detail]))
    return Verdict(claim, verdict, f"{d.test}, 95 %", paper, d.effect, d.lo, d.hi, f"{len(a)}/{len(b)}", needed, detail,
                   used)


def for_experiment(experiment: str) -> list[Claim]:
    return experiments.claims_of(experiment)


MEASURED = ["Ours", "95% CI low", "95% CI high", "n (a/b)", "Runs used", "Verdict", "Seeds to decide", "Detail"]
COLUMNS = ["Claim", "Source", "The paper says", "Test", "Paper", *MEASURED]


def _cells(v: Verdict) -> list:
    def r(x):
        return None if x is None else round(x, 4 if isinstance(v.claim.test, Count) and abs(x) < 100 else 2)
    needed = v.seeds_needed if v.verdict == stats.INCONCLUSIVE else None
    test = v.claim.test
    described = test.describe(_render.fmt) if isinstance(test, Count) else test.describe()
    return [v.claim.key, v.claim.source, v.claim.quote, described, r(v.paper_effect), r(v.effect),
            r(v.lo), r(v.hi), v.n or None, v.runs_used or None, v.verdict, needed, v.detail or None]


NOTES = [
    "Accuracy claims: Paper / Ours = difference a − b in accuracy points (paper's table / our runs); the interval "
    "is the 95 % t-interval of that difference, paired by seed when both models ran the same seeds, else Welch. "
    "better: holds if the interval is above 0 (above the margin where the test names one), contradicted if below; "
    "not_worse / equivalent: against ±"
    f"{MARGIN:g} point (our choice, see paper_tables/claims.py). Seeds to decide: seeds per model that would make "
    "the interval clear the threshold if the effect and spread stayed as measured (– : no spread measured yet, or "
    "more than 1000). within: holds if the interval lies inside the stated size's bounds, contradicted if it lies "
    "outside them (the sizes \"about 3 %\", \"by 1 %\", \"less than 1 %\" as intervals, see "
    "suite/experiments/claim.py). "
    "Detail: why a verdict is undecided, or the numbers behind it.",
    "Runs used: the runs an accuracy verdict rests on: `results` (your results root) when it holds finished runs "
    "of both models, else `reference` (the reference run shipped in reference/, docs/reference.md) when that does; "
    "n per model.",
    "Complexity claims: exact counts from `suite.complexity` at the paper's input size; Paper = the printed number, "
    "Ours = our count; tolerance half a unit of the last printed digit (±10 % for values printed with \"~\").",
    "Local profile: small data that ships with the suite; a verdict there is about the models on that data, not "
    "about ImageNet, CIFAR-10 or Jester.",
]


SECONDS = "In seconds (per device)"
TIME_NOTE = ("In seconds (per device): the efficiency claims (paper_tables/efficiency_claims.py) judged on measured "
             "time ratios, per model-timing JSON (`python -m suite.bench models --json FILE`, then "
             "`python -m paper_tables claims --bench FILE ...`): inference at the largest batch, each model in its "
             "fastest form; every part, task and batch is in claims_time.md. — : the claim states no efficiency.")


def table(experiment: str, profile: str, results_root=None, collected=None) -> _render.Table:
    """The claims of ``experiment`` with their verdicts under ``profile``."""
    t = _render.Table(f"{experiment.replace('-', '_')}_{profile}_claims",
                      f"Claims of {experiment} and their verdicts (profile {profile})", COLUMNS)
    for c in for_experiment(experiment):
        t.add(*_cells(evaluate(c, profile, results_root, collected if isinstance(c.test, Compare) else None)))
    t.notes = list(NOTES)
    return t


def render(experiment: str = "claims", profile=None, results_root=None, out_dir=None, benches=()) -> str:
    """`make tables`: one page (claims.md, .csv) with every claim of both papers and its verdict under each
    profile; profile-free claims (exact counts) are the same under every profile. `benches`: model-timing JSONs
    (`time_verdicts.load_bench`): every efficiency claim also gets its verdict in seconds per device (the last
    column; "not measured" without them), and claims_time.md and the figures in seconds are written."""
    from . import time_claims

    t = _render.Table("claims", "Every testable claim of FCNN and HO-CP, with its verdict per profile",
                      ["Claim", "Source", "The paper says", "Test", "Paper"]
                      + [f"{h} ({p})" for p in PROFILES for h in MEASURED] + [SECONDS])
    verdicts = (stats.HOLDS, stats.CONTRADICTED, stats.INCONCLUSIVE)
    collected, tally = {}, {p: dict.fromkeys(verdicts, 0) for p in PROFILES}
    counted: dict[str, str] = {}  # complexity claims: their verdict in counts
    head = time_claims.tv.head_commit() if benches else None
    for c in CLAIMS:
        row = None
        for p in PROFILES:
            col = None
            if isinstance(c.test, Compare):
                if (c.experiment, p) not in collected:
                    collected[c.experiment, p] = collect(c.experiment, p, results_root)
                col = collected[c.experiment, p]
            v = evaluate(c, p, results_root, col)
            tally[p][v.verdict] += 1
            cells = _cells(v)
            row = (row or cells[:5]) + cells[5:]
            if isinstance(c.test, Count):
                counted[c.key] = v.verdict
        t.add(*row, time_claims.ledger_cell(c.key, list(benches), head))
    t.notes = [f"Profile {p}: " + ", ".join(f"{n} {verdict}" for verdict, n in tally[p].items()) + "."
               for p in PROFILES] + NOTES + time_claims.closing_notes(list(benches), counted, head) + [TIME_NOTE]
    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    _render.write(t, out, formats=(".md", ".csv"))
    time_claims.render(list(benches), counted, out, head)
    return _render.to_markdown(t)

"""The reference results shipped in ``reference/`` (docs/reference.md, :mod:`suite.runs.reference`) in the
tables: the "reference run" columns beside the paper value and the user's measured columns, which runs a
claim's verdict uses, and ``jobs collect``'s comparison of the user's runs with the reference per model.

Comparison rule (`compare`): per model, the difference of the means (yours − reference) with its 95 % Welch
interval (scipy's ``ttest_ind(..., equal_var=False).confidence_interval()``, `stats.welch`); the reproduction
"agrees with the reference within ±1 point" when the whole interval lies within ±1 point, "differs" when it lies
entirely outside, "inconclusive" otherwise (`stats.agreement`). ±1 point is the tolerance of every accuracy
claim of the ledger (`suite.experiments.claim.MARGIN`).
"""
from __future__ import annotations

from suite import experiments
from suite.experiments.claim import MARGIN
from suite.runs import reference as shipped

from . import _render, stats
from .accuracy import Collected, collect


def load():
    """The verified shipped reference (None: none shipped); `suite.runs.reference.BadReference` if damaged."""
    return shipped.load()


def collect_reference(experiment: str, profile: str, models=None) -> Collected:
    """The reference runs of ``experiment`` under ``profile`` grouped by model, as `accuracy.collect` groups a
    results root's (empty when none is shipped)."""
    ref = load()
    root = shipped.reference_root() if ref is None else ref.root
    col = Collected(experiment, profile, root)
    for run in ref.of(experiments.get(experiment).results_key if experiment in experiments.names() else experiment,
                      profile) if ref else ():
        if models is None or run.summary["model"] in models:
            col.runs.setdefault(run.summary["model"], []).append(run)
    return col


def columns(*whats: str) -> list[str]:
    """The reference group of a table: mean and 95 % half-width of each of ``whats``, then its n."""
    return [c for w in whats for c in (f"{w} (reference run, mean)", f"{w} reference ± 95%")] + ["n (reference)"]


def cells(ref: Collected, model: str, keys: tuple[str, ...], *, error: bool = False) -> list:
    """Cells of `columns` for ``model`` (``keys``: summary keys, e.g. "top1"; ``error``: as 100 − value)."""
    out = []
    for key in keys:
        s = ref.summary(model, key)
        mean = None if s.mean is None else round(100 - s.mean if error else s.mean, 2)
        out += [mean, None if s.half_width is None else round(s.half_width, 2)]
    return out + [ref.n(model)]


def notes(ref: Collected) -> list[str]:
    """What the reference columns hold (or why they are empty)."""
    loaded = load()
    if not ref.runs:
        return [f"Reference run columns: no reference run of {ref.experiment} ({ref.profile} profile) is shipped in "
                f"`{shipped.reference_root().name}/` (docs/reference.md; rebuilt with `{shipped.REFRESH}`)."]
    return [f"Reference run columns: the {loaded.describe()}, shipped in `{shipped.reference_root().name}/` "
            f"(verified by digest); mean and half-width of the 95 % t-interval over its seeds (docs/reference.md)."]


def runs_for(claim_experiment: str, profile: str, models: tuple[str, str], results_root=None,
             collected: Collected | None = None) -> tuple[Collected, str]:
    """The runs a claim's verdict uses: the user's (results root) when they hold finished runs of both
    ``models``, else the shipped reference's when it does, else the user's (empty: inconclusive); and the
    "Runs used" cell naming the source and n per model."""
    user = collected or collect(claim_experiment, profile, results_root, list(models))
    chosen, source = user, "results"
    if not all(user.n(m) for m in models):
        ref = collect_reference(claim_experiment, profile, models)
        if all(ref.n(m) for m in models):
            chosen, source = ref, "reference"
    return chosen, f"{source}: " + ", ".join(f"{m} n={chosen.n(m)}" for m in dict.fromkeys(models))


COMPARE_COLUMNS = ["Model", "Yours (mean)", "n (yours)", "Reference (mean)", "n (reference)", "Yours − reference",
                   "95% CI low", "95% CI high", "Verdict"]


def compare(experiment: str, profile: str, results_root=None, key: str = "top1") -> _render.Table:
    """The user's runs beside the reference per model, with the verdict of `stats.agreement`."""
    exp = experiments.get(experiment)
    user = collect(exp.results_key, profile, results_root, list(exp.models))
    ref = collect_reference(experiment, profile, list(exp.models))
    t = _render.Table(f"{experiment.replace('-', '_')}_{profile}_vs_reference",
                      f"{experiment}: your runs against the reference run ({profile} profile, {key})",
                      COMPARE_COLUMNS)
    for model in exp.models:
        d = stats.welch(user.values(model, key), ref.values(model, key))
        t.add(model, _r(user.mean(model, key)), user.n(model), _r(ref.mean(model, key)), ref.n(model), _r(d.effect),
              _r(d.lo), _r(d.hi), _verdict(d, user.n(model), ref.n(model)))
    t.notes = [f"Yours: `{user.results_root / exp.results_key / profile}`. " + notes(ref)[0],
               f"Verdict: the 95 % Welch interval of yours − reference (scipy ttest_ind, equal_var=False) lies "
               f"within ±{MARGIN:g} point: agrees; entirely outside: differs; otherwise (or fewer than 2 runs on a "
               f"side) inconclusive (docs/reference.md)."]
    t.notes += _config_notes(user, ref)
    return t


def _verdict(d: stats.Difference, n_yours: int, n_reference: int) -> str:
    if not n_reference:
        return "no reference run"
    return stats.agreement(d.lo, d.hi, MARGIN) if n_yours else "no run of yours"


def _config_notes(user: Collected, ref: Collected) -> list[str]:
    """A note when the user's runs are of another configuration than the reference's."""
    mine = {r.identity for rs in user.runs.values() for r in rs}
    theirs = {r.identity for rs in ref.runs.values() for r in rs}
    if mine and theirs and mine != theirs:
        return ["Your runs are of another configuration than the reference's (a --set override, other data or "
                "another version of the setting): a difference may come from that."]
    return []


def _r(x):
    return None if x is None else round(x, 2)

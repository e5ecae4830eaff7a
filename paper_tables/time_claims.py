"""The efficiency claims of the ledger in counts and in seconds, per device JSON (`python -m paper_tables claims
--bench FILE ...`): `ledger_cell` is the ledger's "Seconds" cell of a claim; `render` writes ``claims_time.md``
(every part, task and batch of every claim on every device, the claims that hold in counts but not in seconds)
and the figures in seconds (`time_figures`).

"In counts" is the claim's efficiency statement (`efficiency_claims`) judged on exact multiplications: the
ledger's own verdict for a complexity claim; for an accuracy claim that also states an efficiency, the same
ratio counted (`scale` × num / den, Alg. 1 convention on the stage layers when the claim counts those, else
whole networks) against the stated one with the same tolerance. "In seconds": `time_verdicts`.
"""
from __future__ import annotations

from pathlib import Path

from . import _render, stats
from . import efficiency_claims as ec
from . import time_verdicts as tv

NO_BENCH = "not measured (no --bench JSON given)"
NOT_EFFICIENCY = "—"


def device_verdicts(key: str, benches: list[tv.Bench], head: str | None) -> list[tv.TimeVerdict]:
    """Every setting of claim `key` on every bench (Figure 5: its layer sweep)."""
    if key == ec.FIGURE5:
        return [v for b in benches for v in tv.figure5_verdicts(b, head)]
    eff = ec.efficiency()[key]
    return [v for b in benches for v in tv.verdicts(eff, b, head)]


def headlines(key: str, benches: list[tv.Bench], head: str | None) -> list[tv.TimeVerdict]:
    if key == ec.FIGURE5:
        return device_verdicts(key, benches, head)
    eff = ec.efficiency()[key]
    return [v for b in benches for v in tv.headline(tv.verdicts(eff, b, head))]


def ledger_cell(key: str, benches: list[tv.Bench], head: str | None = None) -> str:
    """The ledger's seconds cell of claim `key`: per device (and part) the headline verdict; "—" for a claim
    that states no efficiency; "not measured" without a bench JSON."""
    if key not in ec.keys():
        return NOT_EFFICIENCY
    if not benches:
        return NO_BENCH
    return " • ".join(v.cell() for v in headlines(key, benches, head))


def count_verdict(key: str, ledger_verdicts: dict[str, str]) -> tuple[str, float | None]:
    """(verdict in counts, our count ratio): the ledger's for a complexity claim, else the efficiency statement
    counted (see the module docstring)."""
    from suite import experiments
    from suite.experiments.claim import Count

    claim = next(c for c in experiments.claims() if c.key == key)
    if isinstance(claim.test, Count):
        return ledger_verdicts.get(key, "?"), None
    from .complexity import COUNTS, relative_complexity

    eff = ec.efficiency()[key]
    if eff.stages:
        ratio = eff.scale * relative_complexity(eff.num, eff.den)
    else:
        ratio = eff.scale * COUNTS(eff.num).multiplications / COUNTS(eff.den).multiplications
    return tv.decide(eff.relation, eff.paper, eff.tol, ratio, ratio), ratio


def r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def table(benches: list[tv.Bench], ledger_verdicts: dict[str, str], head: str | None = None) -> _render.Table:
    t = _render.Table("claims_time", "Efficiency claims in counts and in seconds, per device",
                      ["Claim", "Says (in seconds)", "In counts", "Count ratio", "Device", "Part", "Task", "N",
                       "Time ratio", "95% CI low", "95% CI high", "In seconds", "Fastest forms"])
    eff = ec.efficiency()
    for key in ec.keys():
        says = eff[key].describe() if key in eff else "time(CP-HOConv-r) / time(3D-Conv) < 1 at every measured pair"
        counted, ratio = count_verdict(key, ledger_verdicts)
        for v in device_verdicts(key, benches, head) if benches else []:
            t.add(key, says, counted, r(ratio), v.device, tv.PARTS.get(v.part, v.part), v.task or None, v.batch,
                  r(v.ratio), r(v.lo), r(v.hi), v.verdict,
                  "; ".join(f"{m}: {f}" for m, f in v.forms.items()) or v.detail or None)
    t.notes = closing_notes(benches, ledger_verdicts, head) + NOTES
    return t


NOTES = [
    "Time ratio: ratio of the geometric means of the two models' samples, each model in its fastest form on the "
    "device (layout, precision, backend, torch.compile); 95 % interval: Welch's t-interval of the difference of "
    "the mean log times, exponentiated. It is the precision of one run on one device, not the spread between runs "
    "or machines. Verdict: the counts' tolerance rule on the interval (≈: holds if the interval lies within paper "
    "± tol, contradicted if it lies outside; < / >: holds if it lies beyond the bound, contradicted if it lies on "
    "the other side; else inconclusive). See paper_tables/time_verdicts.py and efficiency_claims.py.",
    "Whole model: the network as the paper counts it at its input size; stage layers: FCNN's substituted blocks "
    "(conv2_x–conv4_x .blocks) called alone on the inputs they receive, the layers Tables 2–5 count.",
]


def closing_notes(benches: list[tv.Bench], ledger_verdicts: dict[str, str], head: str | None) -> list[str]:
    """Per device: the efficiency claims that hold in counts but not in seconds (headline verdicts)."""
    if not benches:
        return ["No model-timing JSON given (`--bench FILE`): no claim was judged in seconds."]
    out = []
    for bench in benches:
        against, undecided, unmeasured = [], [], []
        for key in ec.keys():
            if count_verdict(key, ledger_verdicts)[0] != stats.HOLDS:
                continue
            found = headlines(key, [bench], head)
            verdicts = {v.verdict for v in found}
            if stats.CONTRADICTED in verdicts:
                against.append(key)
            elif tv.NOT_MEASURED in verdicts:
                unmeasured.append(key)
            elif stats.HOLDS not in verdicts or stats.INCONCLUSIVE in verdicts:
                undecided.append(key)
        out.append(f"{bench.label(head)}: hold in counts but are contradicted in seconds: "
                   f"{', '.join(against) or 'none'}; inconclusive in seconds: {', '.join(undecided) or 'none'}; "
                   f"not measured: {', '.join(unmeasured) or 'none'}.")
    return out


def render(benches: list[tv.Bench], ledger_verdicts: dict[str, str], out_dir=None, head: str | None = None) -> str:
    """claims_time.md / .csv and the figures in seconds under `out_dir`; returns the table as Markdown."""
    from . import time_figures

    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    t = table(benches, ledger_verdicts, head)
    _render.write(t, out, formats=(".md", ".csv"))
    if benches:
        time_figures.render(benches, out)
    return _render.to_markdown(t)

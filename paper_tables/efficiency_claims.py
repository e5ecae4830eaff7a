"""The ledger's efficiency claims, restated in seconds: for each claim key (`paper_tables.claims`), which
models' times it compares and what it says their ratio is (`time_verdicts.Efficiency`).

Complexity counts (FCNN Tables 2, 4, 5; the abstract's 3.4×; Sec. 3.2 and 3.4): the same ratio and tolerance
as the count (half a unit of the last printed digit, ±10 % for "~"), in seconds; the relative complexities
of Tables 2–5 count the substituted stage layers, so the stage layers are timed as well as the whole model.
Accuracy claims that also state an efficiency ("with half computation", "the same complexity", "4 times
more efficient", HO-CP's "more computationally efficient"): the stated ratio, the table's printed number
where it gives one; "the same" is ≈ 1 ± 10 % and "equal or less" < 1.1 (our choice, the "~" tolerance).
HO-CP Figure 5 (`FIGURE5`): every measured CP-HOConv layer faster than the 3D conv it replaces.
FCNN's "prohibitively time-consuming" large kernels (fcnn-large-kernel-prohibitive) compare F with a standard
5×5 network the bench does not time: counted only. Accuracy per counted cost ("accuracy / complexity ratio") and
HO-CP's memory (parameters) are not times either. Absolute counts (fcnn-model-a-mult, fcnn-l-mult) compare
nothing and parameter counts are not computation: no time verdict.
"""
from __future__ import annotations

from suite import paper_values as pv
from suite.experiments.claim import APPROX_TOL, printed_tol

from .time_verdicts import Efficiency

FIGURE5 = "hocp-fig5-fewer-flops"  # judged on the layer sweep (`time_verdicts.figure5_verdicts`)


def _printed_tol(printed: str) -> float:
    return printed_tol(printed)  # the ledger's rule: half a unit of the last printed digit


def _table(table: dict, experiment: str, baseline: str) -> dict[str, Efficiency]:
    out = {}
    for model, r in table.items():
        if model == baseline:
            continue
        tol = APPROX_TOL * r.complexity if r.approximate else _printed_tol(f"{r.complexity:g}")
        out[f"{experiment}-complexity-{model}"] = Efficiency(
            model, baseline, "≈", r.complexity, tol, stages=True,
            what=f"{model}'s time / {baseline}'s, as Table {experiment[-1]}'s relative complexity")
    return out


def _same(num: str, den: str) -> Efficiency:
    return Efficiency(num, den, "≈", 1.0, APPROX_TOL, stages=True, what="the same complexity")


def efficiency() -> dict[str, Efficiency]:
    """{claim key: its efficiency statement in seconds}."""
    t2, t7 = pv.FCNN_TABLE2, pv.FCNN_TABLE7
    g_over_l = pv.FCNN_GOOGLENET_OVER_L.value
    ratio_t7 = t7["resnet18"].mult / t7["fcnn-l"].mult
    half = _printed_tol("0.5")
    return {
        **_table(pv.FCNN_TABLE2, "fcnn-table2", "fcnn-a"),
        **_table(pv.FCNN_TABLE4, "fcnn-table4", "fcnn-a0"),
        **_table(pv.FCNN_TABLE5, "fcnn-table5", "fcnn-a"),
        "fcnn-h-reduction": Efficiency("fcnn-a0", "fcnn-h", "≈", pv.FCNN_H_REDUCTION.value,
                                       _printed_tol(f"{pv.FCNN_H_REDUCTION.value:g}"), scale=2.0, stages=True,
                                       what="2 × A0's stage time / H's"),
        "fcnn-googlenet-over-l": Efficiency("googlenet", "fcnn-l", "≈", g_over_l, _printed_tol(f"{g_over_l:g}"),
                                            what="3.4 times less computation"),
        "fcnn-l-3x-googlenet": Efficiency("googlenet", "fcnn-l", ">", 3.0, what="more than 3 times less"),
        "fcnn-l-same-as-e": Efficiency("fcnn-l", "fcnn-e", "≈", pv.FCNN_L_SAME_COMPLEXITY.value, 0.05, scale=4 / 6,
                                       stages=True, what="L's stage time per replaced layer / E's"),
        "fcnn-t2-d-vs-a": Efficiency("fcnn-d", "fcnn-a", "≈", t2["fcnn-d"].complexity,
                                     APPROX_TOL * t2["fcnn-d"].complexity, stages=True, what="half computation"),
        "fcnn-t2-e-vs-d": _same("fcnn-e", "fcnn-d"),
        "fcnn-t2-c-vs-a": Efficiency("fcnn-c", "fcnn-a", "<", 1 + APPROX_TOL, stages=True,
                                     what="equal or less complexity"),
        "fcnn-t2-e-vs-b": Efficiency("fcnn-e", "fcnn-b", "<", 1 + APPROX_TOL, stages=True,
                                     what="equal or less complexity"),
        "fcnn-t4-g-vs-i": _same("fcnn-g", "fcnn-i"),
        "fcnn-t4-h-vs-i": _same("fcnn-h", "fcnn-i"),
        "fcnn-t4-g-vs-h": Efficiency("fcnn-g", "fcnn-h", ">", 1.0, stages=True, what="marginally higher complexity"),
        "fcnn-t4-g-vs-a0": Efficiency("fcnn-g", "fcnn-a0", "≈", 0.5, half, stages=True, what="exactly half"),
        "fcnn-t5-j-vs-a": Efficiency("fcnn-j", "fcnn-a", "≈", 0.5, half, stages=True, what="reducing by half"),
        "fcnn-t5-k-vs-a": Efficiency("fcnn-a", "fcnn-k", "≈", 4.0, _printed_tol("4"), stages=True,
                                     what="4 times more efficient"),
        "fcnn-t7-l-vs-googlenet": Efficiency("googlenet", "fcnn-l", "≈", g_over_l, _printed_tol(f"{g_over_l:g}"),
                                             what="3.4 times less computation"),
        "fcnn-t7-l-vs-resnet18": Efficiency("resnet18", "fcnn-l", "≈", ratio_t7, APPROX_TOL * ratio_t7,
                                            what="Table 7's multiplications, ResNet-18 / L (±10 %, our choice)"),
        "hocp-t2-convnet-vs-3d-top1": Efficiency("hocp-convnet", "convnet3d", "<", 1.0,
                                                 what="more computationally efficient"),
        "hocp-t2-s-vs-3d": Efficiency("hocp-convnet-s", "convnet3d", "<", 1.0, what="more computationally efficient"),
        **{f"hocp-t2-more-efficient-{m}": Efficiency(m, "convnet3d", "<", 1.0, what="more computationally efficient")
           for m in ("hocp-convnet", "hocp-convnet-s")},
        "fcnn-abstract-similar-less": Efficiency("fcnn-e", "fcnn-b", "<", 0.5, stages=True,
                                                 what="significantly less computation (below half, our reading)"),
        "fcnn-d-half-of-c": Efficiency("fcnn-d", "fcnn-c", "≈", 0.5, half, stages=True, what="half of model C"),
        "fcnn-t4-g-vs-h-complexity": Efficiency("fcnn-g", "fcnn-h", "≈", 1 + APPROX_TOL / 2, APPROX_TOL / 2,
                                                stages=True, what="marginally higher complexity (by at most 10 %)"),
        "fcnn-a-vs-alexnet-mult": Efficiency("fcnn-a", "alexnet", "<", 1 - APPROX_TOL, what="better in efficiency"),
        "fcnn-l-below-alexnet": Efficiency("fcnn-l", "alexnet", "<", 1 - APPROX_TOL,
                                           what="significantly lower than AlexNet"),
    }


def keys() -> list[str]:
    """Every efficiency claim's key, Figure 5's included."""
    return [*efficiency(), FIGURE5]

"""A claim of a paper that a result log or `suite.complexity` can test: the sentence (or table row) it rests
on and its test. Each experiment's module lists its ``CLAIMS``; `paper_tables.claims` evaluates them.

`Compare`: the accuracies of two models of the experiment's runs (the statistics are in `paper_tables.stats`).
"Almost the same", "similar", "competitive", "maintain the same accuracy" and "accuracy of GoogLeNet" give no
tolerance; we test them as equivalence (or non-inferiority) within ±1 accuracy point (`MARGIN`), the smallest
gap the FCNN paper itself calls a difference ("less than 1% better"). This is our choice.

"About 3 % better", "less than 1 % better", "by 1 %" state a size: kind "within" tests the difference against an
interval (``bounds``), the printed number ± half a unit of its last digit, or ± `MARGIN` for "approximately"
(our choice), "less than 1 %" as [0, 1). "Accuracy / complexity ratio" (``per_cost``) compares top-1 per unit of
the substituted layers' multiplications: a − (cost_a / cost_b)·b > 0, the cost ratio counted by `suite.complexity`
(Alg. 1 convention, the tables' "complexity" column).

`Count`: our exact count against the printed number, within half a unit of its last printed digit
(`printed_tol`; ±10 % for the values printed with "~", `APPROX_TOL`), or against a stated bound.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

MARGIN = 1.0      # accuracy points, for "the same" / "similar" / "competitive" (see module doc)
APPROX_TOL = 0.10  # relative tolerance of a value the paper prints with "~"


METRICS = {"top1": "top-1", "top5": "top-5", "val_top1@1": "validation top-1 after epoch 1"}


@dataclass(frozen=True)
class Compare:
    """Accuracy of model ``a`` vs ``b`` (``metric``: "top1", "top5" or "val_top1@1", the validation top-1 at the
    end of the first epoch, in %): ``kind`` is "better" (a − b > ``margin``, 0 by default), "not_worse"
    (non-inferiority by ``margin``), "equivalent" (|a − b| < ``margin``) or "within" (a − b in ``bounds``,
    low ≤ d < high). ``per_cost``: compare accuracy per unit of counted cost (module doc)."""

    kind: str
    a: str
    b: str
    metric: str = "top1"
    margin: float = 0.0
    bounds: tuple[float, float] | None = None
    per_cost: bool = False

    def __post_init__(self):
        if self.metric not in METRICS:
            raise ValueError(f"metric: expected one of {', '.join(METRICS)}, got {self.metric!r}")
        if (self.kind == "within") != (self.bounds is not None):
            raise ValueError(f"bounds: a 'within' claim needs (low, high), no other kind takes them; got kind "
                             f"{self.kind!r}, bounds {self.bounds!r}")

    def describe(self) -> str:
        what = METRICS[self.metric]
        if self.per_cost:
            return (f"{what} {self.a} − (cost {self.a} / cost {self.b})·{what} {self.b} > 0 (accuracy per counted "
                    f"multiplication of the substituted layers)")
        if self.kind == "within":
            low, high = self.bounds
            return f"{what} {self.a} − {self.b} in [{low:g}, {high:g}) points"
        if self.kind == "not_worse":
            return f"{what} {self.a} − {self.b} > −{self.margin:g} point"
        if self.kind == "equivalent":
            return f"|{what} {self.a} − {self.b}| < {self.margin:g} point"
        return f"{what} {self.a} − {self.b} > {self.margin:g} point" if self.margin else f"{what} {self.a} > {self.b}"


@dataclass(frozen=True)
class Count:
    """Our number against the paper: ``relation`` "≈" (within ``tol``, absolute), ">" or "<" (a bound
    ``paper``). ``ours(cx)`` computes it from the complexity counts ``cx`` (`paper_tables.complexity`:
    ``COUNTS(model)``, ``relative_complexity``, ``alg1_convention``, ``figure5_data``), which the evaluation
    passes in, so that the claims need no model code to be listed."""

    ours: Callable[[object], float]
    relation: str
    paper: float
    tol: float = 0.0
    what: str = ""
    explain: Callable[[object], str] | None = None  # the numbers behind the verdict, shown beside it

    def describe(self, fmt: Callable[[float], str] = "{:g}".format) -> str:
        if self.relation == "≈":
            return f"{self.what} = {fmt(self.paper)} ± {fmt(self.tol)}"
        return f"{self.what} {self.relation} {fmt(self.paper)}"


@dataclass(frozen=True)
class Claim:
    key: str
    paper: str          # "FCNN" or "HO-CP"
    source: str         # section / table of the paper
    quote: str          # the paper's sentence (or the table row it rests on)
    test: Compare | Count
    experiment: str     # the experiment whose table shows it


def printed_tol(printed: str) -> float:
    """Half a unit in the last printed digit: "2.25" -> 0.005, "0.5" -> 0.05, "550" -> 5 (two significant
    digits assumed for a trailing zero)."""
    if "." in printed:
        return 0.5 * 10 ** -len(printed.split(".")[1])
    stripped = printed.rstrip("0")
    return 0.5 * 10 ** (len(printed) - len(stripped))

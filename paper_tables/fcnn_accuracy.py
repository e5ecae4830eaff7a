"""FCNN Tables 2, 4 and 5: top-1 accuracy and complexity relative to the baseline.

Accuracy (measured): mean top-1 of the finished runs of ``results/<experiment>/<profile>/``.
Complexity (computed): exact multiplications of the substituted layers ("the complexity is also
calculated regarding to these layers", FCNN Sec. 3: the stage blocks conv2_x–conv4_x, not the 7×7 stem
or the 1×1 convolutions across stages), from ``suite.complexity`` at the paper's input size and 1000
classes, divided by the baseline's; and the whole network's multiplications.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass

from . import _render
from .accuracy import collect, emit


@dataclass(frozen=True)
class Row:
    model: str
    method: str
    top1: float          # paper, %
    complexity: str      # paper's relative complexity, as printed ("~0.5")


@dataclass(frozen=True)
class Spec:
    experiment: str
    title: str
    baseline: str
    rows: tuple[Row, ...]


SPECS = {
    "fcnn-table2": Spec("fcnn-table2", "FCNN Table 2: accuracy and complexity of models A to F", "fcnn-a", (
        Row("fcnn-a", "Baseline, kernel size = 2", 59.0, "1"),
        Row("fcnn-b", "Baseline, kernel size = 3", 62.1, "2.25"),
        Row("fcnn-c", "4 bases, kernel size = 3", 61.9, "~1"),
        Row("fcnn-d", "2 bases, kernel size = 3", 60.3, "~0.5"),
        Row("fcnn-e", "1 basis, kernel size = 3, double layers", 63.1, "~0.5"),
        Row("fcnn-f", "1 basis, kernel size = 5, double layers", 63.15, "~0.5"))),
    "fcnn-table4": Spec("fcnn-table4", "FCNN Table 4: accuracies of topology models and grouping model", "fcnn-a0", (
        Row("fcnn-a0", "Baseline", 54.2, "1"),
        Row("fcnn-g", "2D Topology", 53.6, "0.5"),
        Row("fcnn-h", "3D Topology", 52.9, "0.47"),
        Row("fcnn-i", "grouping", 52.2, "0.5"))),
    "fcnn-table5": Spec("fcnn-table5", "FCNN Table 5: single basis layers combined with topological connection",
                        "fcnn-a", (
        Row("fcnn-a", "Baseline", 59.0, "1"),
        Row("fcnn-j", "2D Topology", 58.9, "0.5"),
        Row("fcnn-k", "Single Basis & 2D Topology", 60.1, "0.25"))),
}


_COUNTS = None


def counts():
    """The complexity generator's memoised counts (paper input sizes), shared so that the accuracy and
    complexity tables show the same numbers."""
    global _COUNTS
    if _COUNTS is None:
        from .complexity import Counts
        _COUNTS = Counts()
    return _COUNTS


def table(spec: Spec, profile: str, results_root=None) -> _render.Table:
    from suite.models.fcnn import SUBSTITUTED

    from .complexity import alg1_convention
    col = collect(spec.experiment, profile, results_root, [r.model for r in spec.rows])
    base = counts()(spec.baseline)
    base_sub = base.select(SUBSTITUTED)
    t = _render.Table(f"{spec.experiment.replace('-', '_')}_{profile}", spec.title, [
        "Model", "Method", "Top-1 % (paper)", f"Top-1 % (measured, {profile})", "Runs",
        "Complexity (paper)", "Complexity (computed, Alg. 1 conv.)", "Complexity (computed, exact)",
        "Whole-net mult. M (computed)", "Source of measured"])
    for r in spec.rows:
        cx = counts()(r.model)
        sub = cx.select(SUBSTITUTED)
        t.add(r.model.removeprefix("fcnn-").upper(), r.method, r.top1, col.mean(r.model, "top1"), col.n(r.model),
              r.complexity, round(alg1_convention(sub) / alg1_convention(base_sub), 3),
              round(sub.multiplications / base_sub.multiplications, 3), round(cx.multiplications / 1e6, 1),
              col.run_names(r.model))
    t.notes = [
        "Top-1 % (paper) and Complexity (paper): FCNN, ImageNet 2012 validation, center crop.",
        "Complexity (computed): `suite.complexity.count` at the paper's input (3×221×221, 3×150×150 for Sec. 3.2) "
        "and 1000 classes, over the substituted stage layers as FCNN Sec. 3 counts them, relative to "
        f"{spec.baseline}; 'Alg. 1 conv.' counts every stage conv at its stage resolution as the paper does, "
        "'exact' uses real output sizes (see the complexity tables, `make tables`).",
    ] + col.notes()
    return t


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None) -> str:
    if experiment not in SPECS:
        raise ValueError(f"unknown experiment {experiment!r}; valid: {', '.join(sorted(SPECS))}")
    return emit(table(SPECS[experiment], profile, results_root), out_dir)


def main(argv=None, experiment: str = "fcnn-table2") -> int:
    p = argparse.ArgumentParser(description=f"Render {experiment} from results/ and suite.complexity")
    p.add_argument("--profile", default="local")
    p.add_argument("--results", default=None)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    print(render(experiment, a.profile, a.results, a.out))
    return 0

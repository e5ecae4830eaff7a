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
from functools import lru_cache

from . import _render
from .accuracy import collect


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


@lru_cache(maxsize=None)
def paper_complexity(name: str) -> tuple[int, int]:
    """(substituted-layer multiplications, whole-network multiplications) of ``name`` at the paper's
    configuration (its default input size, 1000 classes, width 1)."""
    from suite import complexity
    from suite.models import build
    from suite.models.fcnn import SUBSTITUTED
    c = complexity.count(build(name))
    return c.select(SUBSTITUTED).multiplications, c.multiplications


def complexities(models: list[str]) -> dict[str, tuple[int, int]]:
    return {name: paper_complexity(name) for name in models}


def table(spec: Spec, profile: str, results_root=None) -> _render.Table:
    col = collect(spec.experiment, profile, results_root, [r.model for r in spec.rows])
    comp = complexities([r.model for r in spec.rows])
    base = comp[spec.baseline][0]
    t = _render.Table(spec.title, [
        "Model", "Method", "Top-1 % (paper)", f"Top-1 % (measured, {profile})", "Runs",
        "Complexity rel. baseline (paper)", "Complexity rel. baseline (computed)",
        "Substituted-layer mult. (computed)", "Whole-net mult. (computed)", "Source of measured"])
    for r in spec.rows:
        sub, whole = comp[r.model]
        t.add(r.model.removeprefix("fcnn-").upper(), r.method, r.top1, col.mean(r.model, "top1"), col.n(r.model),
              r.complexity, round(sub / base, 3), sub, whole, col.run_names(r.model))
    t.notes = [
        "Top-1 % (paper) and Complexity (paper): FCNN, ImageNet 2012 validation, center crop.",
        "Complexity (computed): exact multiplications from `suite.complexity.count` at the paper's input "
        "(3×221×221, or 3×150×150 for Sec. 3.2) and 1000 classes, counting the substituted stage layers as "
        "FCNN Sec. 3 does, divided by the baseline's; whole-net adds the stem, 1×1 transitions and the fc.",
    ] + col.notes()
    return t


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None) -> str:
    if experiment not in SPECS:
        raise ValueError(f"unknown experiment {experiment!r}; valid: {', '.join(sorted(SPECS))}")
    return _render.write(table(SPECS[experiment], profile, results_root), f"{experiment.replace('-', '_')}_{profile}",
                         out_dir)


def main(argv=None, experiment: str = "fcnn-table2") -> int:
    p = argparse.ArgumentParser(description=f"Render {experiment} from results/ and suite.complexity")
    p.add_argument("--profile", default="local")
    p.add_argument("--results", default=None)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    print(render(experiment, a.profile, a.results, a.out))
    return 0

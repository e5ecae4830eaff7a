"""FCNN Tables 2, 4 and 5: top-1 accuracy and complexity relative to the baseline.

Accuracy (measured): mean top-1 of the finished runs of ``results/<experiment>/<profile>/``.
Complexity (computed): exact multiplications of the substituted layers ("the complexity is also
calculated regarding to these layers", FCNN Sec. 3: the stage blocks conv2_x–conv4_x, not the 7×7 stem
or the 1×1 convolutions across stages), from ``suite.complexity`` at the paper's input size and 1000
classes, divided by the baseline's; and the whole network's multiplications.
"""
from __future__ import annotations

from dataclasses import dataclass

from suite.experiments.fcnn_table2 import FCNN_TABLE2
from suite.experiments.fcnn_table4 import FCNN_TABLE4
from suite.experiments.fcnn_table5 import FCNN_TABLE5
from suite.experiments.paper import FcnnRow

from . import _render
from . import reference as reference_runs
from .accuracy import collect, emit, measured_cells, measured_columns
from .complexity import COUNTS, relative_complexity


@dataclass(frozen=True)
class Spec:
    title: str
    baseline: str
    rows: dict[str, FcnnRow]


SPECS = {
    "fcnn-table2": Spec("FCNN Table 2: accuracy and complexity of models A to F", "fcnn-a", FCNN_TABLE2),
    "fcnn-table4": Spec("FCNN Table 4: accuracies of topology models and grouping model", "fcnn-a0", FCNN_TABLE4),
    "fcnn-table5": Spec("FCNN Table 5: single basis layers combined with topological connection", "fcnn-a",
                        FCNN_TABLE5),
}


def table(experiment: str, profile: str, results_root=None) -> _render.Table:
    spec = SPECS[experiment]
    col = collect(experiment, profile, results_root, list(spec.rows))
    ref = reference_runs.collect_reference(experiment, profile, list(spec.rows))
    t = _render.Table(f"{experiment.replace('-', '_')}_{profile}", spec.title, [
        "Model", "Method", "Top-1 % (paper)", *measured_columns("Top-1 %", profile), "n",
        *reference_runs.columns("Top-1 %"),
        "Complexity (paper)", "Paper approx. (~)", "Complexity (computed, Alg. 1 conv.)",
        "Complexity (computed, exact)", "Whole-net mult. M (computed)", "Source of measured"])
    for r in spec.rows.values():
        t.add(r.model.removeprefix("fcnn-").upper(), r.method, r.top1, *measured_cells(col.summary(r.model, "top1")),
              col.n(r.model), *reference_runs.cells(ref, r.model, ("top1",)), r.complexity, r.approximate,
              round(relative_complexity(r.model, spec.baseline), 3),
              round(relative_complexity(r.model, spec.baseline, exact=True), 3),
              round(COUNTS(r.model).multiplications / 1e6, 1), col.run_names(r.model))
    t.notes = [
        "Top-1 % (paper) and Complexity (paper): FCNN, ImageNet 2012 validation, center crop.",
        "Complexity (computed): `suite.complexity.count` at the paper's input (3×221×221, 3×150×150 for Sec. 3.2) "
        "and 1000 classes, over the substituted stage layers as FCNN Sec. 3 counts them, relative to "
        f"{spec.baseline}; 'Alg. 1 conv.' counts every stage conv at its stage resolution as the paper does, "
        "'exact' uses real output sizes (see the complexity tables, `make tables`).",
    ] + col.notes() + reference_runs.notes(ref)
    return t


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None) -> str:
    if experiment not in SPECS:
        raise ValueError(f"unknown experiment {experiment!r}; valid: {', '.join(sorted(SPECS))}")
    return emit(table(experiment, profile, results_root), out_dir)

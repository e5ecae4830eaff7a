"""FCNN Table 7: model L against AlexNet, GoogLeNet, ResNet-18 and VGG-16 (Torch recipe, Sec. 3.4).

Errors (measured): 100 − top-1 / top-5 of the finished runs (mean, sd, 95 % interval). Multiplications and parameters
(computed): ``suite.complexity`` at each model's paper configuration (default input, 1000 classes).
"""
from __future__ import annotations

from suite.experiments.fcnn_table7 import FCNN_TABLE7, FCNN_TABLE7_SOURCES

from . import _render
from . import reference as reference_runs
from .accuracy import collect, emit, measured_cells, measured_columns
from .complexity import COUNTS

EXPERIMENT = "fcnn-table7"


def table(profile: str, results_root=None) -> _render.Table:
    col = collect(EXPERIMENT, profile, results_root, list(FCNN_TABLE7))
    ref = reference_runs.collect_reference(EXPERIMENT, profile, list(FCNN_TABLE7))
    title = "FCNN Table 7: accuracy, complexity and parameters of model L and previous work"
    t = _render.Table(f"fcnn_table7_{profile}", title, [
        "Model", "Top-1 err % (paper)", *measured_columns("Top-1 err %", profile), "Top-5 err % (paper)",
        *measured_columns("Top-5 err %", profile), "n", *reference_runs.columns("Top-1 err %", "Top-5 err %"),
        "Mult. 10⁶ (paper)", "Mult. 10⁶ (computed)",
        "Params 10⁶ (paper)", "Params 10⁶ (computed)", "Source of paper values", "Source of measured"])
    for name, r in FCNN_TABLE7.items():
        cx = COUNTS(name)
        t.add(r.label, r.top1_err, *measured_cells(col.summary(name, "top1"), error=True), r.top5_err,
              *measured_cells(col.summary(name, "top5"), error=True), col.n(name),
              *reference_runs.cells(ref, name, ("top1", "top5"), error=True), r.mult,
              round(cx.multiplications / 1e6, 1), r.params, round(cx.parameters / 1e6, 2), r.source,
              col.run_names(name))
    t.notes = ["Paper columns: FCNN Table 7 (single model, center crop). For the reference networks these are the "
               f"literature values the paper quotes, not its own runs: \"{FCNN_TABLE7_SOURCES}\" (Table 7 caption); "
               "the source of each row is in 'Source of paper values'.",
               "Computed columns: `suite.complexity.count` of each model at its paper input size, 1000 classes.",
               "Measured reference networks: torchvision's definitions trained with Model L's batch and schedule and "
               "their own published lr and weight decay (`jobs show fcnn-table7`: model_recipes)."
               ] + col.notes() + reference_runs.notes(ref)
    return t


def render(experiment: str = EXPERIMENT, profile: str = "local", results_root=None, out_dir=None) -> str:
    return emit(table(profile, results_root), out_dir)

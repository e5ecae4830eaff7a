"""FCNN Table 7: model L against AlexNet, GoogLeNet, ResNet-18 and VGG-16 (Torch recipe, Sec. 3.4).

Errors (measured): 100 − mean top-1 / top-5 of the finished runs. Multiplications and parameters
(computed): ``suite.complexity`` at each model's paper configuration (default input, 1000 classes).
"""
from __future__ import annotations

from suite import paper_values as pv

from . import _render
from .accuracy import collect, emit
from .complexity import COUNTS

EXPERIMENT = "fcnn-table7"


def err(value):
    return None if value is None else 100.0 - value


def table(profile: str, results_root=None) -> _render.Table:
    col = collect(EXPERIMENT, profile, results_root, list(pv.FCNN_TABLE7))
    t = _render.Table(f"fcnn_table7_{profile}", "FCNN Table 7: accuracy, complexity and parameters of model L and previous work", [
        "Model", "Top-1 err % (paper)", f"Top-1 err % (measured, {profile})", "Top-5 err % (paper)",
        f"Top-5 err % (measured, {profile})", "Mult. 10⁶ (paper)", "Mult. 10⁶ (computed)",
        "Params 10⁶ (paper)", "Params 10⁶ (computed)", "Runs", "Source of measured"])
    for name, r in pv.FCNN_TABLE7.items():
        cx = COUNTS(name)
        t.add(r.label, r.top1_err, err(col.mean(name, "top1")), r.top5_err, err(col.mean(name, "top5")), r.mult,
              round(cx.multiplications / 1e6, 1), r.params, round(cx.parameters / 1e6, 2), col.n(name),
              col.run_names(name))
    t.notes = ["Paper columns: FCNN Table 7 (single model, center crop; AlexNet/GoogLeNet top-1 from Caffe's "
               "implementation, ResNet-18 from Facebook's, as the paper says).",
               "Computed columns: `suite.complexity.count` of each model at its paper input size, 1000 classes."
               ] + col.notes()
    return t


def render(experiment: str = EXPERIMENT, profile: str = "local", results_root=None, out_dir=None) -> str:
    return emit(table(profile, results_root), out_dir)

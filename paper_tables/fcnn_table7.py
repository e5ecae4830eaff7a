"""FCNN Table 7: model L against AlexNet, GoogLeNet, ResNet-18 and VGG-16 (Torch recipe, Sec. 3.4).

Errors (measured): 100 − mean top-1 / top-5 of the finished runs. Multiplications and parameters
(computed): ``suite.complexity`` at each model's paper configuration (default input, 1000 classes).
"""
from __future__ import annotations

import argparse
from functools import lru_cache

from . import _render
from .accuracy import collect, emit

# model -> (label, top-1 err %, top-5 err %, multiplications in millions, parameters in millions), FCNN Table 7
PAPER = {
    "alexnet": ("AlexNet", 42.9, 18.2, 725, 62.4),
    "googlenet": ("GoogleNet", 31.3, 10.07, 1600, 7.0),
    "resnet18": ("ResNet-18", 30.43, 10.76, 1800, 11.5),
    "vgg16": ("VGG-16", 28.1, 9.4, 16000, 134.0),
    "fcnn-l": ("Our Model L", 29.89, 10.55, 470, 2.8),
}
EXPERIMENT = "fcnn-table7"


@lru_cache(maxsize=None)
def paper_complexity(name: str, input_size: tuple | None = None, overrides: tuple = ()) -> tuple[int, int]:
    """(multiplications, parameters) of ``name`` built with ``overrides`` at ``input_size`` (default: paper's)."""
    from suite import complexity
    from suite.models import build
    c = complexity.count(build(name, **dict(overrides)), input_size)
    return c.multiplications, c.parameters


def err(value):
    return None if value is None else 100.0 - value


def table(profile: str, results_root=None) -> _render.Table:
    col = collect(EXPERIMENT, profile, results_root, list(PAPER))
    t = _render.Table(f"fcnn_table7_{profile}", "FCNN Table 7: accuracy, complexity and parameters of model L and previous work", [
        "Model", "Top-1 err % (paper)", f"Top-1 err % (measured, {profile})", "Top-5 err % (paper)",
        f"Top-5 err % (measured, {profile})", "Mult. 10⁶ (paper)", "Mult. 10⁶ (computed)",
        "Params 10⁶ (paper)", "Params 10⁶ (computed)", "Runs", "Source of measured"])
    for name, (label, e1, e5, mult, params) in PAPER.items():
        m, p = paper_complexity(name)
        t.add(label, e1, err(col.mean(name, "top1")), e5, err(col.mean(name, "top5")), mult, round(m / 1e6, 1),
              params, round(p / 1e6, 2), col.n(name), col.run_names(name))
    t.notes = ["Paper columns: FCNN Table 7 (single model, center crop; AlexNet/GoogLeNet top-1 from Caffe's "
               "implementation, ResNet-18 from Facebook's, as the paper says).",
               "Computed columns: `suite.complexity.count` of each model at its paper input size, 1000 classes."
               ] + col.notes()
    return t


def render(experiment: str = EXPERIMENT, profile: str = "local", results_root=None, out_dir=None) -> str:
    return emit(table(profile, results_root), out_dir)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description="Render FCNN Table 7 from results/ and suite.complexity")
    p.add_argument("--profile", default="local")
    p.add_argument("--results", default=None)
    p.add_argument("--out", default=None)
    a = p.parse_args()
    print(render(EXPERIMENT, a.profile, a.results, a.out))

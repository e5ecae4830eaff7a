"""FCNN Figure 2: accuracy vs multiplications, the paper's points beside the measured ones (PNG + PDF).

Left panel: the paper's points (top-1 accuracy = 100 − Table 7's top-1 error, multiplications as the
paper prints them) and, at the same accuracy, the multiplications ``suite.complexity`` computes for our
implementation of each network at its paper input size. Right panel: measured top-1 of the finished
runs of ``results/fcnn-table7/<profile>/`` against the multiplications of the network as it was trained
(the run's input size and width). The two panels are different datasets and must not be compared
point by point.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from suite import paper_values as pv

from . import _render
from .accuracy import collect, emit
from .complexity import COUNTS

MODELS = ("fcnn-l", "alexnet", "googlenet", "resnet18")  # the networks Figure 2 plots
RESULTS_OF = "fcnn-table7"


@lru_cache(maxsize=None)
def _multiplications(name: str, input_size: tuple | None, overrides: tuple) -> int:
    from suite import complexity
    from suite.models import build
    return complexity.count(build(name, **dict(overrides)), input_size).multiplications


def trained_multiplications(run) -> int:
    """Multiplications of the network as ``run`` trained it (its input size, width and classes)."""
    overrides = dict(run.config.get("model_overrides", {}))
    size = tuple(overrides.get("input_size") or ())
    num = int(run.config.get("num_classes", 10))
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in overrides.items()))
    return _multiplications(run.summary["model"], size or None, frozen + (("num_classes", num),))


def points(profile: str, results_root=None):
    col = collect(RESULTS_OF, profile, results_root, list(MODELS))
    paper, measured = [], []
    for name in MODELS:
        r = pv.FCNN_TABLE7[name]
        paper.append((r.label, r.mult / 1e3, 100.0 - r.top1_err, COUNTS(name).multiplications / 1e9))
        if col.n(name):
            measured.append((r.label, trained_multiplications(col.runs[name][0]) / 1e9, col.mean(name, "top1"), col.n(name)))
    return col, paper, measured


def render(experiment: str = "fcnn-figure2", profile: str = "local", results_root=None, out_dir=None) -> str:
    plt = _render.pyplot()
    col, paper, measured = points(profile, results_root)
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    for label, x, y, xc in paper:
        a.scatter([x], [y], label=f"{label} (paper)")
        a.scatter([xc], [y], facecolors="none", edgecolors="k", s=40)
        a.annotate(label, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    a.scatter([], [], facecolors="none", edgecolors="k", label="computed mult. (suite.complexity)")
    a.set(xlabel="#Multiplications (10⁹)", ylabel="Top-1 accuracy (%)", title="FCNN Fig. 2, ImageNet (paper)")
    a.legend(fontsize=7)
    for label, x, y, n in measured:
        b.scatter([x], [y])
        b.annotate(f"{label} (n={n})", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    b.set(xlabel="#Multiplications of the trained net (10⁹)", ylabel="Top-1 accuracy (%)",
          title=f"measured, profile {profile}" + ("" if measured else " (no finished run)"))
    fig.tight_layout()
    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    stem = f"fcnn_figure2_{profile}"
    _render.save_figure(fig, out / stem)
    t = _render.Table(stem, "FCNN Figure 2: accuracy vs multiplications (plotted points)", [
        "Model", "Top-1 % (paper)", "Mult. 10⁹ (paper)", "Mult. 10⁹ (computed, paper input)",
        f"Top-1 % (measured, {profile})", "Mult. 10⁹ (computed, as trained)", "Runs"])
    got = {m[0]: m for m in measured}
    for label, x, y, xc in paper:
        m = got.get(label)
        t.add(label, y, x, round(xc, 3), m[2] if m else None, round(m[1], 4) if m else None, m[3] if m else 0)
    t.notes = [f"Figure: `{out / stem}.png` and `.pdf`."] + col.notes()
    return emit(t, out)

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

from suite.experiments.fcnn_table7 import FCNN_TABLE7, FCNN_TABLE7_SOURCES

from . import _render, stats
from .accuracy import collect, emit, measured_cells, measured_columns
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
    """(collected runs, paper points, measured points): paper = (label, mult. 10⁹ as printed, top-1 %, our
    mult. 10⁹ at the paper input); measured = (label, mult. 10⁹ as trained, stats.Summary of top-1, run)."""
    col = collect(RESULTS_OF, profile, results_root, list(MODELS))
    paper, measured = [], []
    for name in MODELS:
        r = FCNN_TABLE7[name]
        paper.append((r.label, r.mult / 1e3, 100.0 - r.top1_err, COUNTS(name).multiplications / 1e9))
        if col.n(name):
            run = col.runs[name][0]
            measured.append((r.label, trained_multiplications(run) / 1e9, col.summary(name, "top1"), run))
    return col, paper, measured


def _plot(profile: str, paper, measured, stem: Path) -> list[Path]:
    """Left: the paper's points (filled) and our count of each network at the paper's accuracy (hollow).
    Right: measured top-1 (mean, error bar = 95 % t-interval) of the networks as trained, chance line."""
    fig, (a, b) = _render.figure(columns=2, height=2.8, ncols=2)
    colors = dict(zip([p[0] for p in paper], ("C3", "C0", "C1", "C2")))
    for label, x, y, xc in paper:
        a.plot([x, xc], [y, y], color=colors[label], lw=0.8)
        a.plot(x, y, "o", color=colors[label], label=label)
        a.plot(xc, y, "s", mfc="none", color=colors[label])
    a.plot([], [], "ok", label="paper (Table 7; literature values\nexcept model L)")
    a.plot([], [], "sk", mfc="none", label="our count, paper top-1")
    a.set(xlabel="multiplications (10⁹)", ylabel="top-1 accuracy (%)",
          title="ImageNet: FCNN Fig. 2 (paper values)")
    a.margins(x=0.12, y=0.15)
    a.legend(loc="center right")  # the empty region between AlexNet (bottom left) and the others (top)
    if measured:
        classes = {int(run.config.get("num_classes", 10)) for *_, run in measured}
        datasets = sorted({str(run.config.get("dataset")) for *_, run in measured})
        for label, x, s, run in measured:
            err = None if s.half_width is None else [[s.half_width], [s.half_width]]
            b.errorbar([x], [s.mean], yerr=err, fmt="D", color=colors[label], mfc="white", capsize=3,
                       label=f"{label} (n={s.n})")
        for c in sorted(classes):
            b.axhline(100 / c, color="0.4", ls="--", lw=0.8, label=f"chance ({100 / c:g} %, {c} classes)")
        b.set_ylim(0, 100)
        b.set_xscale("log")  # the local nets differ by two orders of magnitude in multiplications
        b.set_title(f"measured: {', '.join(datasets)}, {profile} profile\nmean, error bar 95 % t-interval")
        b.legend(loc="center right")  # between chance (bottom) and the measured points (top)
    else:
        b.text(0.5, 0.5, f"no finished run\n(profile {profile})", ha="center", va="center", transform=b.transAxes)
        b.set_title(f"measured: {profile} profile")
    b.set(xlabel="multiplications of the trained net (10⁹)", ylabel="top-1 accuracy (%)")
    b.margins(x=0.15)
    return _render.save_figure(fig, stem)


def render(experiment: str = "fcnn-figure2", profile: str = "local", results_root=None, out_dir=None) -> str:
    col, paper, measured = points(profile, results_root)
    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    stem = f"fcnn_figure2_{profile}"
    _plot(profile, paper, measured, out / stem)
    t = _render.Table(stem, "FCNN Figure 2: accuracy vs multiplications (plotted points)", [
        "Model", "Top-1 % (paper)", "Mult. 10⁹ (paper)", "Mult. 10⁹ (computed, paper input)",
        *measured_columns("Top-1 %", profile), "n", "Mult. 10⁹ (computed, as trained)", "Source of paper values"])
    got = {m[0]: m for m in measured}
    sources = {FCNN_TABLE7[name].label: FCNN_TABLE7[name].source for name in MODELS}
    for label, x, y, xc in paper:
        m = got.get(label)
        s = m[2] if m else stats.summarize([])
        t.add(label, y, x, round(xc, 3), *measured_cells(s), s.n, round(m[1], 4) if m else None, sources[label])
    t.notes = [f"Figure: `{out / stem}.png` and `.pdf` (left: the paper's points, filled, and our count of each "
               "network at the paper's accuracy, hollow; right: measured, error bars = 95 % t-interval of the mean, "
               "dashed line = chance).",
               "Paper points: FCNN Table 7 (Figure 2 plots it); the reference networks' are literature values: "
               f"\"{FCNN_TABLE7_SOURCES}\" (Table 7 caption)."] + col.notes()
    return emit(t, out)

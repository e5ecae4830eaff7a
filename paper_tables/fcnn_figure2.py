"""FCNN Figure 2: accuracy vs multiplications, the paper's points beside the measured ones (PNG + PDF).

Left panel: the paper's points (top-1 accuracy = 100 − Table 7's top-1 error, multiplications as the
paper prints them) and, at the same accuracy, the multiplications ``suite.complexity`` computes for our
implementation of each network at its paper input size. Right panel: measured top-1 of the finished
runs of ``results/fcnn-table7/<profile>/`` against the multiplications of the network as it was trained
(the run's input size and width); without finished runs it is left out, not drawn empty. The two panels are
different datasets and must not be compared point by point. Written at two-column (7 in, side by side) and
one-column (3.3 in, stacked, ``_1col``) width.
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


# Marker styles: the paper's points small and filled, our count larger, hollow and drawn on top (a network whose
# count matches the paper's would otherwise hide it), measured points diamonds with their 95 % error bars.
PAPER = {"marker": "o", "markersize": 4, "ls": "none", "zorder": 2}
OURS = {"marker": "s", "markersize": 8, "mfc": "none", "mew": 1.2, "ls": "none", "zorder": 3}
MEASURED = {"marker": "D", "markersize": 5, "mfc": "white", "mew": 1.2, "ls": "none", "zorder": 3}
HEIGHT = {(1, 1): 2.9, (1, 2): 5.2, (2, 1): 2.9, (2, 2): 2.9}  # inches, by (columns, panels)


def draw(profile: str, paper, measured, columns: int = 2):
    """The figure at ``columns`` paper columns (3.3 or 7 in wide). Left (or top): the paper's points (filled) and
    our count of each network at the paper's accuracy (hollow). Right (or bottom), only when there are finished
    runs: measured top-1 (mean, error bar = 95 % t-interval) of the networks as trained, chance line. Both x axes
    linear, as in the paper's figure; one legend under the panels, off the data."""
    panels = 2 if measured else 1
    grid = {"nrows": panels, "ncols": 1} if columns == 1 else {"nrows": 1, "ncols": panels}
    fig, axes = _render.figure(columns=columns, height=HEIGHT[columns, panels], **grid)
    a, b = (axes, None) if panels == 1 else axes
    colors = dict(zip([p[0] for p in paper], ("C3", "C0", "C1", "C2")))
    n_of = {label: s.n for label, _, s, _ in measured}
    for label, x, y, xc in paper:
        a.plot([x, xc], [y, y], color=colors[label], lw=0.8, zorder=1)
        a.plot(x, y, color=colors[label], **PAPER)
        a.plot(xc, y, color=colors[label], **OURS)
    a.set(xlabel="multiplications (10⁹)", ylabel="top-1 accuracy (%)", title="ImageNet: FCNN Fig. 2 (paper values)")
    a.margins(x=0.12, y=0.15)
    handles = [_line(color=colors[label], marker="none", ls="-", lw=2,
                     label=f"{label} (n={n_of[label]})" if label in n_of else label) for label in colors]
    handles += [_line(color="k", label="paper (Table 7)", **PAPER), _line(color="k", label="our count, paper top-1",
                                                                          **OURS)]
    if b is not None:
        classes = sorted({int(run.config.get("num_classes", 10)) for *_, run in measured})
        datasets = sorted({str(run.config.get("dataset")) for *_, run in measured})
        for label, x, s, _ in measured:
            err = None if s.half_width is None else [[s.half_width], [s.half_width]]
            b.errorbar([x], [s.mean], yerr=err, color=colors[label], capsize=3, **MEASURED)
        for c in classes:
            b.axhline(100 / c, color="0.4", ls="--", lw=0.8)
        b.set_ylim(0, 100)
        b.set(xlabel="multiplications of the trained net (10⁹)", ylabel="top-1 accuracy (%)",
              title=f"measured: {', '.join(datasets)}, {profile} profile")
        b.margins(x=0.15)
        handles += [_line(color="k", label="measured mean, 95 % t-interval", **MEASURED),
                    _line(color="0.4", ls="--", marker="none", lw=0.8,
                          label=f"chance ({', '.join(f'{100 / c:g} %' for c in classes)})")]
    for ax in (a, b) if b is not None else (a,):
        ax.xaxis.get_major_locator().set_params(nbins=5)
    missing = None if b is not None else f"no finished run of {RESULTS_OF} (profile {profile}): no measured panel"
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if columns == 1 else 4, title=missing)
    return fig


def _line(**kwargs):
    from matplotlib.lines import Line2D
    return Line2D([], [], **kwargs)


def render(experiment: str = "fcnn-figure2", profile: str = "local", results_root=None, out_dir=None) -> str:
    col, paper, measured = points(profile, results_root)
    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    stem = f"fcnn_figure2_{profile}"
    for columns in (2, 1):
        _render.save_figure(draw(profile, paper, measured, columns), _render.width_stem(out / stem, columns))
    t = _render.Table(stem, "FCNN Figure 2: accuracy vs multiplications (plotted points)", [
        "Model", "Top-1 % (paper)", "Mult. 10⁹ (paper)", "Mult. 10⁹ (computed, paper input)",
        *measured_columns("Top-1 %", profile), "n", "Mult. 10⁹ (computed, as trained)", "Source of paper values"])
    got = {m[0]: m for m in measured}
    sources = {FCNN_TABLE7[name].label: FCNN_TABLE7[name].source for name in MODELS}
    for label, x, y, xc in paper:
        m = got.get(label)
        s = m[2] if m else stats.summarize([])
        t.add(label, y, x, round(xc, 3), *measured_cells(s), s.n, round(m[1], 4) if m else None, sources[label])
    t.notes = [f"Figure: `{stem}.png` and `.pdf` (two columns wide; `{stem}_1col` one column) beside this table "
               "(left: the paper's points, filled, and our count of each network at the paper's accuracy, hollow; "
               "right: measured, error bars = 95 % t-interval of the mean, dashed line = chance).",
               "Paper points: FCNN Table 7 (Figure 2 plots it); the reference networks' are literature values: "
               f"\"{FCNN_TABLE7_SOURCES}\" (Table 7 caption)."] + col.notes()
    return emit(t, out)

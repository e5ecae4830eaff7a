"""The papers' efficiency figures in seconds, from model-timing JSONs (`python -m suite.bench models --json`),
one series per device JSON; each figure at two-column (7 in) and one-column (3.3 in, ``_1col``) width.

- ``fcnn_figure2_time``: FCNN Figure 2 with measured milliseconds per image on the x axis (inference at the
  largest batch each device ran, the fastest form of each network) beside the paper's multiplications; the
  y axis is the paper's top-1 accuracy (Table 7), as in the paper's figure.
- ``hocp_figure5_time``: HO-CP Figure 5's GFLOPs (computed) beside the measured milliseconds of the same
  layers (3D-Conv, CP-HOConv-3/-6; batch 1, fastest form) over the channel pairs each device afforded.
- ``time_vs_multiplications``: per model, its multiplications over its baseline's against its measured time
  over its baseline's (inference at the largest batch, 95 % log-t interval as error bars), one marker per
  device; on the diagonal, the seconds keep the count's promise; above it, they give less.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

from suite import paper_values as pv

from . import _render
from .time_verdicts import Bench, fastest, ratio_interval

MARKERS = ("o", "s", "^", "D", "v", "P")
FIGURE2_MODELS = ("fcnn-l", "alexnet", "googlenet", "resnet18")
FIGURE2_COLORS = ("C3", "C0", "C1", "C2")
# The baseline each model's count is compared with (the tables' and the abstract's comparisons).
PAIRS = (*((m, "fcnn-a") for m in ("fcnn-b", "fcnn-c", "fcnn-d", "fcnn-e", "fcnn-f", "fcnn-j", "fcnn-k")),
         *((m, "fcnn-a0") for m in ("fcnn-g", "fcnn-h", "fcnn-i")),
         ("fcnn-l", "resnet18"), ("fcnn-l", "googlenet"), ("fcnn-l", "alexnet"), ("fcnn-l", "vgg16"),
         ("hosconv-cifar", "mobilenetv2-cifar"), ("hocp-convnet", "convnet3d"), ("hocp-convnet-s", "convnet3d"))
FAMILY_COLOR = {"fcnn-a": "C0", "fcnn-a0": "C1", "resnet18": "C3", "googlenet": "C3", "alexnet": "C3",
                "vgg16": "C3", "mobilenetv2-cifar": "C2", "convnet3d": "C4"}


def short(name: str) -> str:
    return name[5:].upper() if name.startswith("fcnn-") else name


def largest_inference(bench: Bench, model: str, part: str = "model") -> dict | None:
    """The fastest form's record of `model` for inference at the largest batch it ran."""
    batches = sorted({r["batch"] for r in bench.records if r["model"] == model and r["part"] == part
                      and r["task"] == "inference" and r.get("samples_ms")}, reverse=True)
    return fastest(bench, model, part, "inference", batches[0]) if batches else None


def _device_label(bench: Bench) -> str:
    return textwrap.shorten(f"{bench.kind}: {bench.name}", 40)


def _median(samples) -> float:
    s = sorted(samples)
    return (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2


# ---------------------------------------------------------------------------------------------- Figure 2
def figure2(benches: list[Bench], columns: int = 2):
    fig, axes = _render.figure(columns=columns, height=2.9 if columns == 2 else 5.0,
                               **({"ncols": 2} if columns == 2 else {"nrows": 2}))
    a, b = axes
    colors = dict(zip(FIGURE2_MODELS, FIGURE2_COLORS))
    for m in FIGURE2_MODELS:
        r = pv.FCNN_TABLE7[m]
        a.plot(r.mult / 1e3, 100 - r.top1_err, "o", color=colors[m])
        a.annotate(r.label, (r.mult / 1e3, 100 - r.top1_err), xytext=(3, 3), textcoords="offset points",
                   fontsize=_render.MIN_FONT)
    a.set(xlabel="multiplications (10⁹, paper)", ylabel="top-1 accuracy (%, paper)", title="FCNN Fig. 2 (paper)")
    a.margins(x=0.2, y=0.15)
    for i, bench in enumerate(benches):
        pts = []
        for m in FIGURE2_MODELS:
            rec = largest_inference(bench, m)
            if rec is not None:
                pts.append((_median(rec["samples_ms"]) / rec["batch"], 100 - pv.FCNN_TABLE7[m].top1_err, m))
        pts.sort()
        if pts:
            b.plot([p[0] for p in pts], [p[1] for p in pts], "-", color="0.6", lw=0.7, zorder=1)
        for x, y, m in pts:
            b.plot(x, y, MARKERS[i % len(MARKERS)], color=colors[m], zorder=2)
    _log(b, "x")
    b.set(xlabel="measured ms per image (inference, fastest form)", ylabel="top-1 accuracy (%, paper)",
          title="the same networks in seconds")
    b.margins(y=0.15)
    handles = [_line(color=colors[m], ls="-", lw=2, label=pv.FCNN_TABLE7[m].label) for m in FIGURE2_MODELS]
    handles += [_line(color="k", marker=MARKERS[i % len(MARKERS)], ls="none", label=_device_label(bench))
                for i, bench in enumerate(benches)]
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if columns == 1 else 3)
    return fig


# ---------------------------------------------------------------------------------------------- Figure 5
def figure5_times(bench: Bench) -> dict[tuple, float]:
    """{(layer, in, out): median ms of the fastest form}."""
    best: dict[tuple, float] = {}
    for r in bench.layers:
        if r.get("samples_ms"):
            key = (r["layer"], r["in_channels"], r["out_channels"])
            ms = _median(r["samples_ms"])
            best[key] = min(best.get(key, ms), ms)
    return best


def figure5(benches: list[Bench], columns: int = 2):
    from .complexity import figure5_data

    data = figure5_data()
    series = ["3D-Conv", *(f"CP-HOConv-{r}" for r in pv.HOCP_FIGURE5_RANKS)]
    fig, axes = _render.figure(columns=columns, height=3.4 if columns == 2 else 5.6,
                               **({"ncols": 2} if columns == 2 else {"nrows": 2}))
    a, b = axes
    width = 0.8 / len(series)
    for i, s in enumerate(series):
        a.bar([j + (i - 1) * width for j in range(len(data))], [r[s] for r in data], width=width, color=f"C{i}")
    for k, bench in enumerate(benches):
        times = figure5_times(bench)
        for i, s in enumerate(series):
            pts = [(j, times[s, r["in_channels"], r["out_channels"]]) for j, r in enumerate(data)
                   if (s, r["in_channels"], r["out_channels"]) in times]
            if pts:
                b.plot([p[0] for p in pts], [p[1] for p in pts], marker=MARKERS[k % len(MARKERS)], color=f"C{i}",
                       lw=0.8)
    labels = [f"{r['in_channels']}×{r['out_channels']}" for r in data]
    for ax, ylabel, title in ((a, "GFLOPs (2 × MACs)", "HO-CP Fig. 5 (counted)"),
                              (b, "measured ms", "measured (batch 1, fastest form)")):
        _log(ax, "y")
        ax.set_xticks(range(len(data)), labels, rotation=90)
        ax.set(xlabel="input × output channels", ylabel=ylabel, title=title)
        ax.grid(axis="x", visible=False)
    handles = [_line(color=f"C{i}", ls="-", lw=4, label=s) for i, s in enumerate(series)]
    handles += [_line(color="k", marker=MARKERS[k % len(MARKERS)], ls="none", label=_device_label(bench))
                for k, bench in enumerate(benches)]
    fig.legend(handles=handles, loc="outside lower center", ncols=3 if columns == 2 else 2)
    return fig


# ------------------------------------------------------------------------- multiplications vs seconds
def gap_points(bench: Bench) -> list[dict]:
    """Per pair of `PAIRS` both measured: multiplication ratio, time ratio and its interval, batch, forms."""
    out = []
    for model, base in PAIRS:
        a, b = largest_inference(bench, model), largest_inference(bench, base)
        if a is None or b is None:
            continue
        batch = min(a["batch"], b["batch"])
        a, b = fastest(bench, model, "model", "inference", batch), fastest(bench, base, "model", "inference", batch)
        if a is None or b is None:
            continue
        ratio, lo, hi = ratio_interval(a["samples_ms"], b["samples_ms"])
        out.append({"model": model, "baseline": base, "mult_ratio": a["multiplications"] / b["multiplications"],
                    "time_ratio": ratio, "lo": lo, "hi": hi, "batch": batch, "forms": (a["form"], b["form"])})
    return out


def gap_figure(benches: list[Bench], columns: int = 2):
    fig, ax = _render.figure(columns=columns, height=3.2 if columns == 2 else 3.6)
    every = []
    for k, bench in enumerate(benches):
        for p in gap_points(bench):
            every += [p["mult_ratio"], p["time_ratio"]]
            err = None if p["lo"] is None else [[p["time_ratio"] - p["lo"]], [p["hi"] - p["time_ratio"]]]
            ax.errorbar([p["mult_ratio"]], [p["time_ratio"]], yerr=err, fmt=MARKERS[k % len(MARKERS)],
                        color=FAMILY_COLOR.get(p["baseline"], "k"), mfc="white", capsize=2, lw=0.8)
            if k == 0 and columns == 2:
                ax.annotate(f"{short(p['model'])}/{short(p['baseline'])}", (p["mult_ratio"], p["time_ratio"]),
                            xytext=(3, -8), textcoords="offset points", fontsize=_render.MIN_FONT)
    if every:
        lo, hi = min(every) / 1.5, max(every) * 1.5
        ax.plot([lo, hi], [lo, hi], "--", color="0.4", lw=0.8, zorder=0)
    _log(ax, "x")
    _log(ax, "y")
    ax.set(xlabel="multiplications: model / baseline", ylabel="measured time: model / baseline",
           title=textwrap.fill("count's promise vs the seconds (inference, largest batch)",
                               48 if columns == 1 else 120))
    handles = [_line(color="k", marker=MARKERS[k % len(MARKERS)], ls="none", mfc="white", label=_device_label(b))
               for k, b in enumerate(benches)]
    handles += [_line(color=c, ls="-", lw=2, label=f"baseline {short(base)}") for base, c in
                (("fcnn-a", "C0"), ("fcnn-a0", "C1"), ("reference nets", "C3"), ("mobilenetv2-cifar", "C2"),
                 ("convnet3d", "C4"))]
    handles.append(_line(color="0.4", ls="--", label="time ratio = multiplication ratio"))
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if columns == 1 else 4)
    return fig


def _log(ax, which: str) -> None:
    """A log axis ticked at 1, 2, 5 × 10^k with plain numbers, no minor labels (they crowd a short range and
    can be drawn outside the view)."""
    from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FormatStrFormatter("%g"))
    axis.set_minor_formatter(NullFormatter())


def _line(**kwargs):
    from matplotlib.lines import Line2D

    kwargs.setdefault("marker", "none")
    return Line2D([], [], **kwargs)


DRAW = {"fcnn_figure2_time": figure2, "hocp_figure5_time": figure5, "time_vs_multiplications": gap_figure}


def render(benches: list[Bench], out_dir=None) -> list[Path]:
    """Every figure of this module at both widths under `out_dir` (PNG and PDF); the paths written."""
    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    paths = []
    for stem, draw in DRAW.items():
        for columns in (2, 1):
            paths += _render.save_figure(draw(benches, columns), _render.width_stem(out / stem, columns))
    return paths

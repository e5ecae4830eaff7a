"""Training curves: ``python -m paper_tables curves EXPERIMENT [--profile P] [--results DIR] [--out DIR]``.

Per model of ``results/<experiment>/<profile>/``: training and validation loss, and validation top-1
accuracy, per epoch. The line is the mean over the model's seeds, the band their min–max (with three
seeds a min–max band shows every run, where ±1 sd would pretend to a distribution); a model with one seed
is a line. Seeds stopped by a plateau schedule at different epochs are averaged over those that reached
the epoch (the CSV says how many). Built from :func:`suite.runs.metrics_frame`: the runs of the one
configuration the experiment's table shows (``suite.runs.select_runs``; ``jobs collect --set`` picks
another), only finished ones unless ``--include-unfinished`` (curves of runs still training). Writes
``curves_<experiment>_<profile>.png``/``.pdf`` (two-column width, 7 in), ``..._1col.png``/``.pdf`` (one column,
3.3 in) and the plotted numbers as ``.csv``, all atomically.

``--tensorboard`` also writes one TensorBoard event directory per run (torch's ``SummaryWriter``) under
``<out>/tensorboard/<run id>/``; it needs the ``tensorboard`` package.
"""
from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from suite import runs
from suite.profiles import PROFILES, check_profile
from suite.runs import RESULTS_HELP, metrics_frame, run_dirs, select_runs

from . import _render

BAND = "min–max over seeds"
SERIES = ("train_loss", "val_loss", "val_top1", "val_top5")


def curve_table(frame):
    """Per model and epoch: mean, min, max of every series and n (runs that reached the epoch)."""
    series = [s for s in SERIES if s in frame.columns]
    grouped = frame.groupby(["model", "epoch"])[series]
    table = grouped.agg(["mean", "min", "max"])
    table.columns = [f"{s}_{stat}" for s, stat in table.columns]
    table["n"] = frame.groupby(["model", "epoch"]).size()
    return table.reset_index()


def load(experiment: str, profile: str, results_root=None, *, include_unfinished: bool = False):
    """The metrics frame of the runs to plot, or ValueError naming where no run was found."""
    root = runs.results_root(results_root)
    check_profile(profile)
    frame = metrics_frame(root, experiment, profile)
    keep = frame.status.isin(["finished", "running", "unfinished", "failed"] if include_unfinished else ["finished"])
    selection = select_runs(root, experiment, profile)  # the configuration(s) the table shows
    if selection.identity is not None:
        keep &= frame.model.combine(frame.identity, selection.keeps).astype(bool)
    elif frame[keep].identity.nunique() > 1:
        raise ValueError(f"curves: runs of {frame[keep].identity.nunique()} configurations under "
                         f"{root / experiment / profile} and none is the profile's own; choose one with "
                         f"`python -m jobs collect {experiment} --set ...`")
    if not keep.any():
        have = sorted({p.relative_to(root).parts[0] for p in run_dirs(root, None, profile)})
        hint = f"experiments with runs of profile {profile!r}: {', '.join(have)}" if have else \
            f"train some with `python -m jobs run {experiment} --profile {profile}`"
        what = "run" if include_unfinished else "finished run (--include-unfinished plots runs still training)"
        raise ValueError(f"curves: no {what} under {root / experiment / profile}; {hint}")
    return frame[keep], frame[~keep]


# (panel, series, split): training solid with filled markers, validation dashed with hollow ones, in both panels
# (the legend says so; the markers tell them apart where there is no line, e.g. after one epoch).
PANELS = ((0, "train_loss", "training"), (0, "val_loss", "validation"), (1, "val_top1", "validation"))
STYLE = {"training": {"ls": "-"}, "validation": {"ls": "--", "mfc": "white"}}
HEIGHT = {1: 4.6, 2: 2.9}  # inches: one column stacks the two panels, two columns put them side by side


def plot(table, title: str, columns: int = 2):
    """Figure at ``columns`` paper columns (3.3 or 7 in wide): loss (train solid, validation dashed) and
    validation top-1 per epoch, one colour per model; integer epoch ticks; one legend under the panels
    (models with their seed counts, the two line styles, the band), off the data."""
    fig, axes = _render.figure(columns=columns, height=HEIGHT[columns], nrows=2 if columns == 1 else 1,
                               ncols=1 if columns == 1 else 2)
    loss_ax, acc_ax = axes
    colors = _render.pyplot().get_cmap("tab10")
    handles = []
    for i, (model, rows) in enumerate(table.groupby("model", sort=True)):
        c, x, n = colors(i % 10), rows.epoch, int(rows.n.max())
        ax_of = (loss_ax, acc_ax)
        for panel, series, split in PANELS:
            if f"{series}_mean" not in rows or rows[f"{series}_mean"].isna().all():
                continue
            ax_of[panel].plot(x, rows[f"{series}_mean"], color=c, marker="o", markersize=3, lw=1, **STYLE[split])
            if n > 1:
                ax_of[panel].fill_between(x, rows[f"{series}_min"], rows[f"{series}_max"], color=c, alpha=0.2,
                                          linewidth=0)
        handles.append(_line(color=c, label=f"{model} (n={n})"))
    handles += [_line(color="k", label=split, **style) for split, style in STYLE.items()]
    if int(table.n.max()) > 1:
        from matplotlib.patches import Patch
        handles.append(Patch(color="0.5", alpha=0.3, linewidth=0, label=BAND))
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    losses = table.filter(regex=r"^(train|val)_loss_").stack()
    # a first epoch far above the rest would flatten every later one
    if len(losses) and losses.min() > 0 and losses.max() / losses.min() > 10:
        loss_ax.set(yscale="log", ylabel="cross-entropy loss (log)")
        loss_ax.yaxis.set_major_formatter(_render.pyplot().FuncFormatter(lambda v, _: f"{v:g}"))
    acc_ax.set(xlabel="epoch", ylabel="top-1 (%)", title="validation top-1 accuracy")
    for ax in (loss_ax, acc_ax):
        _render.integer_ticks(ax)
    fig.legend(handles=handles, loc="outside lower center", ncols=2 if columns == 1 else 4)
    fig.suptitle(textwrap.fill(title, 55 if columns == 1 else 120))
    return fig


def _line(**kwargs):
    from matplotlib.lines import Line2D
    return Line2D([], [], marker="o", markersize=3, lw=1, **kwargs)


def summary_writer():
    """torch's SummaryWriter class, or RuntimeError saying that the tensorboard package is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise RuntimeError("--tensorboard needs the tensorboard package, which is not installed "
                           "(pip install tensorboard); the PNG/PDF/CSV curves need nothing more") from None
    return SummaryWriter


def write_tensorboard(frame, out_dir: Path) -> list[Path]:
    """One event directory per run under ``out_dir/tensorboard/<run id>/`` (torch's SummaryWriter)."""
    SummaryWriter = summary_writer()
    dirs = []
    for rid, rows in frame.groupby("run_id", sort=True):
        path = Path(out_dir) / "tensorboard" / rid
        with SummaryWriter(log_dir=str(path)) as writer:
            for row in rows.itertuples():
                for series in SERIES + ("lr",):
                    value = getattr(row, series, None)
                    if value is not None and value == value:  # skip NaN (a column other runs have)
                        writer.add_scalar(series, float(value), int(row.epoch))
        dirs.append(path)
    return dirs


def render(experiment: str, profile: str = "local", results_root=None, out_dir=None, *,
           include_unfinished: bool = False, tensorboard: bool = False) -> list[Path]:
    """Write the curves of ``experiment``/``profile``; returns the paths written."""
    if tensorboard:
        summary_writer()  # fail before writing anything
    frame, skipped = load(experiment, profile, results_root, include_unfinished=include_unfinished)
    out = Path(out_dir) if out_dir is not None else _render.OUT_DIR
    table = curve_table(frame)
    runs = frame.run_id.nunique()
    left_out = skipped.run_id.nunique()
    title = f"{experiment}, profile {profile}: {_render.plural(runs, 'run')}" + (
        f", {left_out} left out (not finished or another configuration)" if left_out else "")
    stem = out / f"curves_{experiment.replace('-', '_')}_{profile}"
    paths = []
    for columns in (2, 1):  # the two-column figure first: `collect_line` names it
        paths += _render.save_figure(plot(table, title, columns), _render.width_stem(stem, columns))
    csv_path = _render.tagged(stem.with_suffix(".csv"))
    _render.write_text(csv_path, table.to_csv(index=False))
    paths.append(csv_path)
    if tensorboard:
        paths += write_tensorboard(frame, out)
    return paths


def collect_line(experiment: str, profile: str, results_root=None, out_dir=None) -> str:
    """What ``jobs collect`` prints after the table: where the curves of the experiment's runs went, or why
    there are none (the table, not the curves, is what collect must produce)."""
    from . import RUNS_OF
    try:
        paths = render(RUNS_OF.get(experiment, experiment), profile, results_root, out_dir)
    except ValueError as e:
        return str(e)
    return f"curves: {paths[0]} (and .pdf, _1col.png/.pdf, .csv)"


EXAMPLES = """examples:
  python -m paper_tables curves fcnn-table2                      # results/fcnn-table2/local -> paper_tables/out
  python -m paper_tables curves fcnn-table7 --profile paper --results /scratch/me/results
  python -m paper_tables curves fcnn-table2 --include-unfinished --tensorboard
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paper_tables curves", description=__doc__.split("\n\n")[0],
                                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="experiment whose runs to plot (a directory under the results root)")
    parser.add_argument("--profile", choices=PROFILES, default="local", help="profile of the runs (default local)")
    parser.add_argument("--results", type=Path, help=RESULTS_HELP)
    parser.add_argument("--out", type=Path, default=_render.OUT_DIR,
                        help=f"output directory (default {_render.OUT_DIR})")
    parser.add_argument("--include-unfinished", action="store_true", help="also plot runs still training")
    parser.add_argument("--tensorboard", action="store_true", help="also write TensorBoard event files per run")
    args = parser.parse_args(argv)
    try:
        paths = render(args.experiment, args.profile, args.results, args.out,
                       include_unfinished=args.include_unfinished, tensorboard=args.tensorboard)
    except (ValueError, RuntimeError, FileNotFoundError) as e:
        parser.error(str(e))
    for path in paths:
        print(f"written {path}")
    return 0

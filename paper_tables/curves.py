"""Training curves: ``python -m paper_tables curves EXPERIMENT [--profile P] [--results DIR] [--out DIR]``.

Per model of ``results/<experiment>/<profile>/``: training and validation loss, and validation top-1
accuracy, per epoch. The line is the mean over the model's seeds, the band their min–max (with three
seeds a min–max band shows every run, where ±1 sd would pretend to a distribution); a model with one seed
is a line. Seeds stopped by a plateau schedule at different epochs are averaged over those that reached
the epoch (the CSV says how many). Built from :func:`suite.runs.metrics_frame`: the runs of the one
configuration the experiment's table shows (``suite.runs.select_runs``; ``jobs collect --set`` picks
another), only finished ones unless ``--include-unfinished`` (curves of runs still training). Writes
``curves_<experiment>_<profile>.png``/``.pdf`` and the plotted numbers as ``.csv``, all atomically.

``--tensorboard`` also writes one TensorBoard event directory per run (torch's ``SummaryWriter``) under
``<out>/tensorboard/<run id>/``; it needs the ``tensorboard`` package.
"""
from __future__ import annotations

import argparse
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


def plot(table, title: str):
    """Figure: loss (train solid, validation dashed) and validation top-1 per epoch, one colour per model."""
    plt = _render.pyplot()
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    colors = plt.get_cmap("tab10")
    for i, (model, rows) in enumerate(table.groupby("model", sort=True)):
        c, x, n = colors(i % 10), rows.epoch, int(rows.n.max())
        for ax, series, style in ((loss_ax, "train_loss", "-"), (loss_ax, "val_loss", "--"), (acc_ax, "val_top1", "-")):
            if f"{series}_mean" not in rows or rows[f"{series}_mean"].isna().all():
                continue
            label = f"{model} (n={n})" if series != "val_loss" else None
            ax.plot(x, rows[f"{series}_mean"], style, color=c, label=label, marker="o", markersize=3)
            if n > 1:
                ax.fill_between(x, rows[f"{series}_min"], rows[f"{series}_max"], color=c, alpha=0.2, linewidth=0)
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss (train —, validation - -)")
    losses = table.filter(regex=r"^(train|val)_loss_").stack()
    if len(losses) and losses.min() > 0 and losses.max() / losses.min() > 10:  # a first epoch far above the rest would flatten every later one
        loss_ax.set(yscale="log", ylabel="cross-entropy loss (log scale)")
        loss_ax.yaxis.set_major_formatter(_render.pyplot().FuncFormatter(lambda v, _: f"{v:g}"))
    acc_ax.set(xlabel="epoch", ylabel="validation top-1 (%)", title="validation top-1 accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    acc_ax.legend(fontsize=8, title=f"line: mean, band: {BAND}", title_fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


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
    title = f"{experiment}, profile {profile}: {runs} run(s)" + (
        f", {skipped.run_id.nunique()} left out (not finished or another configuration)" if len(skipped) else "")
    stem = out / f"curves_{experiment.replace('-', '_')}_{profile}"
    paths = _render.save_figure(plot(table, title), stem)
    _render.write_text(stem.with_suffix(".csv"), table.to_csv(index=False))
    paths.append(stem.with_suffix(".csv"))
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
    return f"curves: {paths[0]} (and .pdf, .csv)"


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
    parser.add_argument("--out", type=Path, default=_render.OUT_DIR, help=f"output directory (default {_render.OUT_DIR})")
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

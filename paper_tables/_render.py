"""Shared writers: one `Table` -> Markdown, CSV and LaTeX files; one figure -> PNG and PDF. Every file
goes through `suite.host.atomic_write_bytes`, so a reader never sees half of one.

Every generator in `paper_tables` builds `Table`s whose rows put the paper's value beside the computed
or measured one; `relative_difference` is the common (ours − paper) / paper.
"""
from __future__ import annotations

import contextlib
import contextvars
import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from suite.host import atomic_write_bytes

from . import _latex

OUT_DIR = Path(__file__).resolve().parent / "out"  # default output directory of every generator
# A configuration that is not the profile's own (``jobs collect --set``/``--sweep``) writes its files under names
# ending in ``_<tag>`` (its short identity), so they never overwrite the canonical configuration's.
FILE_TAG: contextvars.ContextVar[str] = contextvars.ContextVar("file_tag", default="")


@contextlib.contextmanager
def tagging(tag: str):
    """Within the block, every file `write`, `save_figure` and `tagged` name gets ``_<tag>`` (none: "")."""
    token = FILE_TAG.set(tag)
    try:
        yield
    finally:
        FILE_TAG.reset(token)


def tagged(path: Path) -> Path:
    """``path`` with the current `tagging` tag before its suffix: out/x.md -> out/x_<tag>.md."""
    path, tag = Path(path), FILE_TAG.get()
    return path.with_name(f"{path.stem}_{tag}{path.suffix}") if tag else path


@dataclass
class Table:
    """A titled table. `rows` hold plain values (str, int, float or None for "–"); `notes` are printed
    under the table (sources, conventions, why a number differs)."""

    name: str  # file stem, e.g. "fcnn_table2_complexity"
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self):
        if not self.name or any(ch in self.name for ch in "/\\ "):
            raise ValueError(f"name: expected a file stem without spaces or slashes, got {self.name!r}")

    def add(self, *values) -> None:
        if len(values) != len(self.columns):
            raise ValueError(f"row: expected {len(self.columns)} values ({', '.join(self.columns)}), got {len(values)}")
        self.rows.append(list(values))


def relative_difference(ours: float | None, paper: float | None) -> float | None:
    if ours is None or paper is None or paper == 0:
        return None
    return (ours - paper) / paper


def fmt(value, *, digits: int = 4) -> str:
    """Human format: ints with thousands separators, floats to `digits` significant digits (no exponent
    from 1e-3 to 1e4; larger floats as rounded ints with separators), None as –."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if abs(value) >= 10 ** (digits - 1):
            return f"{value:,.0f}"
        if value != 0 and abs(value) < 1e-3:
            return f"{value:.{digits - 1}e}"
        return f"{value:.{digits}g}"
    return str(value)


def percent(value: float | None) -> float | None:
    """A relative difference in percent, two decimals (numeric, for columns named "... (%)")."""
    return None if value is None else round(100 * value, 2)


def to_markdown(table: Table) -> str:
    head = "| " + " | ".join(table.columns) + " |"
    sep = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(fmt(v).replace("|", "\\|") for v in row) + " |" for row in table.rows]
    notes = [f"- {n}" for n in table.notes]
    return "\n".join([f"### {table.title}", "", head, sep, *body, *([""] + notes if notes else []), ""])


# The measured group `accuracy.measured_columns` writes: "<what> (measured, <profile>, mean)", "<what> sd",
# "<what> 95% CI low", "<what> 95% CI high"; the table's "n" column counts the runs behind every group.
MEASURED_MEAN = re.compile(r"^(?P<what>.+) \(measured, (?P<profile>[^)]+), mean\)$")
MEASURED_REST = ("sd", "95% CI low", "95% CI high")


def compact(table: Table) -> Table | None:
    """The table with each measured group folded into one column "<what> (measured, <profile>): mean ± half-width
    (n)" whose cells read e.g. ``61.20 ± 0.84 (5)`` (half-width of the 95 % t-interval; the mean alone below n = 2,
    – without runs); the "n" column goes into those cells. None when the table has no measured group."""
    cols = table.columns
    groups = {}  # index of the mean column -> indices of sd, lo, hi
    for i, name in enumerate(cols):
        m = MEASURED_MEAN.match(name)
        rest = [f"{m['what']} {r}" for r in MEASURED_REST] if m else []
        if m and cols[i + 1:i + 4] == rest:
            groups[i] = (i + 1, i + 2, i + 3)
    if not groups:
        return None
    n_col = cols.index("n") if "n" in cols else None
    drop = {j for js in groups.values() for j in js} | ({n_col} if n_col is not None else set())
    keep = [i for i in range(len(cols)) if i not in drop]
    out = Table(f"{table.name}_compact", table.title, [
        f"{MEASURED_MEAN.match(cols[i])['what']} (measured, {MEASURED_MEAN.match(cols[i])['profile']}): "
        "mean ± half-width (n)" if i in groups else cols[i] for i in keep], notes=list(table.notes))
    for row in table.rows:
        n = row[n_col] if n_col is not None else None
        out.add(*(_mean_pm(row[i], row[groups[i][1]], row[groups[i][2]], n) if i in groups else row[i] for i in keep))
    return out


def _mean_pm(mean, lo, hi, n) -> str | None:
    if mean is None:
        return None
    count = "" if n is None else f" ({n})"
    if lo is None or hi is None:
        return f"{mean:.2f}{count}"
    return f"{mean:.2f} ± {(hi - lo) / 2:.2f}{count}"


def to_csv(table: Table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if v is None else v for v in row])
    return buf.getvalue()


def to_latex(table: Table) -> str:
    """LaTeX that fits a page (booktabs, run names in the notes): see `paper_tables._latex`."""
    return _latex.to_latex(table, fmt)


def write_text(path: Path, text: str) -> None:
    atomic_write_bytes(Path(path), text.encode())


def write(table: Table, out_dir: Path, formats=(".md", ".csv", ".tex")) -> list[Path]:
    """Write `table` as <name>.md, <name>.csv and <name>.tex (or the given ``formats``) under out_dir, and, when
    it has measured columns, its `compact` form as <name>_compact.md and .tex; returns the paths."""
    out_dir = Path(out_dir)
    paths = []
    short = compact(table)
    for t, exts in ((table, formats), (short, [f for f in formats if f != ".csv"])):  # the CSV keeps every number
        for ext, render in ((".md", to_markdown), (".csv", to_csv), (".tex", to_latex)):
            if t is None or ext not in exts:
                continue
            path = tagged(out_dir / f"{t.name}{ext}")
            write_text(path, render(t))
            paths.append(path)
    return paths


# One plotting style for every figure, sized as printed: a one-column (3.3 in, 84 mm) or two-column (7 in, 178 mm)
# paper figure, so the font sizes below (>= 7 pt, `MIN_FONT`) are the sizes on paper. Generators write both widths.
ONE_COLUMN, TWO_COLUMN = 3.3, 7.0
COLUMNS = {1: ONE_COLUMN, 2: TWO_COLUMN}
MIN_FONT = 7
STYLE = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
         "legend.fontsize": 7, "legend.title_fontsize": 7, "figure.titlesize": 8, "legend.frameon": False,
         "lines.markersize": 4, "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5, "axes.spines.top": False,
         "axes.spines.right": False, "pdf.fonttype": 42, "ps.fonttype": 42}  # 42: TrueType text in the PDF


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend with `STYLE` (imported only by the generators
    that plot)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams.update(STYLE)
    return plt


def figure(*, columns: int = 2, height: float = 2.6, ncols: int = 1, nrows: int = 1):
    """(fig, axes) of a ``columns``-column paper figure ``height`` inches high; constrained layout keeps
    every label (and a legend placed "outside") inside the figure without changing its printed size."""
    if columns not in COLUMNS:
        raise ValueError(f"columns: expected 1 or 2, got {columns!r}")
    plt = pyplot()
    return plt.subplots(nrows, ncols, figsize=(COLUMNS[columns], height), layout="constrained")


def width_stem(stem: Path, columns: int) -> Path:
    """File stem of the ``columns``-column version: the two-column one keeps ``stem``, the one-column one
    gets ``_1col``."""
    return Path(stem) if columns == 2 else Path(stem).with_name(f"{Path(stem).name}_1col")


def integer_ticks(ax) -> None:
    """Integer x ticks (epochs): at most every integer, none between, also for a single epoch."""
    from matplotlib.ticker import MaxNLocator
    lo, hi = ax.get_xlim()
    if hi - lo < 1:  # one epoch: autoscaling would zoom to 0.96 .. 1.04 and tick fractions
        mid = round((lo + hi) / 2)
        ax.set_xlim(mid - 0.5, mid + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """'1 epoch', '2 epochs' (``plural_form`` where adding "s" is wrong)."""
    return f"{n} {noun if n == 1 else plural_form or noun + 's'}"


def save_figure(fig, stem: Path, *, dpi: int = 300) -> list[Path]:
    """Write ``fig`` as <stem>.png and <stem>.pdf (rendered in memory, then written atomically); close it."""
    paths = []
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=dpi)
        path = tagged(Path(stem).with_name(f"{Path(stem).name}.{ext}"))
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    pyplot().close(fig)
    return paths

"""Shared writers: one `Table` -> Markdown, CSV and LaTeX files; one figure -> PNG and PDF. Every file
goes through `suite.host.atomic_write_bytes`, so a reader never sees half of one.

Every generator in `paper_tables` builds `Table`s whose rows put the paper's value beside the computed
or measured one; `relative_difference` is the common (ours − paper) / paper.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

from suite.host import atomic_write_bytes

from . import _latex

OUT_DIR = Path(__file__).resolve().parent / "out"  # default output directory of every generator


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
    """Write `table` as <name>.md, <name>.csv and <name>.tex (or the given ``formats``) under out_dir;
    returns the paths."""
    out_dir = Path(out_dir)
    paths = []
    for ext, render in ((".md", to_markdown), (".csv", to_csv), (".tex", to_latex)):
        if ext not in formats:
            continue
        path = out_dir / f"{table.name}{ext}"
        write_text(path, render(table))
        paths.append(path)
    return paths


# One plotting style for every figure, sized as printed: a one-column (3.5 in, 89 mm) or two-column
# (7.2 in, 183 mm) paper figure, so the font sizes below (>= 7 pt) are the sizes on paper.
ONE_COLUMN, TWO_COLUMN = 3.5, 7.2
STYLE = {"font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7,
         "legend.fontsize": 7, "legend.frameon": False, "lines.markersize": 5, "axes.grid": True,
         "grid.alpha": 0.3, "grid.linewidth": 0.5, "axes.spines.top": False, "axes.spines.right": False,
         "pdf.fonttype": 42, "ps.fonttype": 42}  # 42: TrueType text in the PDF (selectable, editable)


def pyplot():
    """matplotlib.pyplot on the non-interactive Agg backend with `STYLE` (imported only by the generators
    that plot)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams.update(STYLE)
    return plt


def figure(*, columns: int = 2, height: float = 2.6, ncols: int = 1):
    """(fig, axes) of a ``columns``-column paper figure ``height`` inches high; constrained layout keeps
    every label inside the figure without changing its printed size."""
    if columns not in (1, 2):
        raise ValueError(f"columns: expected 1 or 2, got {columns!r}")
    plt = pyplot()
    return plt.subplots(1, ncols, figsize=(ONE_COLUMN if columns == 1 else TWO_COLUMN, height),
                        layout="constrained")


def save_figure(fig, stem: Path, *, dpi: int = 300) -> list[Path]:
    """Write ``fig`` as <stem>.png and <stem>.pdf (rendered in memory, then written atomically); close it."""
    paths = []
    for ext in ("png", "pdf"):
        buf = io.BytesIO()
        fig.savefig(buf, format=ext, dpi=dpi)
        path = Path(stem).with_name(f"{Path(stem).name}.{ext}")
        atomic_write_bytes(path, buf.getvalue())
        paths.append(path)
    pyplot().close(fig)
    return paths

"""A `Table` as a LaTeX table that fits a page: booktabs rules, numbers right-aligned, headers broken over
lines, long text columns wrapped, the whole tabular shrunk (never enlarged) to the line width, and the run
names moved from the columns into the notes under the table.

Needs ``\\usepackage{booktabs,array,graphicx}`` in the document (the first line of every .tex says so): all three
ship with every LaTeX distribution (Debian's texlive-latex-base and -recommended). A table wider than the column
is scaled down to it, never up (graphicx's ``\\resizebox`` with the natural width capped at ``\\linewidth``).
"""
from __future__ import annotations

import re

NOTE_COLUMNS = ("Source of measured",)  # columns of run names: listed under the table, not as a column
HEADER_WIDTH = 12                        # characters per header line
WRAP_TEXT = 24                           # a text column with a longer cell is wrapped in a p{} column
# characters of the tables that pdflatex does not take as they are
UNICODE = (("…", r"\ldots{}"),
           ("×", r"$\times$"), ("±", r"$\pm$"), ("−", r"$-$"), ("≈", r"$\approx$"), ("⁶", r"$^6$"), ("⁹", r"$^9$"),
           ("⁻", r"$^-$"), ("³", r"$^3$"), ("²", r"$^2$"))
NUMBER = re.compile(r"^[~≈+\-–−]?[\d,.]+(e[+-]?\d+)?%?( ± [\d,.]+)?( \(\d+\))?$|^–$")  # "(n)": `compact` cells


def escape(text: str) -> str:
    """``text`` as LaTeX: absolute paths shortened (`portable_paths`), special characters escaped."""
    text = portable_paths(text)
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"),
                 ("$", r"\$"), ("{", r"\{"), ("}", r"\}"), ("~", r"$\sim$"), ("^", r"\^{}"), *UNICODE):
        text = text.replace(a, b)
    return text


# An absolute path (a results root, a bad run's directory) names the machine that wrote the table, not the paper:
# the .tex keeps its last three components after an ellipsis ("…/fcnn-table2/local/fcnn-a_s0_1a2b").
ABSOLUTE_PATH = re.compile(r"(?<![\w.~)\]])(?:/[^\s/`'\"]+){2,}")


def portable_paths(text: str) -> str:
    return ABSOLUTE_PATH.sub(lambda m: "…/" + "/".join(m.group(0).split("/")[-3:]), text)


def markdown_to_latex(text: str) -> str:
    """A note's Markdown (`code`, **bold**) as escaped LaTeX."""
    parts = re.split(r"(`[^`]*`|\*\*[^*]*\*\*)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) > 1:
            out.append(rf"\texttt{{{escape(p[1:-1])}}}")
        elif p.startswith("**") and p.endswith("**") and len(p) > 3:
            out.append(rf"\textbf{{{escape(p[2:-2])}}}")
        else:
            out.append(escape(p))
    return "".join(out)


def header(name: str) -> str:
    """A column name broken into lines of about HEADER_WIDTH characters (a one-column nested tabular)."""
    lines, line = [], ""
    for word in name.split():
        if line and len(line) + 1 + len(word) > HEADER_WIDTH:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    if len(lines) == 1:
        return escape(name)
    return r"\begin{tabular}[b]{@{}c@{}}" + r"\\".join(escape(x) for x in lines) + r"\end{tabular}"


def column_spec(cells: list[str], first: bool) -> str:
    if not first and all(NUMBER.match(c) for c in cells):
        return "r"
    if not first and max((len(c) for c in cells), default=0) > WRAP_TEXT:
        return r">{\raggedright\arraybackslash}p{0.22\linewidth}"
    return "l"


# Scale the tabular down to the column when it is wider, keep its natural size otherwise.
SHRINK_TO_LINE = r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{%"


def to_latex(table, fmt) -> str:
    """``table`` (a `_render.Table`) as LaTeX; ``fmt`` formats a cell as in the Markdown."""
    keep = [i for i, c in enumerate(table.columns) if c not in NOTE_COLUMNS]
    cells = [[fmt(row[i]) for i in keep] for row in table.rows]
    specs = "".join(column_spec([r[j] for r in cells], j == 0) for j in range(len(keep)))
    lines = [r"% needs \usepackage{booktabs,array,graphicx}", r"\begin{table}[ht]", r"\centering", r"\small",
             rf"\caption{{{escape(table.title)}}}", SHRINK_TO_LINE,
             rf"\begin{{tabular}}{{{specs}}}", r"\toprule",
             " & ".join(header(table.columns[i]) for i in keep) + r" \\", r"\midrule"]
    lines += [" & ".join(escape(c) for c in row) + r" \\" for row in cells]
    lines += [r"\bottomrule", r"\end{tabular}}"]
    notes = [*_moved_columns(table, fmt), *(markdown_to_latex(n) for n in table.notes)]
    if notes:
        lines += [r"\par\smallskip\begin{minipage}{\linewidth}\footnotesize\raggedright"]
        lines += [n + r"\par" for n in notes] + [r"\end{minipage}"]
    return "\n".join(lines + [r"\end{table}", ""])


def _moved_columns(table, fmt) -> list[str]:
    """One note per moved column: '<column>: <row label>: <value>; ...' (rows keyed by the first column)."""
    out = []
    for i, name in enumerate(table.columns):
        if name in NOTE_COLUMNS and i > 0:
            items = [f"{escape(fmt(row[0]))}: {escape(fmt(row[i]))}" for row in table.rows]
            out.append(rf"\textit{{{escape(name)}}}: " + "; ".join(items) + ".")
    return out

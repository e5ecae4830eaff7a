"""LaTeX tables that fit a page: booktabs, numbers right-aligned, headers broken, run names in the notes."""
import os
import re
import shutil
import subprocess

import pytest

from paper_tables import _latex, _render, fcnn_accuracy
from tests.test_results import make_run


def tabular_rows(tex: str) -> tuple[str, list[str]]:
    spec = re.search(r"\\begin\{tabular\}\{(.*)\}\n\\toprule", tex).group(1)
    body = tex.split("\\toprule\n", 1)[1].split("\\bottomrule", 1)[0]
    return spec, [line for line in body.splitlines() if line.endswith(r"\\")]


def n_columns(spec: str) -> int:
    return len(re.findall(r"(?<![{\\])[lrc]|p\{", re.sub(r">\{[^}]*\}", "", spec)))


def test_latex_booktabs_and_run_names_in_the_notes():
    t = _render.Table("demo", "Demo 3×3", ["Model", "Method", "Top-1 % (measured, local, mean ± std)", "Mult. 10⁹",
                                           "Runs", "Source of measured"])
    t.add("A", "1 basis, kernel size = 5, double layers", "61.2 ± 0.4", 1.5, 2, "a_s0_x, a_s1_y")
    t.add("B", "baseline", None, 1_234_567, 0, "no finished run")
    t.notes.append("from `results/x` with **care** & 100%")
    tex = _latex.to_latex(t, _render.fmt)
    spec, rows = tabular_rows(tex)
    assert r"\hline" not in tex and r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert spec == r"l>{\raggedright\arraybackslash}p{0.22\linewidth}rrr"
    assert all(row.count(" & ") == n_columns(spec) - 1 == 4 for row in rows)  # header and both data rows
    assert "Source of measured" not in rows[0] and "a\\_s0\\_x" not in "".join(rows)
    assert r"\textit{Source of measured}: A: a\_s0\_x, a\_s1\_y; B: no finished run." in tex
    assert r"from \texttt{results/x} with \textbf{care} \& 100\%\par" in tex
    assert r"\begin{tabular}[b]{@{}c@{}}Top-1 \%\\(measured,\\local, mean\\$\pm$ std)\end{tabular}" in rows[0]
    assert r"Mult. 10$^9$" in rows[0] and r"Demo 3$\times$3" in tex and r"61.2 $\pm$ 0.4" in rows[1]
    assert not set(tex) - set(map(chr, range(32, 127))) - {"\n", "–"}  # pdflatex-safe characters only
    assert _latex.SHRINK_TO_LINE in tex  # shrinks a wide table, never enlarges one


def test_accuracy_table_tex_fits(tmp_path):
    for model, seed in (("fcnn-a", 0), ("fcnn-a", 1), ("fcnn-b", 0)):
        make_run(tmp_path, model=model, seed=seed)
    table = fcnn_accuracy.table("fcnn-table2", "local", tmp_path)
    tex = _latex.to_latex(table, _render.fmt)
    spec, rows = tabular_rows(tex)
    assert len(rows) == 1 + len(table.rows) and all(r.count(" & ") == n_columns(spec) - 1 for r in rows)
    assert n_columns(spec) == len(table.columns) - 1  # the run names left the columns ...
    names = sorted(d.name for d in (tmp_path / "fcnn-table2" / "local").iterdir())
    assert all(n.replace("_", r"\_") in tex.split(r"\bottomrule")[1] for n in names)  # ... for the notes
    header = re.sub(r"\\(begin|end)\{tabular\}(\[b\]\{@\{\}c@\{\}\})?", "", rows[0])
    lines = [x.strip().replace(r"\%", "%").replace(r"$\sim$", "~").replace(r"$\pm$", "±")
             for x in re.split(r"\\\\|&", header)]
    assert max(map(len, lines)) <= _latex.HEADER_WIDTH and len(lines) > len(table.columns)  # headers broken


def test_absolute_paths_leave_the_tex(tmp_path):
    """A .tex names no directory of the machine that wrote it: absolute paths keep their last three components."""
    t = _render.Table("demo", "Demo", ["Model", "Top-1"])
    t.add("A", 1.0)
    t.notes += [f"Measured in `{tmp_path}/results/fcnn-table2/local` (n/2, 1/4, a/b stay).",
                "Skipped bad run `/scratch/me/results/fcnn-table2/local/fcnn-a_s0_1a2b`: no summary"]
    tex = _latex.to_latex(t, _render.fmt)
    assert str(tmp_path) not in tex and "/scratch" not in tex and "/me/" not in tex
    assert r"\texttt{\ldots{}/results/fcnn-table2/local}" in tex and "n/2, 1/4, a/b stay" in tex
    assert r"\texttt{\ldots{}/fcnn-table2/local/fcnn-a\_s0\_1a2b}" in tex
    assert f"`{tmp_path}/results" in _render.to_markdown(t)  # the Markdown, read on the machine, keeps the path


def test_accuracy_tex_has_no_absolute_path(tmp_path):
    make_run(tmp_path, model="fcnn-a", seed=0)
    tex = _latex.to_latex(fcnn_accuracy.table("fcnn-table2", "local", tmp_path), _render.fmt)
    assert str(tmp_path) not in tex and not re.search(r"(?<![\w.~)\]])/(tmp|home|root|scratch)/", tex)


TWO_COLUMN = r"""\documentclass[twocolumn,10pt]{article}
\usepackage[T1]{fontenc}
\usepackage{booktabs,array,graphicx}
\begin{document}
\section{Results}
Two-column text around the tables, as in a conference paper.
%s
\end{document}
"""


@pytest.mark.skipif(not shutil.which("pdflatex") and os.environ.get("FCNN_REQUIRE_LATEX") != "1",
                    reason="no pdflatex (Debian: apt-get install texlive-latex-base texlive-latex-recommended)")
def test_tables_compile_in_a_two_column_paper(tmp_path):
    """The full and the compact .tex of a measured table compile in a two-column article without an overfull box."""
    assert shutil.which("pdflatex"), "FCNN_REQUIRE_LATEX=1 but pdflatex is not installed"
    for model, seed, top1 in (("fcnn-a", 0, 61.0), ("fcnn-a", 1, 62.5), ("fcnn-b", 0, 58.0), ("fcnn-b", 1, 59.0)):
        make_run(tmp_path / "results", model=model, seed=seed, top1=top1)
    table = fcnn_accuracy.table("fcnn-table2", "local", tmp_path / "results")
    short = _render.compact(table)
    assert short is not None, "a table with measured columns has a compact form"
    body = "\n".join(_latex.to_latex(t, _render.fmt) for t in (table, short))
    (tmp_path / "paper.tex").write_text(TWO_COLUMN % body, encoding="utf-8")
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    log = (tmp_path / "paper.log").read_text(errors="replace") if (tmp_path / "paper.log").exists() else proc.stdout
    assert proc.returncode == 0, f"pdflatex failed:\n{proc.stdout[-3000:]}"
    assert "Overfull \\hbox" not in log, [line for line in log.splitlines() if "Overfull" in line]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000

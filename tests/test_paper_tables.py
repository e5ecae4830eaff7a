"""paper_tables: the shared renderer, the one entry point, the complexity tables / Figure 5 written by
`make tables`, and the accuracy tables rendered from result logs."""
import csv
import math

import pytest

import paper_tables
from paper_tables import __main__ as cli
from paper_tables import _render, stats
from paper_tables import complexity as pt
from suite import complexity, models
from suite import paper_values as pv
from tests.test_results import corrupt_results, make_run


def test_render_markdown_csv_latex(tmp_path):
    t = _render.Table("demo", "Demo", ["Model", "Paper", "Ours", "Rel. diff."])
    t.add("a|b", 2.0, 2.5, _render.percent(_render.relative_difference(2.5, 2.0)))  # 25.0 (%)
    t.add("c", None, 1_234_567, None)
    t.notes.append("source: test")
    md = _render.to_markdown(t)
    assert "| a\\|b | 2 | 2.5 | 25 |" in md and "| c | – | 1,234,567 | – |" in md and "- source: test" in md
    paths = _render.write(t, tmp_path)
    assert (sorted(p.name for p in tmp_path.iterdir()) == ["demo.csv", "demo.md", "demo.tex"]
            == sorted(p.name for p in paths))
    rows = list(csv.reader(open(tmp_path / "demo.csv")))
    assert rows == [["Model", "Paper", "Ours", "Rel. diff."], ["a|b", "2.0", "2.5", "25.0"], ["c", "", "1234567", ""]]
    assert r"\begin{tabular}{lrrr}" in (tmp_path / "demo.tex").read_text()
    with pytest.raises(ValueError, match="expected 4 values"):
        t.add(1, 2)
    with pytest.raises(ValueError, match="file stem"):
        _render.Table("a b", "x", ["c"])


def test_writers_leave_no_temporary(tmp_path):
    _render.write_text(tmp_path / "x.txt", "hello")
    _render.write_text(tmp_path / "x.txt", "bye")
    plt = _render.pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    paths = _render.save_figure(fig, tmp_path / "fig")
    assert (sorted(p.name for p in tmp_path.iterdir()) == ["fig.pdf", "fig.png", "x.txt"]
            == sorted(["x.txt"] + [p.name for p in paths]))
    assert (tmp_path / "x.txt").read_text() == "bye" and (tmp_path / "fig.pdf").read_bytes()[:5] == b"%PDF-"


def test_alg1_convention_counts_model_a_at_stage_resolution():
    cx = complexity.count(models.build("fcnn-a"))
    stages = ((36, 128), (18, 256), (6, 512))
    exact_pairs = sum(((s - 1) ** 2 + s * s) * 4 * n * n for s, n in stages)
    full_pairs = sum(2 * s * s * 4 * n * n for s, n in stages)
    assert pt.alg1_convention(cx) == cx.multiplications - exact_pairs + full_pairs
    b = complexity.count(models.build("fcnn-b"))
    assert pt.alg1_convention(b) == b.multiplications  # 'same'-padded model: nothing to rescale


def test_figure5_data_formula():
    vol = math.prod(pv.HOCP_FIGURE5_INPUT)
    for row in pt.figure5_data():
        c, t = row["in_channels"], row["out_channels"]
        assert row["3D-Conv"] == pytest.approx(2 * vol * 27 * c * t / 1e9, rel=1e-12)
        for r in pv.HOCP_FIGURE5_RANKS:
            assert row[f"CP-HOConv-{r}"] == pytest.approx(2 * vol * r * c * (c + 9 + t) / 1e9, rel=1e-12)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("tables")
    assert cli.main(["--out", str(out), "--only", "complexity"]) == 0
    return out


def _csv(out, name):
    with open(out / f"{name}.csv") as f:
        return {row[0]: row for row in csv.DictReader(f) for row in [list(row.values())]}


def test_make_tables_writes_everything(generated):
    names = ["models_overview", "fcnn_table1_output_sizes", "fcnn_table3_grids", "fcnn_table2_complexity",
             "fcnn_table4_complexity", "fcnn_table5_complexity", "fcnn_table7_complexity",
             "fcnn_stated_counts", "hocp_table1_parameters", "hocp_table2_conv_parameters", "hocp_figure5_gflops"]
    for name in names:
        for ext in ("md", "csv", "tex"):
            assert (generated / f"{name}.{ext}").stat().st_size > 0
    for ext in ("png", "pdf"):
        assert (generated / f"hocp_figure5_gflops.{ext}").stat().st_size > 10_000
    assert (generated / "hocp_figure5_gflops.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "### FCNN Table 2" in (generated / "complexity.md").read_text()


def test_fcnn_ratio_columns(generated):
    t2 = _csv(generated, "fcnn_table2_complexity")
    assert float(t2["fcnn-b"][4]) == 2.25  # 9/4 under the paper's counting, exactly
    assert (t2["fcnn-b"][2:4], t2["fcnn-d"][2:4]) == (["2.25", "False"], ["0.5", "True"])  # "~0.5": numeric + flag
    t4 = _csv(generated, "fcnn_table4_complexity")
    assert float(t4["fcnn-g"][4]) == 0.5 and float(t4["fcnn-i"][4]) == 0.5
    assert abs(float(t4["fcnn-h"][4]) - 0.47) < 0.005
    t5 = _csv(generated, "fcnn_table5_complexity")
    assert float(t5["fcnn-j"][4]) == 0.5


def test_hocp_columns(generated):
    t1 = _csv(generated, "hocp_table1_parameters")
    assert (int(t1["MobileNet-v2 (mobilenetv2-cifar)"][3])
            == complexity.count(models.build("mobilenetv2-cifar")).parameters)
    t2 = _csv(generated, "hocp_table2_conv_parameters")
    assert int(t2["3D-ConvNet (convnet3d)"][3]) == 2_880_576


def test_update_readme_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{cli.README_START}\nold\n{cli.README_END}\noutro\n")
    cli.update_readme(readme, "## Complexity tables\n\n### T\n\n| a |\n")
    assert readme.read_text() == f"intro\n{cli.README_START}\n#### T\n\n| a |\n{cli.README_END}\noutro\n"
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="marker"):
        cli.update_readme(readme, "x")


def test_models_overview_lists_every_model(generated):
    rows = _csv(generated, "models_overview")
    assert set(rows) == set(models.names())
    assert rows["fcnn-l"][2] == "3×221×221" and float(rows["fcnn-l"][4]) == 469.27


def test_table1_sizes_and_table3_grids_match_the_paper(generated):
    for stage, row in _csv(generated, "fcnn_table1_output_sizes").items():
        assert len(set(row[1:])) == 1, f"{stage}: every model should output the paper's size, got {row}"
    for stage, row in _csv(generated, "fcnn_table3_grids").items():
        assert row[2] == row[3] and row[4] == row[5], row


def test_stated_counts_quote_the_paper_values(generated):
    rows = _csv(generated, "fcnn_stated_counts")
    a = next(r for k, r in rows.items() if k.startswith("Model A: "))
    assert f'"{pv.FCNN_MODEL_A_MULT.quote}"' in a[0] and float(a[1]) == pv.FCNN_MODEL_A_MULT.value
    assert a[0] == 'Model A: "550 million multiplications for each image" (Section 3)'  # the paper's words
    overview = _csv(generated, "models_overview")
    assert overview["fcnn-l"][7] == "470M mult., 2.8M params (FCNN Tables 6, 7)"
    assert overview["mobilenetv2-cifar"][7] == "2.30M params (HO-CP Table 1)"


def test_model_descriptions_read_the_paper_values():
    for name, row in {**pv.FCNN_TABLE5, **pv.FCNN_TABLE2}.items():  # Table 5 calls model A just "Baseline"
        assert models.build(name, width=0.25, num_classes=10).description == row.method
    assert models.build("fcnn-l", width=0.25, num_classes=10).description == pv.FCNN_TABLE7["fcnn-l"].label
    assert '"2,30" M parameters' in models.get_model_builder("mobilenetv2-cifar").__doc__
    assert "470M multiplications" in models.get_model_builder("fcnn-l").__doc__
    assert "{" not in models.get_model_builder("convnet3d").__doc__


def test_paper_values_doc_rejects_an_unknown_field():
    def f():
        """{NO_SUCH_TABLE[x].y}"""
    with pytest.raises(KeyError, match="NO_SUCH_TABLE"):
        pv.doc(f)


def test_fcnn_row_prints_the_complexity_as_the_paper():
    assert [r.complexity_printed for r in pv.FCNN_TABLE2.values()] == ["1", "2.25", "~1", "~0.5", "~0.5", "~0.5"]
    assert pv.HOCP_TABLE1["hosconv-cifar"].params_printed == "2,29"


def test_suite_never_imports_paper_tables():
    import pathlib
    root = pathlib.Path(pv.__file__).parent
    offenders = [str(p) for p in root.rglob("*.py") if "paper_tables" in "".join(
        line for line in p.read_text().splitlines(True) if line.lstrip().startswith(("import ", "from ")))]
    assert not offenders


# ------------------------------------------------------------------ accuracy tables from result logs
def test_one_entry_point_renders_one_experiment(tmp_path, capsys):
    make_run(tmp_path / "results", model="fcnn-a", top1=41.0)
    args = ["--results", str(tmp_path / "results"), "--out", str(tmp_path / "out")]
    assert cli.main(["fcnn-table2", "--profile", "local", *args]) == 0
    out = capsys.readouterr().out
    assert out.startswith("### FCNN Table 2") and "| 41 |" in out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        [f"fcnn_table2_local.{e}" for e in ("csv", "md", "tex")]
        + [f"fcnn_table2_local_compact.{e}" for e in ("md", "tex")]
        + [f"fcnn_table2_local_claims.{e}" for e in ("csv", "md")])
    assert "### Claims of fcnn-table2 and their verdicts (profile local)" in out
    with pytest.raises(SystemExit):
        cli.main(["fcnn-table9", *args])
    assert "invalid choice: 'fcnn-table9'" in capsys.readouterr().err


def test_only_accuracy_renders_every_experiment_and_profile_with_runs(tmp_path, capsys):
    make_run(tmp_path / "results", model="fcnn-a", profile="paper", top1=58.0)
    args = ["--results", str(tmp_path / "results"), "--out", str(tmp_path / "out")]
    assert cli.main(["--only", "fcnn-table2", "fcnn-table5", *args]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"fcnn-table2 [{p}]: written under {tmp_path / 'out'}" for p in ("paper", "local")] + [
        f"fcnn-table5 [local]: written under {tmp_path / 'out'}"]
    assert set(cli.GROUPS["accuracy"]) == set(paper_tables.GENERATORS) - {"complexity", "claims"}
    assert paper_tables.profiles_with_runs("fcnn-figure2", tmp_path / "results") == ["local"]
    make_run(tmp_path / "results", experiment="fcnn-table7", model="fcnn-l", profile="paper")
    assert paper_tables.profiles_with_runs("fcnn-figure2", tmp_path / "results") == ["paper", "local"]


def test_table2_renders_from_good_runs_and_names_bad_ones(tmp_path):
    good, bad = corrupt_results(tmp_path / "results")
    make_run(tmp_path / "results", profile="paper", model="fcnn-a", top1=99.0)
    md = paper_tables.render("fcnn-table2", "local", tmp_path / "results", tmp_path / "out")
    row_a = next(line for line in md.splitlines() if line.startswith("| A |"))
    s = stats.summarize([40.0, 50.0])  # the two good seeds, not 99 (paper profile)
    cells = "| " + " | ".join(_render.fmt(round(v, 2)) for v in (s.mean, s.sd, s.lo, s.hi)) + " | 2 |"
    assert cells in row_a, row_a
    for d in good:
        assert d.name in row_a
    for d in bad:
        assert f"Skipped bad run `{d}`" in md
    assert "profile **local**" in md and "1 run of profile 'paper' exists and was not used" in md
    row_b = next(line for line in md.splitlines() if line.startswith("| B |"))
    assert "| – | – | – | – | 0 |" in row_b and "| 62.1 |" in row_b  # no good run: measured empty, paper kept
    assert cells in (tmp_path / "out" / "fcnn_table2_local.md").read_text()
    rows = _csv(tmp_path / "out", "fcnn_table2_local")
    assert [float(x) for x in rows["A"][3:8]] == [45.0, round(s.sd, 2), round(s.lo, 2), round(s.hi, 2), 2]
    with pytest.raises(ValueError, match="valid profiles: paper, local"):
        paper_tables.render("fcnn-table2", "laptop", tmp_path / "results", tmp_path / "out")
    with pytest.raises(ValueError, match="valid experiments: claims, complexity, fcnn-figure2"):
        paper_tables.render("fcnn-table9", "local", tmp_path / "results", tmp_path / "out")


@pytest.mark.slow  # counts the paper-size 3-D networks (~1 min on 2 cores)
def test_hocp_table2_averages_seeds(tmp_path):
    """HO-CP: "we report average performance over 3 runs": mean ± sample std of the finished seeds."""
    for seed, top1 in enumerate([60.0, 70.0, 80.0]):
        make_run(tmp_path / "results", experiment="hocp-table2", model="hocp-convnet", seed=seed, top1=top1)
    md = paper_tables.render("hocp-table2", "local", tmp_path / "results", tmp_path / "out")
    row = _csv(tmp_path / "out", "hocp_table2_local")["HO-CP ConvNet (Ours)"]
    s = stats.summarize([60.0, 70.0, 80.0])
    assert row[3] == "83.8" and [float(x) for x in row[4:8]] == [70.0, 10.0, round(s.lo, 2), round(s.hi, 2)]
    assert row[13] == "3" and round(s.hi - 70, 2) == 24.84  # t(0.975, 2) = 4.303: 4.303 · 10 / √3
    assert "stand in for 20BN-Jester" in md


@pytest.mark.slow  # counts the paper-size reference networks (~1 min on 2 cores)
def test_figure2_writes_png_and_pdf_with_measured_points(tmp_path):
    make_run(tmp_path / "results", experiment="fcnn-table7", model="fcnn-l", top1=91.0, num_classes=10,
             model_overrides={"in_channels": 1, "input_size": [1, 64, 64], "width": 0.25})
    md = paper_tables.render("fcnn-figure2", "local", tmp_path / "results", tmp_path / "out")
    for ext in ("png", "pdf"):
        assert (tmp_path / "out" / f"fcnn_figure2_local.{ext}").stat().st_size > 1000
    row = next(line for line in md.splitlines() if line.startswith("| Our Model L |"))
    assert "| 91 |" in row and "| 70.11 |" in row


# Figure 2's points as `fcnn_figure2.points` returns them (our counts as computed at the paper input), without
# counting the paper-size networks again.
FIG2_PAPER = [("Our Model L", 0.47, 70.11, 0.469), ("AlexNet", 0.725, 57.1, 0.714), ("GoogleNet", 1.6, 68.7, 1.498),
              ("ResNet-18", 1.8, 69.57, 1.814)]


def _fig2_measured():
    from types import SimpleNamespace
    run = SimpleNamespace(config={"num_classes": 10, "dataset": "digits"})
    tops = {"Our Model L": [91.0, 92.5, 90.1], "AlexNet": [85.0, 88.0, 80.0], "GoogleNet": [93.0, 94.0, 93.5],
            "ResNet-18": [95.0, 95.5, 94.1]}
    mult = {"Our Model L": 0.021, "AlexNet": 0.0906, "GoogleNet": 0.1158, "ResNet-18": 0.1416}
    return [(label, mult[label], stats.summarize(tops[label]), run) for label in tops]


@pytest.mark.parametrize("columns", [1, 2])
def test_figure2_is_readable_at_one_and_two_columns(columns):
    from paper_tables import fcnn_figure2 as f2
    from tests._figures import assert_printable, drawn, tick_labels_overlap
    fig = f2.draw("local", FIG2_PAPER, _fig2_measured(), columns)
    assert_printable(fig, columns)
    paper_ax, measured_ax = fig.axes
    renderer = drawn(fig)
    for ax in fig.axes:
        assert ax.get_xscale() == "linear" and not tick_labels_overlap(ax, renderer)  # the scale of the paper panel
    ours = [line for line in paper_ax.lines if line.get_marker() == "s"]
    theirs = [line for line in paper_ax.lines if line.get_marker() == "o"]
    assert len(ours) == len(theirs) == 4
    assert all(o.get_zorder() > t.get_zorder() and o.get_markersize() > t.get_markersize() and o.get_markerfacecolor()
               == "none" for o, t in zip(ours, theirs))  # our hollow squares drawn over, around the paper's dots
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Our Model L (n=3)" in labels and "chance (10 %)" in labels
    f2._render.pyplot().close(fig)


@pytest.mark.parametrize("columns", [1, 2])
def test_figure2_without_runs_has_no_empty_panel(columns):
    from paper_tables import fcnn_figure2 as f2
    from tests._figures import assert_printable
    fig = f2.draw("paper", FIG2_PAPER, [], columns)
    assert_printable(fig, columns)
    assert len(fig.axes) == 1 and "no measured panel" in fig.legends[0].get_title().get_text()
    f2._render.pyplot().close(fig)


@pytest.mark.parametrize("columns", [1, 2])
def test_figure5_prints_at_one_and_two_columns(columns):
    from tests._figures import assert_printable
    data = pt.figure5_data()
    fig = pt.figure5_figure(data, ["3D-Conv", *(f"CP-HOConv-{r}" for r in pv.HOCP_FIGURE5_RANKS)], columns)
    assert_printable(fig, columns)
    _render.pyplot().close(fig)


def test_compact_table_is_mean_pm_half_width_n(tmp_path):
    for seed, top1 in enumerate([60.0, 70.0, 80.0]):
        make_run(tmp_path / "results", experiment="hocp-table2", model="hocp-convnet", seed=seed, top1=top1)
    make_run(tmp_path / "results", experiment="hocp-table2", model="convnet3d", seed=0, top1=55.0)
    paper_tables.render("hocp-table2", "local", tmp_path / "results", tmp_path / "out")
    md = (tmp_path / "out" / "hocp_table2_local_compact.md").read_text()
    tex = (tmp_path / "out" / "hocp_table2_local_compact.tex").read_text()
    assert not (tmp_path / "out" / "hocp_table2_local_compact.csv").exists()  # the CSV keeps every number
    head = next(line for line in md.splitlines() if line.startswith("| Network"))
    with open(tmp_path / "out" / "hocp_table2_local.csv") as f:
        columns = next(csv.reader(f))
    assert head.count("|") - 1 == len(columns) - 2 * 3 - 1  # sd, CI low, CI high of two groups and n folded
    assert "Top-1 % (measured, local): mean ± half-width (n)" in head and "| n |" not in head
    s = stats.summarize([60.0, 70.0, 80.0])
    row = next(line for line in md.splitlines() if line.startswith("| HO-CP ConvNet (Ours)"))
    assert f"| 70.00 ± {s.half_width:.2f} (3) |" in row and "| 55.00 (1) |" in md  # no interval below n = 2
    assert r"70.00 $\pm$ 24.84 (3)" in tex
    from tests.test_latex import tabular_rows
    spec, rows = tabular_rows(tex)
    assert spec.count("r") >= 4  # the folded cells are numbers: right-aligned
    assert str(tmp_path) not in tex and "/tmp" not in tex  # no absolute path in a .tex


def test_describe_says_1_epoch():
    from paper_tables.accuracy import describe
    assert "at most 1 epoch." in describe({"dataset": "digits", "recipe": {"epochs": 1}})
    assert "at most 3 epochs." in describe({"dataset": "digits", "recipe": {"epochs": 3}})
    assert [_render.plural(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]

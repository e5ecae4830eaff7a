"""paper_tables: the shared renderer and the complexity tables / Figure 5 written by `make tables`."""
import csv
import math

import pytest

from paper_tables import __main__ as cli
from paper_tables import _render
from paper_tables import complexity as pt
from suite import complexity, models


def test_render_markdown_csv_latex(tmp_path):
    t = _render.Table("demo", "Demo", ["Model", "Paper", "Ours", "Rel. diff."])
    t.add("a|b", 2.0, 2.5, _render.percent(_render.relative_difference(2.5, 2.0)))
    t.add("c", None, 1_234_567, None)
    t.notes.append("source: test")
    md = _render.to_markdown(t)
    assert "| a\\|b | 2 | 2.5 | +25.00% |" in md and "| c | – | 1,234,567 | – |" in md and "- source: test" in md
    paths = _render.write(t, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.csv", "demo.md", "demo.tex"] == sorted(p.name for p in paths)
    rows = list(csv.reader(open(tmp_path / "demo.csv")))
    assert rows == [["Model", "Paper", "Ours", "Rel. diff."], ["a|b", "2.0", "2.5", "+25.00%"], ["c", "", "1234567", ""]]
    assert r"\begin{tabular}{llll}" in (tmp_path / "demo.tex").read_text()
    with pytest.raises(ValueError, match="expected 4 values"):
        t.add(1, 2)
    with pytest.raises(ValueError, match="file stem"):
        _render.Table("a b", "x", ["c"])


def test_atomic_write_leaves_no_temporary(tmp_path):
    _render.atomic_write(tmp_path / "x.txt", "hello")
    _render.atomic_write(tmp_path / "x.txt", b"bye")
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"] and (tmp_path / "x.txt").read_text() == "bye"


def test_alg1_convention_counts_model_a_at_stage_resolution():
    cx = complexity.count(models.build("fcnn-a"))
    stages = ((36, 128), (18, 256), (6, 512))
    exact_pairs = sum(((s - 1) ** 2 + s * s) * 4 * n * n for s, n in stages)
    full_pairs = sum(2 * s * s * 4 * n * n for s, n in stages)
    assert pt.alg1_convention(cx) == cx.multiplications - exact_pairs + full_pairs
    b = complexity.count(models.build("fcnn-b"))
    assert pt.alg1_convention(b) == b.multiplications  # 'same'-padded model: nothing to rescale


def test_figure5_data_formula():
    vol = math.prod(pt.FIGURE5_INPUT)
    for row in pt.figure5_data():
        c, t = row["in_channels"], row["out_channels"]
        assert row["3D-Conv"] == pytest.approx(2 * vol * 27 * c * t / 1e9, rel=1e-12)
        for r in pt.FIGURE5_RANKS:
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
    names = ["models_overview", "fcnn_table1_output_sizes", "fcnn_table3_grids", "fcnn_table2_complexity", "fcnn_table4_complexity", "fcnn_table5_complexity", "fcnn_table7_complexity",
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
    assert float(t2["fcnn-b"][3]) == 2.25  # 9/4 under the paper's counting, exactly
    t4 = _csv(generated, "fcnn_table4_complexity")
    assert float(t4["fcnn-g"][3]) == 0.5 and float(t4["fcnn-i"][3]) == 0.5
    assert abs(float(t4["fcnn-h"][3]) - 0.47) < 0.005
    t5 = _csv(generated, "fcnn_table5_complexity")
    assert float(t5["fcnn-j"][3]) == 0.5


def test_hocp_columns(generated):
    t1 = _csv(generated, "hocp_table1_parameters")
    assert int(t1["MobileNet-v2 (mobilenetv2-cifar)"][3]) == complexity.count(models.build("mobilenetv2-cifar")).parameters
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

"""`python -m paper_tables curves`: training curves from tiny real runs, seeds as a min–max band."""
import importlib.util
import json
import shutil
import statistics

import pytest

from paper_tables import curves
from paper_tables.__main__ import main
from suite import runs
from tests._figures import assert_printable, visible_xticks
from tests._runs import EPOCHS, MODELS, SEEDS


def test_curves_cli_writes_png_pdf_and_the_plotted_numbers(tiny_results, tmp_path, capsys):
    root, dirs = tiny_results
    assert main(["curves", "tiny", "--results", str(root), "--out", str(tmp_path)]) == 0
    stem = tmp_path / "curves_tiny_local"
    out = capsys.readouterr().out
    assert f"written {stem}.png" in out and f"written {stem}_1col.png" in out and f"written {stem}_1col.pdf" in out
    assert (stem.with_suffix(".png")).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (stem.with_suffix(".pdf")).read_bytes()[:5] == b"%PDF-"
    assert not list(tmp_path.glob(".*.tmp"))  # written through the atomic writer
    import pandas as pd
    table = pd.read_csv(stem.with_suffix(".csv"))
    assert len(table) == len(MODELS) * EPOCHS and set(table.n) == {len(SEEDS)}
    for d in dirs:  # recompute every plotted mean / band edge from the metrics.jsonl files themselves
        model = json.loads((d / runs.CONFIG).read_text())["model"]
        logs = [[json.loads(line) for line in (e / runs.METRICS).read_text().splitlines()]
                for e in dirs if json.loads((e / runs.CONFIG).read_text())["model"] == model]
        for epoch in range(1, EPOCHS + 1):
            row = table[(table.model == model) & (table.epoch == epoch)].iloc[0]
            for series in ("train_loss", "val_loss", "val_top1"):
                values = [log[epoch - 1][series] for log in logs]
                assert row[f"{series}_mean"] == pytest.approx(statistics.fmean(values))
                assert (row[f"{series}_min"], row[f"{series}_max"]) == pytest.approx((min(values), max(values)))


def test_curves_figure_draws_a_line_and_a_band_per_series_and_model(tiny_results):
    root, _ = tiny_results
    frame, _ = curves.load("tiny", "local", root)
    fig = curves.plot(curves.curve_table(frame), "t")
    loss_ax, acc_ax = fig.axes
    assert len(loss_ax.lines) == 2 * len(MODELS) and len(acc_ax.lines) == len(MODELS)
    assert len(loss_ax.collections) == 2 * len(MODELS) and len(acc_ax.collections) == len(MODELS)  # seed bands
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [f"{m} (n={len(SEEDS)})" for m in MODELS] + [
        "training", "validation", curves.BAND]  # the splits are told apart in the legend, not by a title
    val = [line for line in loss_ax.lines if line.get_linestyle() == "--"]
    assert len(val) == len(MODELS) and all(line.get_markerfacecolor() == "white" for line in val)
    assert all(line.get_linestyle() == "--" for line in acc_ax.lines)  # validation top-1
    curves._render.pyplot().close(fig)


@pytest.mark.parametrize("columns", [1, 2])
@pytest.mark.parametrize("epochs", [1, EPOCHS])
def test_curves_figure_prints_at_one_and_two_columns(tiny_results, columns, epochs):
    """3.3 or 7 in wide, fonts >= 7 pt, nothing clipped, legend off the data, integer epoch ticks (one epoch too)."""
    root, _ = tiny_results
    frame, _ = curves.load("tiny", "local", root)
    frame = frame[frame.epoch <= epochs]
    fig = curves.plot(curves.curve_table(frame), "tiny, profile local: 4 runs, 1 left out (not finished or another "
                      "configuration)", columns)
    assert_printable(fig, columns)
    for ax in fig.axes:
        ticks = visible_xticks(ax)
        assert ticks and all(float(x).is_integer() for x in ticks) and set(range(1, epochs + 1)) <= set(ticks)
        assert ax.get_xlabel() == "epoch"
    curves._render.pyplot().close(fig)


def test_curves_leave_out_unfinished_runs_unless_asked(tiny_results, tmp_path):
    src, dirs = tiny_results
    root = tmp_path / "results"
    shutil.copytree(src, root)
    (root / dirs[0].relative_to(src) / runs.SUMMARY).unlink()
    finished, skipped = curves.load("tiny", "local", root)
    assert finished.run_id.nunique() == len(dirs) - 1 and skipped.run_id.nunique() == 1
    everything, _ = curves.load("tiny", "local", root, include_unfinished=True)
    assert everything.run_id.nunique() == len(dirs)


def test_curves_errors_name_what_is_missing(tiny_results, tmp_path, capsys):
    root, _ = tiny_results
    with pytest.raises(SystemExit) as e:
        main(["curves", "fcnn-table9", "--results", str(root), "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert e.value.code == 2 and "unknown experiment 'fcnn-table9'" in err and "did you mean 'fcnn-table" in err
    assert f"(with runs under {root}: tiny)" in err
    with pytest.raises(SystemExit) as e:
        main(["curves", "fcnn-table2", "--results", str(root), "--out", str(tmp_path)])  # known, no runs
    err = capsys.readouterr().err
    assert e.value.code == 2 and "no finished run" in err and "fcnn-table2/local" in err
    assert "with runs of profile 'local': tiny" in err
    with pytest.raises(SystemExit):
        main(["curves", "tiny", "--profile", "cluster"])
    assert "invalid choice: 'cluster'" in capsys.readouterr().err


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is not None, reason="tensorboard is installed")
def test_tensorboard_without_the_package_is_a_clear_error_before_writing(tiny_results, tmp_path, capsys):
    root, _ = tiny_results
    with pytest.raises(SystemExit):
        main(["curves", "tiny", "--results", str(root), "--out", str(tmp_path), "--tensorboard"])
    assert "needs the tensorboard package" in capsys.readouterr().err and not list(tmp_path.iterdir())


def test_tensorboard_event_files_per_run(tiny_results, tmp_path):
    pytest.importorskip("tensorboard")
    root, dirs = tiny_results
    paths = curves.render("tiny", "local", root, tmp_path, tensorboard=True)
    for d in dirs:
        assert list((tmp_path / "tensorboard" / "tiny" / "local" / d.name).glob("events.out.tfevents.*"))
    assert len(paths) == 5 + len(dirs)  # PNG and PDF at two widths, CSV, one event directory per run


def test_jobs_collect_writes_the_curves_of_the_configuration_it_renders(tmp_path, capsys):
    import pandas as pd

    from jobs import runner
    from jobs.cli import main as jobs_main
    from tests.test_jobs import SMOKE, fake_run
    root, out = tmp_path / "results", tmp_path / "out"
    for seed, top1 in ((0, 94.5), (1, 90.5)):
        fake_run(runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], seeds=[seed])[0], top1)
    fake_run(runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], overrides=SMOKE)[0], 11.6)
    csv = out / "curves_fcnn_table2_local.csv"
    assert jobs_main(["collect", "fcnn-table2", "--results", str(root), "--out", str(out)]) == 0
    assert f"curves: {out / 'curves_fcnn_table2_local.png'}" in capsys.readouterr().err
    assert (out / "curves_fcnn_table2_local.pdf").is_file() and (out / "fcnn_table2_local.md").is_file()
    row = pd.read_csv(csv).iloc[0]  # the profile's two seeds, never the smoke run
    assert (row.n, row.val_top1_mean, row.val_top1_min, row.val_top1_max) == (2, 92.5, 90.5, 94.5)
    set_args = [a for k, v in SMOKE for a in ("--set", f"{k}={v}")]
    assert jobs_main(["collect", "fcnn-table2", "--results", str(root), "--out", str(out), *set_args]) == 0
    assert tuple(pd.read_csv(csv).iloc[0][["n", "val_top1_mean"]]) == (2, 92.5)  # the canonical file stays ...
    other, = out.glob("curves_fcnn_table2_local_*.csv")  # ... the other configuration's carries its identity
    row = pd.read_csv(other).iloc[0]
    assert (row.n, row.val_top1_mean) == (1, 11.6)
    assert jobs_main(["collect", "hocp-table1", "--results", str(root), "--out", str(out)]) == 0
    assert "curves: no finished run" in capsys.readouterr().err  # the table is still written

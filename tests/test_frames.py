"""suite.runs.runs_frame / metrics_frame from tiny real runs; the live training log those runs wrote."""
import datetime
import json
import shutil

import pytest

from suite import runs
from suite.runs import trainlog
from tests._runs import EPOCHS, MODELS, SEEDS, tiny_run


def test_runs_frame_one_row_per_run(tiny_results):
    root, dirs = tiny_results
    frame = runs.runs_frame(root)
    assert len(frame) == len(MODELS) * len(SEEDS) and set(frame.status) == {"finished"}
    assert list(frame.columns[:9]) == ["run_id", "experiment", "profile", "model", "seed", "identity", "status",
                                       "reason", "path"]
    assert frame.identity.nunique() == 1  # model and seed are not part of a configuration's identity
    for d in dirs:
        row = frame.set_index("path").loc[str(d)]
        summary = json.loads((d / runs.SUMMARY).read_text())
        assert row.run_id == f"tiny/local/{d.name}" and row.model == summary["model"] and row.seed == summary["seed"]
        assert row.identity == runs.identity_key(json.loads((d / runs.CONFIG).read_text()))
        assert row.top1 == summary["top1"] and row.top5 == summary["top5"] and row.epochs == EPOCHS
        assert row["config.recipe.lr"] == 0.05 and row["config.dataset"] == "digits"
        assert row["env.device"] == "cpu" and "env.packages.torch" in frame.columns
    means = frame.groupby("model").top1.mean()  # what a table does with it
    assert sorted(means.index) == sorted(MODELS)


def test_metrics_frame_one_row_per_epoch(tiny_results):
    root, dirs = tiny_results
    frame = runs.metrics_frame(root, "tiny", "local")
    assert len(frame) == len(dirs) * EPOCHS
    for d in dirs:
        logged = [json.loads(line) for line in (d / runs.METRICS).read_text().splitlines()]
        rows = frame[frame.path == str(d)]
        assert list(rows.epoch) == [1, 2] and list(rows.val_top1) == [m["val_top1"] for m in logged]
        assert list(rows.train_loss) == [m["train_loss"] for m in logged]
        # metrics.jsonl lines carry the run id and a UTC timestamp
        assert {m["run_id"] for m in logged} == set(rows.run_id) == {f"tiny/local/{d.name}"}
        times = [datetime.datetime.strptime(m["time"], "%Y-%m-%dT%H:%M:%S.%fZ") for m in logged]
        assert times == sorted(times)


def test_frames_filter_and_mark_unfinished_and_bad_runs(tiny_results, tmp_path):
    src, dirs = tiny_results
    root = tmp_path / "results"
    shutil.copytree(src, root)
    unfinished, bad = (root / d.relative_to(src) for d in dirs[:2])
    (unfinished / runs.SUMMARY).unlink()  # killed before the end: epochs logged, no summary
    (bad / runs.CONFIG).write_text('{"experiment": "tiny", "pro')  # truncated
    shutil.copytree(root / "tiny", root / "other")  # another experiment: filtered out by name
    frame = runs.runs_frame(root, "tiny", "local")
    status = dict(zip(frame.path, frame.status))
    assert status[str(unfinished)] == "unfinished" and status[str(bad)] == "bad"
    assert list(frame.status).count("finished") == len(dirs) - 2
    row = frame.set_index("path").loc[str(bad)]
    assert "not valid JSON" in row.reason and row.experiment == "tiny" and row.run_id == f"tiny/local/{bad.name}"
    assert frame.set_index("path").loc[str(unfinished)].reason.startswith("unfinished")
    assert len(runs.runs_frame(root)) == 2 * len(frame)
    m = runs.metrics_frame(root, "tiny", "local")
    assert set(m[m.path == str(unfinished)].status) == {"unfinished"} and len(m[m.path == str(unfinished)]) == EPOCHS
    assert str(bad) not in set(m.path)
    assert len(m[m.status == "finished"]) == (len(dirs) - 2) * EPOCHS
    assert runs.runs_frame(root, "tiny", "paper").empty
    assert "run_id" in runs.metrics_frame(root, "tiny", "paper").columns
    with pytest.raises(ValueError, match="unknown experiment 'none'; expected one of: .*tiny"):  # never an empty frame
        runs.metrics_frame(root, "none")
    assert "run_id" in runs.metrics_frame(root, "fcnn-table2").columns  # a registered experiment without runs: empty


def test_frames_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        runs.runs_frame(tmp_path / "nowhere")


def test_frames_name_an_unknown_experiment_or_profile(tmp_path):
    """A misspelt experiment is an error with a "did you mean", never an empty frame (issue 27)."""
    (tmp_path / "tiny" / "local").mkdir(parents=True)
    with pytest.raises(ValueError, match=r"unknown experiment 'fcnn-tabel2'; expected one of: .*fcnn-table2.*tiny "
                                         r"\(with runs under .*: tiny\); did you mean 'fcnn-table2'\?"):
        runs.runs_frame(tmp_path, "fcnn-tabel2", "local")
    with pytest.raises(ValueError, match="did you mean 'tiny'"):
        runs.metrics_frame(tmp_path, "tinny")
    with pytest.raises(ValueError, match="unknown profile 'laptop'; expected one of: local, paper"):
        runs.runs_frame(tmp_path, "tiny", "laptop")


def test_live_log_line_per_epoch_on_console_and_in_train_log(tmp_path, capsys):
    run_dir, _ = tiny_run(tmp_path, "tiny-a", 3)
    console = [line for line in capsys.readouterr().out.splitlines() if "| epoch " in line]
    logged = (run_dir / trainlog.TRAIN_LOG).read_text().splitlines()
    assert "started, at most 2 epochs" in logged[0]
    assert [line.split(" ", 1)[1] for line in logged[1:]] == console and len(console) == EPOCHS
    metrics = runs.read_metrics(run_dir / runs.METRICS)
    for line, m in zip(console, metrics):
        assert line.startswith(f"tiny/local/{run_dir.name} | epoch {m['epoch']}/2 | lr {m['lr']:.3e} | ")
        assert f"train loss {m['train_loss']:.4f}" in line and f"top-1 {m['val_top1']:.2f}%" in line
        assert f"top-5 {m['val_top5']:.2f}%" in line and " ETA " in line
    assert console[-1].endswith("ETA 0:00:00")


def test_eta_is_mean_epoch_time_times_epochs_left():
    assert trainlog.eta_seconds(30.0, 3, 10) == pytest.approx(70.0)
    assert trainlog.eta_seconds(0.0, 0, 10) == 0.0 and trainlog.eta_seconds(5.0, 10, 10) == 0.0
    assert trainlog.hms(3725.4) == "1:02:05"
    row = {"epoch": 2, "lr": 0.1, "train_loss": 0.5, "val_top1": 80.0, "val_top5": 99.0, "seconds": 12.34}
    line = trainlog.epoch_line("e/p/r", row, epochs_total=10, elapsed=24.0)
    assert line == ("e/p/r | epoch  2/10 | lr 1.000e-01 | train loss 0.5000 | val top-1 80.00% top-5 99.00% | "
                    "12.3s | ETA 0:01:36")

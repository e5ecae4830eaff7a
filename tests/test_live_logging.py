"""Live curves (suite.livelog, ``jobs run --log``): each epoch's metrics reach the backend while the run trains,
through every executor's launch options (never the run's identity), from rank 0 only under DDP; a backend that
is unknown or not installed is a one-line error before any run starts."""
import json

import pytest

from jobs import cli, distributed, executors, runner
from suite import experiments, livelog, runs, train
from tests._runs import shrink_fcnn_table2, tiny_run


def _scalars(tb_dir, tag: str) -> dict:
    """step -> value of ``tag`` in the event files under ``tb_dir``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(str(tb_dir))
    acc.Reload()
    return {e.step: e.value for e in acc.Scalars(tag)} if tag in acc.Tags()["scalars"] else {}


def test_tensorboard_gets_each_epoch_while_the_run_trains(tmp_path, monkeypatch):
    pytest.importorskip("tensorboard")
    seen = []  # what the event files held when each later epoch started

    def hook(epoch, step):
        if step == 0 and epoch > 0:
            (tb_dir,) = tmp_path.rglob(livelog.TB_DIR)
            seen.append(sorted(_scalars(tb_dir, "val_top1")))
    import tests._runs as tr
    monkeypatch.setattr(tr.train, "train", _with(train.train, hook=hook, log=("tensorboard",)))
    run_dir, _ = tiny_run(tmp_path, "tiny-a", 0, epochs=3)
    assert seen == [[1], [1, 2]], "epoch e's metrics were in TensorBoard before epoch e + 1 started"
    metrics = runs.read_metrics(run_dir / runs.METRICS)
    logged = _scalars(run_dir / livelog.TB_DIR, "val_top1")
    assert logged == pytest.approx({m["epoch"]: m["val_top1"] for m in metrics})  # the numbers of metrics.jsonl
    assert set(_scalars(run_dir / livelog.TB_DIR, "train_loss")) == {1, 2, 3}
    assert runs.classify(run_dir).state == runs.FINISHED  # tb/ beside the run's files does not make it bad


def _with(fn, **extra):
    def call(*args, **kwargs):
        return fn(*args, **{**kwargs, **extra})
    return call


def test_a_backend_logs_each_row_before_the_run_is_finished(tmp_path, monkeypatch):
    """Through the logger interface: each row arrives while the run is not finished yet, as metrics.jsonl has it."""
    rows = []

    class Probe:
        def __init__(self, run_dir, config):
            self.run_dir = run_dir

        def epoch(self, row):
            assert not (self.run_dir / runs.SUMMARY).exists()  # live, not after the run
            assert runs.read_metrics(self.run_dir / runs.METRICS)[-1] == row
            rows.append(row["epoch"])

        def close(self):
            rows.append("closed")
    monkeypatch.setitem(livelog.BACKENDS, "probe", ("json", "pip install nothing"))
    monkeypatch.setitem(livelog.LOGGERS, "probe", Probe)
    import tests._runs as tr
    monkeypatch.setattr(tr.train, "train", _with(train.train, log=("probe",)))
    tiny_run(tmp_path, "tiny-b", 1, epochs=2)
    assert rows == [1, 2, "closed"]


@pytest.mark.parametrize("name", ["inprocess", "debug", "pool", "local"])
def test_every_executor_passes_log_as_a_launch_option_not_in_the_identity(name, tmp_path):
    tasks = runner.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a"], seeds=[0])
    ex = executors.get(name, folder=tmp_path / "sub", options={"workers": 1, "progress": False,
                                                               "log": ("tensorboard",)})
    try:
        handles = [h for _, h in ex.submit(dict, tasks)]  # dict(**kwargs): what the run's call receives
        ex.wait([(t, h) for t, h in zip(tasks, handles)], lambda t, h: None)
        got = handles[0].result()
    finally:
        ex.close()
    assert got["log"] == ("tensorboard",) and got["model"] == "fcnn-a"
    assert "log" not in tasks[0].kwargs()  # the Task (the run's identity) has no log
    assert "tensorboard" not in json.dumps(runner.run_config(experiments.get("fcnn-table2"), "fcnn-a", 0, "local"))


def test_slurm_executor_carries_log(monkeypatch, tmp_path):
    """The slurm factory builds its executor with the same launch options (no sbatch needed to check it)."""
    import submitit
    monkeypatch.setattr(executors.shutil, "which", lambda _: "/usr/bin/sbatch")
    monkeypatch.setattr(submitit, "AutoExecutor", lambda **kw: type("Fake", (), {"update_parameters":
                                                                                lambda self, **k: None})())
    ex = executors.get("slurm", folder=tmp_path, options={"log": ("tensorboard",)})
    assert ex.launch == {"log": ("tensorboard",)}


@pytest.fixture
def tiny_experiment(monkeypatch):
    shrink_fcnn_table2(monkeypatch, ("fcnn-a",))


@pytest.mark.parametrize("rank, expected", [(0, ("tensorboard",)), (1, ())])
def test_only_rank_zero_logs_under_ddp(rank, expected, tmp_path, monkeypatch, tiny_experiment):
    import torch
    got = {}
    monkeypatch.setattr(distributed, "init", lambda device_type: distributed.Ranks(
        rank, 2, rank, "gloo", torch.device("cpu"), tmp_path / "scratch"))
    monkeypatch.setattr(distributed, "prepare", lambda net, data, recipe, out, ranks: (net, data, recipe, out))
    monkeypatch.setattr(distributed, "finish", lambda: None)
    monkeypatch.setattr(train, "train", lambda *a, **kw: got.update(kw) or {})
    runner.run_one("fcnn-table2", "fcnn-a", 0, "local", str(tmp_path), progress=False, log=("tensorboard",))
    assert got["log"] == expected


def test_cli_run_logs_live_curves_into_the_run_directory(tmp_path, capsys, tiny_experiment):
    pytest.importorskip("tensorboard")
    root = tmp_path / "results"
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--executor", "inprocess",
                     "--log", "tensorboard"]) == 0
    (found,), _ = runs.scan(root, "fcnn-table2", "local")
    assert _scalars(found.path / livelog.TB_DIR, "val_top1") == pytest.approx({1: found.metrics[0]["val_top1"]})
    task = runner.tasks_for("fcnn-table2", "local", root)[0]  # the run's directory does not depend on --log
    assert runner.run_dir(task) == found.path and "log" not in found.config


@pytest.mark.parametrize("argv, message", [
    (["--log", "wandb"], "--log wandb: needs the wandb package, which is not installed; install it with "
                         "`pip install wandb`"),
    (["--log", "tensorbord"], "--log tensorbord: unknown backend; expected one or more (comma-separated) of: "
                              "tensorboard, wandb"),
])
def test_an_absent_or_unknown_backend_is_one_line_before_any_run(argv, message, tmp_path, capsys, monkeypatch):
    real = livelog.find_spec
    monkeypatch.setattr(livelog, "find_spec", lambda name: None if name == "wandb" else real(name))  # not installed
    assert cli.main(["run", "fcnn-table2", "--results", str(tmp_path), "--executor", "inprocess", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}") and err.count("\n") == 1, err
    assert not (tmp_path / "fcnn-table2").exists()

"""[4/6] The cluster side of ``jobs`` that needs no SLURM: resource and time parsing, ``--set``
overrides, and submitit's ``local``/``debug`` executors through the same submit/status path as
``slurm`` (job records, states, a failed job's traceback)."""
from __future__ import annotations

import json
import re

import pytest

from jobs import cli, executors, experiments, runner

TINY = ["--set", "train_limit=96", "--set", "val_limit=32", "--set", "recipe.epochs=1", "--set", "model.width=0.125"]


@pytest.mark.parametrize("text, minutes", [("90", 90), ("30:00", 30), ("0:30", 1), ("2:00:00", 120),
                                           ("1-0", 1440), ("1-12:30", 2190), ("2-1:2:3", 2943)])
def test_parse_time_reads_slurm_time_formats(text, minutes):
    assert executors.parse_time(text) == minutes


@pytest.mark.parametrize("text", ["", "abc", "1:2:3:4", "0", "-5", "1-2:3:4:5"])
def test_parse_time_rejects_bad_limits(text):
    with pytest.raises(ValueError, match="time"):
        executors.parse_time(text)


def test_slurm_parameters_from_profile_and_command_line():
    paper = experiments.get("fcnn-table2").setting("paper").resources
    p = executors.slurm_parameters({**paper, "partition": "gpu", "account": "proj", "constraint": "a100"}, "t2")
    assert p["gpus_per_node"] == paper["gpus_per_node"] and p["timeout_min"] == paper["timeout_min"]
    assert (p["slurm_partition"], p["slurm_account"], p["slurm_constraint"]) == ("gpu", "proj", "a100")
    assert p["name"] == "t2" and any("PYTHONPATH" in line for line in p["slurm_setup"])
    # a command-line override beats the profile
    assert executors.slurm_parameters({**paper, "timeout_min": 5}, "t2")["timeout_min"] == 5


@pytest.mark.parametrize("resources, message", [({"gpu": 1}, "unknown keys"), ({"nodes": 0}, "nodes"),
                                                ({"cpus_per_task": "4"}, "cpus_per_task")])
def test_slurm_parameters_reject_bad_resources(resources, message):
    with pytest.raises(ValueError, match=message):
        executors.slurm_parameters(resources, "x")


def test_slurm_executor_without_sbatch_says_how_to_get_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ValueError, match="sbatch is not on PATH.*slurm-cluster.sh up"):
        executors.get("slurm", folder=tmp_path, resources={}, options={})


def test_overrides_change_the_config_and_are_recorded(tmp_path):
    exp = experiments.get("fcnn-table2")
    over = (("recipe.epochs", 1), ("train_limit", 96), ("model.width", 0.125))
    base = runner.run_config(exp, "fcnn-a", 0, "local")
    config = runner.run_config(exp, "fcnn-a", 0, "local", over)
    assert config["recipe"]["epochs"] == 1 and config["train_limit"] == 96
    assert config["model_overrides"]["width"] == 0.125 and config["overrides"] == dict(over)
    assert "overrides" not in base
    a, = runner.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a"])
    b, = runner.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a"], overrides=over)
    assert runner.run_dir(a) != runner.run_dir(b), "an overridden run never resumes the profile's run"


@pytest.mark.parametrize("text, message", [("epochs", "key=value"), ("recipe.epoch=1", "unknown recipe field"),
                                           ("lr=0.1", "recipe.<field>")])
def test_bad_overrides_name_what_is_valid(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        runner.apply_overrides(experiments.get("fcnn-table2").setting("local"), [runner.parse_override(text)])


@pytest.mark.parametrize("executor", ["local", "debug"])
def test_submitit_executors_run_and_report_through_the_same_path(executor, tmp_path, capsys):
    """Runs through submitit's local/debug executors: the results directory of a good run, job
    records, and ``status`` with each job's state and (local) a failed job's traceback."""
    assert cli.main(["run", "fcnn-table2", "--executor", executor, "--models", "fcnn-a", "--results", str(tmp_path),
                     "--no-progress", *TINY]) == 0
    if executor == "local":  # (the debug executor opens pdb on a failure: it is for interactive debugging)
        assert cli.main(["run", "fcnn-table2", "--executor", executor, "--models", "fcnn-b", "--results",
                         str(tmp_path), "--no-progress", *TINY, "--set", "model.width=-1"]) == 1
    recs = cli.read_jobs(tmp_path, experiments.get("fcnn-table2"), "local")
    assert {r["executor"] for r in recs.values()} == {executor}
    good = [d for d in (tmp_path / "fcnn-table2" / "local").iterdir() if d.name.startswith("fcnn-a_s0_")]
    assert len(good) == 1 and json.loads((good[0] / "summary.json").read_text())["epochs"] == 1
    capsys.readouterr()
    assert cli.main(["status", "fcnn-table2", "--profile", "local", "--results", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    if executor == "local":  # a local job is a process with its own result file, like a SLURM job
        assert re.search(r"fcnn-a +seed 0: finished: .* job local:\d+ COMPLETED", out), out
        assert re.search(r"fcnn-b +seed 0: not started +job local:\d+ FAILED", out), out
        assert "ValueError: width: expected a positive float" in out, out
    else:  # debug runs in this process: the run's state comes from its directory
        assert re.search(r"fcnn-a +seed 0: finished: .* job debug:DEBUG_\d+\n", out), out

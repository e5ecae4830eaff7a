"""jobs: experiment definitions, profiles, ``--set`` overrides, executors (with the cluster side
that needs no SLURM: resource and time parsing, submitit's ``local``/``debug`` executors through
the same submit/status path as ``slurm``), job records and the CLI (run / status / collect / list).
The SLURM integration tests against a real cluster are in test_slurm.py."""
import json
import re
from dataclasses import replace

import pytest

import jobs
from jobs import cli, executors, experiments, records, runner
from suite import results
from suite.train import Recipe


# ------------------------------------------------------------------------------------------- definitions
def test_every_table_and_figure_has_an_experiment():
    assert set(experiments.names()) == {"fcnn-table2", "fcnn-table4", "fcnn-table5", "fcnn-table7", "fcnn-figure2",
                                        "hocp-table1", "hocp-table2"}
    assert experiments.get("fcnn-table2").models == tuple(f"fcnn-{c}" for c in "abcdef")
    assert experiments.get("fcnn-figure2").results_key == "fcnn-table7"  # Figure 2 plots Table 7's runs


def test_paper_profile_is_the_papers_recipe():
    t2 = experiments.get("fcnn-table2").setting("paper")
    assert t2.dataset == "imagenet" and t2.model_overrides["input_size"] == (3, 221, 221)
    r = t2.recipe
    assert (r.lr, r.momentum, r.batch_size, r.schedule, r.gamma, r.min_lr) == (0.1, 0.9, 96, "plateau", 0.1, 1e-6)
    assert experiments.get("fcnn-table4").setting("paper").dataset == "imagenet-150"
    t7 = experiments.get("fcnn-table7").setting("paper").recipe
    assert (t7.batch_size, t7.schedule, t7.step_epochs, t7.epochs) == (256, "step", 30, 100)
    j = experiments.get("hocp-table2").setting("paper")
    assert j.dataset == "jester" and j.recipe.batch_size == 32 and j.data_options == {"frames": 18, "size": 84}
    assert len(j.seeds) == 3 and len(experiments.get("hocp-table1").setting("paper").seeds) == 3
    assert experiments.get("hocp-table1").setting("paper").dataset == "cifar10"


def test_every_local_setting_builds_its_models():
    from suite import data, models
    known = set(models.names())
    for exp in experiments.EXPERIMENTS.values():
        s = exp.setting("local")
        assert s.dataset in data.names()
        missing = [m for m in exp.models if m not in known]
        if missing:  # registered by suite.models as the models land; the rest is still checked
            print(f"{exp.name}: not registered yet: {missing}")
        num_classes = 40 if s.dataset == "moving-digits" else 10
        for m in exp.models:
            if m in known:
                net = models.build(m, num_classes=num_classes, **s.model_overrides)
                assert tuple(net.input_size) == tuple(s.model_overrides["input_size"])


def test_unknown_names_list_the_valid_ones(capsys):
    assert cli.main(["run", "fcnn-table9"]) == 2
    assert "valid experiments: fcnn-figure2, fcnn-table2" in capsys.readouterr().err
    assert cli.main(["run", "fcnn-table2", "--profile", "laptop"]) == 2
    assert "valid profiles: paper, local" in capsys.readouterr().err
    assert cli.main(["run", "fcnn-table2", "--executor", "cloud"]) == 2
    assert "valid executors: debug, inprocess, local, pool" in capsys.readouterr().err
    assert cli.main(["run", "fcnn-table2", "--models", "fcnn-z"]) == 2
    assert "its models: fcnn-a, fcnn-b" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown model 'fcnn-z'"):
        runner.build_model("fcnn-z", num_classes=10, overrides={})


def test_paper_profile_without_data_says_what_is_needed(tmp_path, capsys):
    assert cli.main(["run", "fcnn-table2", "--profile", "paper", "--models", "fcnn-a", "--results",
                     str(tmp_path), "--no-progress", "--executor", "inprocess"]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "needs a data directory" in err


# ------------------------------------------------------------------------------------------- running
@pytest.fixture
def tiny_experiment(monkeypatch):
    """fcnn-table2 shrunk to 2 models, 120 digits, 1 epoch: the real pipeline at test size."""
    exp = experiments.get("fcnn-table2")
    local = replace(exp.setting("local"), train_limit=120, val_limit=60,
                    recipe=Recipe(lr=0.05, batch_size=40, epochs=1, eval_batch_size=60),
                    model_overrides={"in_channels": 1, "width": 0.125, "input_size": (1, 77, 77)})
    tiny = replace(exp, models=("fcnn-a", "fcnn-e"), settings={**exp.settings, "local": local})
    monkeypatch.setitem(experiments.EXPERIMENTS, "fcnn-table2", tiny)
    return tiny


def test_debug_executor_runs_through_submitit(tmp_path, capsys, tiny_experiment):
    root = tmp_path / "results"
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--executor", "debug",
                     "--models", "fcnn-e"]) == 0
    assert "1/1 run(s) finished" in capsys.readouterr().out
    runs, bad = results.scan(root, "fcnn-table2", "local")
    assert [r.summary["model"] for r in runs] == ["fcnn-e"] and not bad
    assert list((root / "_submitit" / "fcnn-table2" / "local").iterdir())  # submitit's own job folder


def test_run_status_collect(tmp_path, capsys, tiny_experiment):
    root = tmp_path / "results"
    executor = "inprocess"
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--executor", executor]) == 0
    out = capsys.readouterr().out
    assert "2/2 run(s) finished" in out
    runs, bad = results.scan(root, "fcnn-table2", "local")
    assert sorted(r.summary["model"] for r in runs) == ["fcnn-a", "fcnn-e"] and not bad
    run = runs[0]
    assert run.config["recipe"]["epochs"] == 1 and run.config["model_overrides"]["width"] == 0.125
    env = json.loads((run.path / results.ENV).read_text())
    assert "MNIST digits train" in env["data"]["train"] and env["data"]["num_classes"] == 10
    assert cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"]) == 0
    status = capsys.readouterr().out
    assert status.count("finished: top-1") == 2 and f"job {executor}:" in status
    assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(tmp_path / "out")]) == 0
    table = capsys.readouterr().out
    from paper_tables._render import fmt
    for r in runs:
        assert r.name in table and f"| {fmt(r.summary['top1'])} |" in table


def test_status_reports_unfinished_runs(tmp_path, capsys, tiny_experiment):
    root = tmp_path / "results"
    task = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"])[0]
    d = runner.run_dir(task)
    results.start_run(d, runner.run_config(tiny_experiment, "fcnn-a", 0, "local"))
    results.write_metrics(d, [{"epoch": 1, "train_loss": 1.0, "val_top1": 10.0, "val_top5": 50.0, "lr": 0.1}])
    cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"])
    out = capsys.readouterr().out
    assert "fcnn-a             seed 0: unfinished: 1 epoch(s) done" in out
    assert "fcnn-e             seed 0: not started" in out


def test_pool_executor_runs_tasks_in_worker_processes(tmp_path):
    ex = executors.get("pool", folder=tmp_path, options={"workers": 2})
    tasks = jobs.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a", "fcnn-b"])
    handles = [h for _, h in ex.submit(dict, tasks)]  # dict(**kwargs) is a picklable stand-in for run_one
    out = [h.result() for h in handles]
    assert [o["model"] for o in out] == ["fcnn-a", "fcnn-b"] and all(o["progress"] is False for o in out)
    assert all(h.done() and h.state == "COMPLETED" for h in handles)


def test_run_one_is_checkpointable_for_submitit():
    import pickle

    import submitit
    assert isinstance(jobs.run_one, submitit.helpers.Checkpointable)
    again = pickle.loads(pickle.dumps(jobs.run_one))
    delayed = again.checkpoint("fcnn-table2", "fcnn-a", 0, "local", "/tmp/r")
    assert isinstance(delayed, submitit.helpers.DelayedSubmission)


# ------------------------------------------------------------------------------ cluster executors, overrides
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
    recs = records.read_jobs(tmp_path, experiments.get("fcnn-table2"), "local")
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

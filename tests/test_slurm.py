"""SLURM integration tests, against real daemons (slurmctld, slurmd, slurmdbd) — no mocks.

Bring a single-node cluster up with ``scripts/slurm-cluster.sh up`` (root; installs the Debian
packages). Without a cluster these tests are skipped with the reason; with ``FCNN_REQUIRE_SLURM=1``
(set by ``.ci/run``) a missing cluster is an error instead, so CI cannot pass by skipping them.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time

import pytest

pytestmark = [pytest.mark.slurm, pytest.mark.usefixtures("slurm_cluster")]

USABLE_NODE_STATES = {"idle", "mix", "mixed", "alloc", "allocated", "comp", "completing"}


def cluster_problem() -> str | None:
    """Why no SLURM cluster can take jobs here, or None if one can."""
    if shutil.which("sinfo") is None or shutil.which("sacct") is None:
        return "no SLURM client (sinfo/sacct) on PATH; start a test cluster with: sudo scripts/slurm-cluster.sh up"
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True, timeout=15)
    except subprocess.TimeoutExpired:
        return "sinfo timed out: slurmctld is not answering"
    if out.returncode != 0:
        return f"sinfo failed ({out.stderr.strip() or out.returncode}): slurmctld is not running"
    states = {s.rstrip("*~#!%$@^-") for s in out.stdout.split()}
    if not states & USABLE_NODE_STATES:
        return f"no SLURM node can take jobs (node states: {sorted(states) or 'none'})"
    return None


@pytest.fixture(scope="session")
def slurm_cluster():
    problem = cluster_problem()
    if problem is not None:
        if os.environ.get("FCNN_REQUIRE_SLURM") == "1":
            pytest.fail(f"FCNN_REQUIRE_SLURM=1 but {problem}", pytrace=False)
        pytest.skip(problem)


def final_states(jobs, timeout_s: float = 30.0) -> list[str]:
    """The jobs' states as sacct reports them, once none is still pending/running (or at the timeout)."""
    deadline = time.monotonic() + timeout_s
    while True:
        jobs[0].watcher.update()
        states = [j.state for j in jobs]
        if not {"UNKNOWN", "PENDING", "RUNNING", "REQUEUED", "COMPLETING"} & set(states) or time.monotonic() > deadline:
            return states
        time.sleep(0.5)


def test_submitit_job_array_runs_on_the_cluster(tmp_path):
    """submitit's AutoExecutor picks SLURM, map_array submits one array, each task sees its own index."""
    import submitit
    ex = submitit.AutoExecutor(folder=tmp_path / "%j")
    assert ex.cluster == "slurm"
    ex.update_parameters(timeout_min=5, cpus_per_task=1, mem_gb=1)
    jobs = ex.map_array(os.getenv, ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_JOB_ID"])
    array_id = jobs[0].job_id.split("_")[0]
    assert [j.job_id for j in jobs] == [f"{array_id}_0", f"{array_id}_1"]
    assert [j.result() for j in jobs] == ["0", array_id]
    # slurmctld reports to slurmdbd asynchronously; once it has, sacct gives submitit the final state
    assert final_states(jobs) == ["COMPLETED", "COMPLETED"]


# ------------------------------------------------------------------------------ the suite's jobs on SLURM
# Tiny runs of the real local profile (FCNN Table 2's shipped digits): a few hundred images, a narrow
# model, few epochs. Every job is a real sbatch array task run by slurmd.
TINY = ["--seeds", "0", "--set", "train_limit=192", "--set", "val_limit=64", "--set", "recipe.epochs=2",
        "--set", "model.width=0.125"]


def run_cli(*argv) -> int:
    from jobs import cli
    return cli.main([str(a) for a in argv])


def records(root, exp="fcnn-table2", profile="local") -> dict:
    from jobs.records import read_jobs
    from suite import experiments
    return read_jobs(root, experiments.get(exp), profile)


def run_dirs(root, exp="fcnn-table2", profile="local") -> dict:
    d = root / exp / profile
    return {p.name.split("_s")[0]: p for p in sorted(d.iterdir()) if p.is_dir()}


def metrics(run_dir) -> list[dict]:
    """Per-epoch metrics without the wall-clock fields (epoch seconds and the UTC time of the line)."""
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k not in ("seconds", "time")} for line in lines]


def summary(run_dir) -> dict:
    s = json.loads((run_dir / "summary.json").read_text())
    return {k: v for k, v in s.items() if k not in ("train_seconds", "finished_at", "files")}  # digests: env differs


def test_local_profile_array_ends_with_results_dirs(tmp_path, capsys):
    assert run_cli("run", "fcnn-table2", "--executor", "slurm", "--models", "fcnn-a,fcnn-b", "--results", tmp_path,
                   "--no-progress", *TINY) == 0
    recs = records(tmp_path)
    ids = sorted(r["job_id"] for r in recs.values())
    array = ids[0].split("_")[0]
    assert ids == [f"{array}_0", f"{array}_1"], "one job array, one task per (model, seed)"
    dirs = run_dirs(tmp_path)
    assert sorted(dirs) == ["fcnn-a", "fcnn-b"]
    for model, d in dirs.items():
        assert ({"config.json", "env.json", "metrics.jsonl", "checkpoint.pt", "summary.json"}
                <= {p.name for p in d.iterdir()})
        assert [m["epoch"] for m in metrics(d)] == [1, 2]
        assert summary(d)["model"] == model and summary(d)["epochs"] == 2
        assert json.loads((d / "env.json").read_text()).get("distributed") is None
    # the SLURM logs went to the experiment's submitit folder
    assert (tmp_path / "_submitit" / "fcnn-table2" / "local" / f"{array}_0_0_log.out").is_file()
    capsys.readouterr()
    assert run_cli("status", "fcnn-table2", "--profile", "local", "--results", tmp_path) == 0
    out = capsys.readouterr().out
    for model, job_id in ((r["model"], r["job_id"]) for r in recs.values()):
        assert re.search(rf"{model} +seed 0: finished: .* job slurm:{job_id} COMPLETED", out), out


def test_failing_job_shows_its_traceback_in_status(tmp_path, capsys):
    # a learning rate of 1e30 passes submission (it is a valid number) and diverges inside the job
    assert run_cli("run", "fcnn-table2", "--executor", "slurm", "--models", "fcnn-a", "--results", tmp_path,
                   "--no-progress", *TINY, "--set", "recipe.lr=1e30") == 1
    job_id, = [r["job_id"] for r in records(tmp_path).values() if r["model"] == "fcnn-a"]
    capsys.readouterr()
    assert run_cli("status", "fcnn-table2", "--profile", "local", "--results", tmp_path) == 1  # a failed run: 1
    out = capsys.readouterr().out
    assert re.search(rf"fcnn-a +seed 0: failed: Diverged: .* job slurm:{job_id} FAILED", out), out
    tb = [line for line in out.splitlines() if line.startswith("      | ")]
    assert tb and "Diverged: " in "\n".join(tb[-3:]), out
    assert any("File " in line for line in tb), "the traceback's frames, not only the message"


def wait_until(predicate, timeout_s: float, what: str, poll_s: float = 0.1):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(poll_s)


def test_requeued_job_resumes_from_its_checkpoint(tmp_path):
    """Preempt a running training job the way SLURM does (submitit's interrupt: SIGTERM, then USR2);
    submitit calls RunOne.checkpoint and `scontrol requeue`s the job; the new start resumes from the
    last epoch checkpoint and ends with the metrics of an uninterrupted run of the same config."""
    from jobs import executors, runner
    longer = (("train_limit", 960), ("val_limit", 64), ("recipe.epochs", 6), ("model.width", 0.125))
    ref_task, = runner.tasks_for("fcnn-table2", "local", tmp_path / "ref", models=["fcnn-a"], seeds=[0],
                                 overrides=longer)
    task, = runner.tasks_for("fcnn-table2", "local", tmp_path / "preempted", models=["fcnn-a"], seeds=[0],
                             overrides=longer)
    ex = executors.get("slurm", folder=tmp_path / "_submitit", resources={}, options={"name": "requeue-test"})
    (_, ref_job), (_, job) = ex.submit(runner.run_one, [ref_task, task])
    run_dir = runner.run_dir(task)

    def epochs_done():
        metrics_file = run_dir / "metrics.jsonl"
        return len(metrics_file.read_text().splitlines()) if metrics_file.exists() else 0

    wait_until(lambda: epochs_done() >= 1, 180, "the first epoch's checkpoint")
    assert epochs_done() < 6 and not (run_dir / "summary.json").exists(), "the run ended before it could be preempted"
    job._interrupt()  # scancel --signal SIGTERM, then --signal USR2
    # SLURM holds a requeued job for 120 s (BeginTime); let it start now
    wait_until(lambda: squeue_field(job.job_id, "%r") == "BeginTime", 60, "the job to be requeued", poll_s=0.5)
    subprocess.run(["scontrol", "update", f"JobId={job.job_id}", "StartTime=now"], check=True)
    wait_until(lambda: job.done() and ref_job.done(), 600, "both jobs to end", poll_s=1.0)
    from suite import runs
    result = runs.classify(run_dir).run.summary  # the verified run directory, not the job's pickle
    ref = runs.classify(runner.run_dir(ref_task)).run.summary
    log = job.paths.stdout.read_text() + job.paths.stderr.read_text()
    resumed = [int(m) for m in re.findall(r"resumed from epoch (\d+)", log)]
    assert resumed and resumed[0] > 0, log[-2000:]
    print(f"\nrequeued job {job.job_id}'s log: " + re.search(r"[^\n]*resumed from epoch[^\n]*", log).group(0))
    assert "Requeued job" in log or "Requeued job" in job.paths.stderr.read_text()
    ref_dir = runner.run_dir(ref_task)
    assert run_dir.name == ref_dir.name
    assert metrics(run_dir) == metrics(ref_dir)
    assert summary(run_dir) == summary(ref_dir)
    assert result["top1"] == ref["top1"]


def squeue_field(job_id: str, fmt: str) -> str:
    out = subprocess.run(["squeue", "-h", "-j", job_id, "-o", fmt], capture_output=True, text=True)
    return out.stdout.strip()


def test_two_tasks_train_one_ddp_run_with_the_same_result_logs(tmp_path):
    """--tasks-per-node 2: two SLURM tasks, one process group (gloo), one run directory that looks
    like a single task's (rank 0 writes it; rank 1's copy stays in the submitit folder)."""
    assert run_cli("run", "fcnn-table2", "--executor", "slurm", "--models", "fcnn-a", "--results", tmp_path / "one",
                   "--no-progress", *TINY, "--no-wait") == 0
    assert run_cli("run", "fcnn-table2", "--executor", "slurm", "--models", "fcnn-a", "--results", tmp_path / "two",
                   "--no-progress", *TINY, "--tasks-per-node", "2") == 0
    from jobs import records
    from suite import experiments
    assert records.wait_for_jobs(experiments.get("fcnn-table2"), "local", tmp_path / "one", timeout_s=300) == []
    one, = run_dirs(tmp_path / "one").values()
    two, = run_dirs(tmp_path / "two").values()
    assert one.name == two.name  # same config
    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in two.iterdir())
    assert (one / "config.json").read_text() == (two / "config.json").read_text()
    m1, m2 = metrics(one), metrics(two)
    assert [sorted(m) for m in m1] == [sorted(m) for m in m2] and [m["epoch"] for m in m2] == [1, 2]
    assert sorted(summary(one)) == sorted(summary(two))
    env = json.loads((two / "env.json").read_text())
    assert env["distributed"] == {"world_size": 2, "backend": "gloo"}
    logs = sorted((tmp_path / "two" / "_submitit" / "fcnn-table2" / "local").glob("*_log.out"))
    assert len(logs) == 2, "one log per task"
    rank1 = list((tmp_path / "two" / "_submitit").rglob("rank1/summary.json"))
    assert len(rank1) == 1, "rank 1 trained too, into its scratch copy"
    # both ranks ended with the same model: DDP averaged every step's gradients
    import torch
    w0 = torch.load(two / "checkpoint.pt", weights_only=True)["model"]
    w1 = torch.load(rank1[0].parent / "checkpoint.pt", weights_only=True)["model"]
    for k, v in w0.items():
        if v.is_floating_point() and "running" not in k:
            assert torch.equal(v, w1[k]), k


def test_dry_run_script_is_the_one_submitted_and_collect_shows_epochs(tmp_path, capsys):
    """--dry-run prints the sbatch script submitit then submits (and writes nothing); collect, waiting on the
    array, prints each run's epochs (and ETA) from its metrics.jsonl."""
    from jobs.records import wait_for_jobs
    from suite import experiments
    args = ("fcnn-table2", "--executor", "slurm", "--models", "fcnn-a,fcnn-b", "--results", tmp_path, *TINY)
    assert run_cli("run", *args, "--dry-run") == 0
    out = capsys.readouterr().out
    script = [line[4:] for line in out.split("sbatch script")[1].splitlines()[1:]]
    assert list(tmp_path.iterdir()) == [], "a dry run writes nothing"
    assert run_cli("run", *args, "--no-wait") == 0
    array = sorted(r["job_id"] for r in records(tmp_path).values())[0].split("_")[0]
    submitted = tmp_path / "_submitit" / "fcnn-table2" / "local" / f"{array}_submission.sh"
    assert submitted.read_text().splitlines() == script
    assert wait_for_jobs(experiments.get("fcnn-table2"), "local", tmp_path, timeout_s=600, poll_s=0.2) == []
    err = capsys.readouterr().err
    assert "collect: waiting for 2 job(s) of fcnn-table2 [local]:" in err, err
    for model in ("fcnn-a", "fcnn-b"):
        assert re.search(rf"{model} seed 0 \(job {array}_\d [A-Z]+\): (not started|epoch [0-2]/2)", err), err
    from suite import runs
    dirs = run_dirs(tmp_path)
    assert sorted(dirs) == ["fcnn-a", "fcnn-b"] and all(runs.classify(d).state == "finished" for d in dirs.values())


def test_local_sweep_is_one_job_array_and_selects_on_validation(tmp_path, capsys):
    """--sweep of 3 lrs: every (point, model, seed) a task of one SLURM array; once they ended, each model's
    point is the one with the best final validation top-1 (the test split is not read)."""
    lrs = (0.01, 0.05, 0.2)
    grid = ["--sweep", "recipe.lr=" + ",".join(map(str, lrs))]
    assert run_cli("run", "fcnn-table2", "--executor", "slurm", "--models", "fcnn-a,fcnn-b", "--results", tmp_path,
                   "--no-progress", *TINY, *grid) == 0
    ids = sorted(r["job_id"] for r in records(tmp_path).values())
    array = ids[0].split("_")[0]
    assert ids == [f"{array}_{i}" for i in range(6)], "one job array: 3 points × 2 models × 1 seed"
    from suite import runs
    groups, bad = runs.finished_groups(tmp_path, "fcnn-table2", "local")
    found = [r for rs in groups.values() for r in rs]
    assert not bad and len(found) == 6 and len(groups) == 3
    sweep_file, = (tmp_path / "fcnn-table2" / "local").glob("sweep-*.json")
    selection = json.loads(sweep_file.read_text())
    for model in ("fcnn-a", "fcnn-b"):
        val = {r.config["recipe"]["lr"]: r.metrics[-1]["val_top1"] for r in found if r.config["model"] == model}
        best = max(lrs, key=lambda lr: (val[lr], -lrs.index(lr)))
        assert selection["selected"][model]["point"] == {"recipe.lr": best}, (model, val)
    out = capsys.readouterr().out
    assert f"written: {sweep_file}" in out
    assert run_cli("collect", "fcnn-table2", "--results", tmp_path, "--out", tmp_path / "out", *TINY[2:], *grid) == 0
    assert "lr selected by validation over {0.01, 0.05, 0.2}: fcnn-a → " in capsys.readouterr().out


def test_a_user_experiment_runs_on_the_cluster_with_live_curves(tmp_path):
    """docs/examples' TOML experiment and model module (outside the package) through sbatch, with --log tensorboard:
    the job imports the module and registers the experiment, TensorBoard files grow in each run directory, and
    `status` ends with its summary line and exit 0."""
    import sys
    from pathlib import Path

    examples = Path(__file__).resolve().parents[1] / "docs" / "examples"
    env = {**os.environ, "PYTHONPATH": str(examples)}
    env.pop("SUITE_RESULTS", None)
    user = ["--config", str(examples / "my_experiment.toml"), "--results", str(tmp_path)]
    tiny = ["--seeds", "0", "--set", "train_limit=64", "--set", "val_limit=32", "--set", "recipe.epochs=1",
            "--set", "model.width=4"]

    def jobs(*argv):
        return subprocess.run([sys.executable, "-m", "jobs", *argv], capture_output=True, text=True, env=env,
                              timeout=600, check=False)

    done = jobs("run", *user, "--executor", "slurm", "--no-progress", "--log", "tensorboard", *tiny)
    assert done.returncode == 0 and "2/2 run(s) finished" in done.stdout, done.stdout + done.stderr
    dirs = sorted(d for d in (tmp_path / "my-separable" / "local").iterdir() if d.is_dir() and d.name[0] != ".")
    assert [d.name.split("_s")[0] for d in dirs] == ["my-cnn", "my-separable-cnn"]
    for d in dirs:
        assert list((d / "tb").glob("events.out.tfevents.*")), f"no TensorBoard events in {d}"
        assert json.loads((d / "config.json").read_text())["imported"][0]["module"] == "my_models"
    done = jobs("status", *user, "--profile", "local", *tiny[2:])  # the configuration run (seeds 1, 2: not started)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "summary: 6 runs: 2 finished, 0 running, 0 unfinished, 0 failed, 0 bad, 4 not started" in done.stdout, \
        done.stdout

"""The command lines' conventions (``python -m jobs``, ``python -m paper_tables``): a fresh clone's
status, --version, choices and typed options (exit 2 naming the option and the valid values), examples in
--help, --dry-run (writes nothing; the sbatch script submitit would submit), --json, the results root
from $SUITE_RESULTS, one default executor, ``show``; and the progress shown while runs train (the pool's
workers) or while ``collect`` waits."""
import json
import os
import queue
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from jobs import cli, executors, progress, records, runner
from suite import experiments, profiles, runs

REPO = Path(__file__).resolve().parents[1]
SUBCOMMANDS = ("run", "status", "collect", "list", "show", "env")


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def start_unfinished(root, model="fcnn-a", seed=0, epochs_done=1, seconds=10.0, overrides=()):
    """A run directory of the profile's setting with ``epochs_done`` epochs logged (``seconds`` each)."""
    task, = runner.tasks_for("fcnn-table2", "local", root, models=[model], seeds=[seed], overrides=overrides)
    d = runner.run_dir(task)
    runs.start_run(d, runner.run_config(experiments.get("fcnn-table2"), model, seed, "local", overrides))
    runs.write_metrics(d, [{"epoch": e + 1, "train_loss": 1.0, "val_top1": 10.0, "val_top5": 50.0,
                               "val_loss": 1.0, "lr": 0.1, "seconds": seconds} for e in range(epochs_done)])
    return task, d


# ------------------------------------------------------------------------------------------ fresh clone
def test_status_of_a_fresh_tree_says_how_to_start(tmp_path, capsys):
    root = tmp_path / "results"
    assert cli.main(["status", "--results", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"no runs found under {root}" in out and "python -m jobs run fcnn-table2" in out
    assert "make reproduce-table2" in out
    assert cli.main(["status", "fcnn-table2", "--profile", "local", "--results", str(root)]) == 0
    out = capsys.readouterr().out
    assert f"no run started under {root / 'fcnn-table2' / 'local'}" in out
    assert "python -m jobs run fcnn-table2 --profile local" in out
    assert not root.exists(), "status writes nothing"


# ------------------------------------------------------------------------------------------ --version
def test_version_from_metadata_or_pyproject(capsys, monkeypatch):
    from importlib import metadata

    import tomllib
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"python -m jobs {runs.project_version()}"
    from paper_tables.__main__ import main as tables
    with pytest.raises(SystemExit) as e:
        tables(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"python -m paper_tables {pyproject}"

    def missing(name):
        raise metadata.PackageNotFoundError(name)
    monkeypatch.setattr(metadata, "version", missing)  # a plain checkout, not installed
    assert runs.project_version() == pyproject


# ------------------------------------------------------------------------------------- choices, types
VALID_EXPERIMENTS = "valid experiments: " + ", ".join(experiments.names())


@pytest.mark.parametrize("argv, message", [
    (["run", "fcnn-table9"], "argument EXPERIMENT: unknown experiment 'fcnn-table9'; " + VALID_EXPERIMENTS),
    (["status", "fcnn-table9"], VALID_EXPERIMENTS),
    (["collect", "fcnn-table9"], VALID_EXPERIMENTS),
    (["show", "fcnn-table9"], VALID_EXPERIMENTS),
    (["run", "fcnn-table2", "--profile", "laptop"], "argument --profile: unknown profile 'laptop'; valid "
                                                    "profiles: paper, local"),
    (["status", "--profile", "laptop"], "valid profiles: paper, local"),
    (["collect", "fcnn-table2", "--profile", "laptop"], "valid profiles: paper, local"),
    (["show", "fcnn-table2", "--profile", "laptop"], "valid profiles: paper, local"),
    (["run", "fcnn-table2", "--executor", "cloud"], "argument --executor: unknown executor 'cloud'; valid "
                                                    "executors: debug, inprocess, local, pool, slurm"),
    (["run", "fcnn-table2", "--seeds", "a"], "argument --seeds: expected comma-separated non-negative integers"),
    (["run", "fcnn-table2", "--seeds", "1,-2"], "argument --seeds: expected comma-separated non-negative"),
    (["run", "fcnn-table2", "--workers", "0"], "argument --workers: expected a positive integer, got '0'"),
    (["run", "fcnn-table2", "--time", "abc"], "argument --time: expected minutes or [D-]H:M:S"),
    (["run", "fcnn-table2", "--gpus", "-1"], "argument --gpus: expected a non-negative int, got '-1'"),
    (["run", "fcnn-table2", "--mem", "lots"], "argument --mem: expected a positive integer, got 'lots'"),
    (["collect", "fcnn-table2", "--timeout", "soon"], "argument --timeout: expected a non-negative float"),
])
def test_bad_names_and_values_exit_2_naming_the_option_and_what_is_valid(argv, message, tmp_path, capsys):
    assert cli.main([*argv, "--results", str(tmp_path / "r")] if argv[0] != "show" else argv) == 2
    err = capsys.readouterr().err
    assert message in err and "usage: python -m jobs" in err and "Traceback" not in err, err
    assert not (tmp_path / "r").exists()


def test_choices_are_the_registries(capsys):
    p = cli.parser()
    actions = {a.dest: a for sp in p._subparsers._group_actions[0].choices.values() for a in sp._actions}
    assert list(actions["profile"].choices) == list(profiles.PROFILES)
    assert list(actions["executor"].choices) == executors.names()
    assert list(actions["experiment"].choices) == experiments.names()


def test_paper_tables_rejects_unknown_names_with_the_valid_ones(capsys):
    from paper_tables.__main__ import main as tables
    for argv, message in ((["fcnn-table9"], "invalid choice: 'fcnn-table9'"),
                          (["fcnn-table2", "--profile", "laptop"], "invalid choice: 'laptop' (choose from 'paper', "
                                                                    "'local')")):
        with pytest.raises(SystemExit) as e:
            tables(argv)
        assert e.value.code == 2 and message in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ --help
@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_has_examples_that_parse(command, capsys):
    assert cli.main([command, "--help"]) == 0
    out = capsys.readouterr().out
    assert "\nexamples:\n" in out
    examples = [line.strip() for line in out.split("\nexamples:\n")[1].splitlines()
                if line.strip().startswith("python -m jobs ")]
    assert 2 <= len(examples) <= 4, examples
    for line in examples:
        argv = shlex.split(line.split(" # ")[0].split(" | ")[0])[3:]
        assert argv[0] == command
        cli.parser().parse_args(argv)  # a real command line (argparse exits on anything else)


def test_json_keys_are_documented_in_help(capsys):
    cli.main(["status", "--help"])
    assert ", ".join(cli.JSON_ROW_KEYS) in capsys.readouterr().out.replace("\n", " ")
    cli.main(["list", "--help"])
    assert ", ".join(cli.LIST_KEYS) in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ --dry-run
def test_dry_run_prints_runs_and_executor_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "results"
    done, _ = start_unfinished(root, "fcnn-e", 0)  # an unfinished run: would be trained again (resumed)
    before = tree(tmp_path)
    argv = ["run", "fcnn-table2", "--results", str(root), "--models", "fcnn-a,fcnn-e", "--seeds", "0,3",
            "--set", "recipe.epochs=2", "--workers", "2", "--dry-run"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    for t in runner.tasks_for("fcnn-table2", "local", root, models=["fcnn-a", "fcnn-e"], seeds=[0, 3],
                              overrides=(("recipe.epochs", 2),)):
        assert re.search(rf"{t.model} +seed {t.seed}: would train.*\n +run dir {runner.run_dir(t)}\n +overrides "
                         rf"--set recipe.epochs=2", out), out
    assert "4 of 4 run(s) would be submitted" in out and "executor pool: 2 worker process(es)" in out
    assert tree(tmp_path) == before, "a dry run writes nothing"


def test_dry_run_slurm_prints_the_sbatch_script_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "results"
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--models", "fcnn-a,fcnn-b", "--seeds", "0",
                     "--executor", "slurm", "--partition", "gpu", "--time", "1:30:00", "--mem", "8", "--dry-run"]) == 0
    out = capsys.readouterr().out
    folder = root / "_submitit" / "fcnn-table2" / "local"
    assert "executor slurm: one job array of 2 run(s)" in out and "partition gpu" in out
    for line in ("#SBATCH --array=0-1%2", "#SBATCH --partition=gpu", "#SBATCH --time=90", "#SBATCH --mem=8GB",
                 "#SBATCH --job-name=fcnn-table2-local", f"#SBATCH --output={folder}/%A_%a_0_log.out",
                 f'export PYTHONPATH="{REPO}', f"-m submitit.core._submit {folder}"):
        assert line in out, line
    assert not root.exists() and tree(tmp_path) == []


@pytest.mark.skipif(not os.access("/usr/bin/srun", os.X_OK) and not any(
    os.access(os.path.join(d, "srun"), os.X_OK) for d in os.environ.get("PATH", "").split(os.pathsep)),
    reason="submitit's AutoExecutor builds a SLURM executor only where srun is on PATH")
@pytest.mark.parametrize("count", [1, 3])
def test_sbatch_script_is_the_one_submitits_auto_executor_writes(count, tmp_path):
    """The preview converts parameters as submitit.AutoExecutor does: same script, nothing submitted."""
    import submitit
    resources = {"gpus_per_node": 2, "mem_gb": 16, "partition": "gpu", "timeout_min": 90, "array_parallelism": 2}
    auto = submitit.AutoExecutor(folder=str(tmp_path), cluster="slurm")
    auto.update_parameters(**executors.slurm_parameters(resources, "x"))
    inner = auto._executor
    if count > 1:  # what SlurmExecutor._internal_process_submissions submits for a batch
        array = submitit.SlurmExecutor(tmp_path)
        array.update_parameters(**inner.parameters)
        array.parameters["map_count"] = count
        inner = array
    expected = inner._make_submission_file_text(inner._submitit_command_str, "uid")
    assert executors.sbatch_script(tmp_path, resources, "x", count) == expected


# ------------------------------------------------------------------------------------------ --json
def test_status_and_list_json(tmp_path, capsys):
    root = tmp_path / "results"
    start_unfinished(root, "fcnn-b", 2, epochs_done=2)
    assert cli.main(["status", "fcnn-table2", "--profile", "local", "--results", str(root), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["runs"]
    assert report["exit_status"] == 0 and report["summary"]["runs"] == len(rows)
    assert report["summary"]["unfinished"] == 1
    assert len(rows) == len(experiments.get("fcnn-table2").models) * len(
        experiments.get("fcnn-table2").setting("local").seeds)
    assert all(tuple(r) == cli.JSON_ROW_KEYS for r in rows)
    started = [r for r in rows if r["state"] != runs.NOT_STARTED]
    assert [(r["model"], r["seed"], r["state"], r["epochs"]) for r in started] == [("fcnn-b", 2, "unfinished", 2)]
    assert cli.main(["status", "--results", str(root), "--json"]) == 0  # every experiment: the started runs only
    assert [(r["experiment"], r["model"]) for r in json.loads(capsys.readouterr().out)["runs"]] == [
        ("fcnn-table2", "fcnn-b")]
    assert cli.main(["list", "--json"]) == 0
    exps = json.loads(capsys.readouterr().out)
    assert [e["experiment"] for e in exps] == experiments.names() and all(tuple(e) == cli.LIST_KEYS for e in exps)
    assert next(e for e in exps if e["experiment"] == "fcnn-figure2")["runs_of"] == "fcnn-table7"


# ------------------------------------------------------------------------------------------ $SUITE_RESULTS
def test_results_root_from_the_environment_at_call_time(tmp_path, monkeypatch, capsys):
    env_root, flag_root = tmp_path / "env", tmp_path / "flag"
    start_unfinished(env_root, "fcnn-c", 1)
    monkeypatch.setenv("SUITE_RESULTS", str(env_root))  # after every import: read when the command runs
    assert runs.results_root() == env_root and runs.results_root(flag_root) == flag_root
    assert cli.main(["status", "fcnn-table2", "--profile", "local"]) == 0
    assert re.search(r"fcnn-c +seed 1: unfinished: 1 epoch\(s\) done", capsys.readouterr().out)
    assert cli.main(["status", "--results", str(flag_root)]) == 0  # --results wins
    assert f"no runs found under {flag_root}" in capsys.readouterr().out
    from paper_tables import accuracy, curves
    assert accuracy.collect("fcnn-table2", "local").results_root == env_root
    with pytest.raises(ValueError, match=re.escape(str(env_root / "fcnn-table2" / "local"))):
        curves.load("fcnn-table2", "local")  # paper_tables reads the same root
    monkeypatch.delenv("SUITE_RESULTS")
    assert runs.results_root() == runs.DEFAULT_RESULTS


def test_one_default_executor_for_jobs_and_make():
    makefile = (REPO / "Makefile").read_text()
    assert re.search(rf"^EXECUTOR \?= {executors.DEFAULT}$", makefile, re.M)
    assert cli.parser().parse_args(["run", "fcnn-table2"]).executor == executors.DEFAULT == "pool"
    assert "--results" not in re.search(r"^JOBS_RUN = .*$", makefile, re.M).group(0)  # $SUITE_RESULTS applies


# ------------------------------------------------------------------------------------------ show
def test_show_prints_models_resources_and_settings(capsys):
    assert cli.main(["show", "fcnn-table2", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    exp = experiments.get("fcnn-table2")
    assert f"models: {', '.join(exp.models)}" in out
    paper = exp.setting("paper")
    assert all(f"{k} {v}" in out.split("resources")[1].splitlines()[0] for k, v in paper.resources.items())
    assert "recipe.lr" in out and "STATED" in out and "CHOSEN" in out
    assert cli.main(["show", "fcnn-figure2", "--profile", "local"]) == 0
    assert "(trained by fcnn-table7)" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ progress
def test_progress_reads_epochs_and_eta(tmp_path):
    _, d = start_unfinished(tmp_path, epochs_done=2, seconds=15.0)
    p = progress.read(d)
    total = experiments.get("fcnn-table2").setting("local").recipe.epochs
    assert (p.epochs, p.total, p.seconds) == (2, total, 30.0)
    assert p.text() == f"epoch 2/{total}, ETA 0:{(total - 2) * 15 // 60:02d}:{(total - 2) * 15 % 60:02d}"
    assert progress.read(tmp_path / "nothing").text() == "not started"
    with open(d / runs.METRICS, "a") as f:
        f.write('{"epoch": 3, "train_lo')  # a line being written
    assert progress.read(d).epochs == 2


def test_worker_board_lines_and_bars(tmp_path, capsys):
    tasks = runner.tasks_for("fcnn-table2", "local", tmp_path, models=["fcnn-a", "fcnn-b"], seeds=[0])
    start_unfinished(tmp_path, "fcnn-a", 0, epochs_done=1, seconds=5.0)

    class Handle:
        def __init__(self, job_id):
            self.job_id = job_id
    started = queue.SimpleQueue()
    total = experiments.get("fcnn-table2").setting("local").recipe.epochs
    for bars in (False, True):
        board = progress.WorkerBoard(started, [(t, Handle(f"pool-{i}")) for i, t in enumerate(tasks)], bars=bars)
        started.put((111, "pool-0"))
        started.put((222, "pool-1"))
        board.update()
        board.update()  # unchanged: shown once
        board.close()
        out, err = capsys.readouterr()
        shown = err if bars else out
        assert shown.count(f"worker 1: fcnn-a seed 0 epoch 1/{total}, ETA") == 1, shown
        assert "worker 2: fcnn-b seed 0 starting" in shown


def test_pool_shows_each_workers_run_and_epoch(tmp_path, capsys):
    """A tiny real run through the pool executor, with --no-progress: plain lines per worker."""
    root = tmp_path / "results"
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--executor", "pool", "--workers", "1",
                     "--no-progress", "--models", "fcnn-a,fcnn-e", "--seeds", "0", "--set", "train_limit=64",
                     "--set", "val_limit=32", "--set", "recipe.epochs=2", "--set", "model.width=0.125"]) == 0
    out = capsys.readouterr().out
    for model in ("fcnn-a", "fcnn-e"):
        assert f"worker 1: {model} seed 0 epoch 2/2 (ended)" in out, out
    assert "2/2 run(s) finished" in out
    lines = [line for line in out.splitlines() if line.startswith("worker ")]
    assert all(re.fullmatch(r"worker 1: fcnn-[ae] seed 0 (starting|epoch [012]/2(, ETA \d+:\d\d:\d\d)?( \(ended\))?)",
                            line) for line in lines), lines


def test_collect_waits_showing_epochs_and_eta(tmp_path, capsys):
    """A submitted job still running (a local job: a live process) and a run a pool trains (its lock held):
    collect waits for both, printing each run's epochs and ETA, then renders."""
    root, exp = tmp_path / "results", experiments.get("fcnn-table2")
    (task_a, _), (task_e, dir_e) = (start_unfinished(root, "fcnn-a", 0, 1, 20.0),
                                    start_unfinished(root, "fcnn-e", 0, 1, 30.0))
    job = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    reaper = threading.Thread(target=job.wait)  # an ended job is no zombie: its process id is gone
    reaper.start()
    records.record_jobs(root, exp, "local", "pool", [(task_e, type("H", (), {"job_id": "pool-1"}))])
    records.record_jobs(root, exp, "local", "local", [(task_a, type("H", (), {"job_id": job.pid}))],
                        tmp_path / "submitit")
    release, held = threading.Event(), threading.Event()

    def pool_worker():
        with runs.lock_run(dir_e):
            held.set()
            release.wait(10)
    t = threading.Thread(target=pool_worker)
    t.start()
    assert held.wait(10), "the pool worker never took the run's lock"  # else collect may poll before it is held
    try:
        threading.Timer(1.0, release.set).start()
        bad = records.wait_for_jobs(exp, "local", root, timeout_s=30, poll_s=0.2)
    finally:
        release.set()
        t.join()
        reaper.join()
    err = capsys.readouterr().err
    total = exp.setting("local").recipe.epochs
    assert "collect: waiting for 2 job(s) of fcnn-table2 [local]:" in err, err
    assert f"fcnn-a seed 0 (job {job.pid} RUNNING): epoch 1/{total}" in err
    assert f"fcnn-e seed 0 (job pool-1): epoch 1/{total}" in err
    assert (f"2/{2 * total} epoch(s) done; ETA {progress.trainlog.hms(30.0 * (total - 1))} "
            "(the slowest run in flight)") in err
    assert "collect: waiting for 1 job(s)" in err  # the pool's run ended first, the job then
    assert bad == [f"fcnn-a seed 0: job {job.pid} FAILED"]  # the process ended without finishing the run


def test_the_entry_points_exit_codes(tmp_path):
    """`python -m jobs` as a user runs it: 0 for --version and a fresh tree's status, 2 for a bad name."""
    env = {**os.environ, "SUITE_RESULTS": str(tmp_path / "none")}

    def run(*argv):
        return subprocess.run([sys.executable, "-m", *argv], capture_output=True, text=True, cwd=REPO, env=env,
                              timeout=300)
    done = run("jobs", "--version")
    assert done.returncode == 0 and done.stdout.startswith("python -m jobs ")
    done = run("jobs", "status")
    assert done.returncode == 0 and f"no runs found under {tmp_path / 'none'}" in done.stdout
    done = run("jobs", "run", "fcnn-table9")
    assert done.returncode == 2 and "valid experiments: " in done.stderr and "Traceback" not in done.stderr
    done = run("paper_tables", "--version")
    assert done.returncode == 0 and done.stdout.startswith("python -m paper_tables ")

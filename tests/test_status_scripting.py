"""`jobs status` and `jobs collect` in scripts: the summary line, --state and --set filters, exit status 1 when
a selected run is bad or failed; `collect --strict`, the "no finished run" note, and output file names that
carry a non-canonical configuration's identity."""
import json
import re

import pytest

from jobs import cli, runner
from suite import experiments, runs
from tests._runs import shrink_fcnn_table2


@pytest.fixture
def tiny(monkeypatch):
    """fcnn-table2 shrunk to 2 models × 1 seed, 1 epoch on 40 digits (one view): a real run in seconds."""
    shrink_fcnn_table2(monkeypatch, ("fcnn-a", "fcnn-e"))


def started(root, model, overrides=(), state="unfinished"):
    """A run directory of ``model`` (seed 0) left unfinished, failed or bad."""
    task, = runner.tasks_for("fcnn-table2", "local", root, models=[model], seeds=[0], overrides=overrides)
    d = runner.run_dir(task)
    runs.start_run(d, runner.run_config(experiments.get("fcnn-table2"), model, 0, "local", overrides))
    runs.write_metrics(d, [{"epoch": 1, "train_loss": 1.0, "val_top1": 10.0, "val_top5": 50.0, "val_loss": 1.0,
                            "lr": 0.1, "seconds": 1.0}])
    if state == "failed":
        runs.record_failure(d, RuntimeError("out of memory"))
    elif state == "bad":
        (d / runs.CONFIG).write_text("[1, 2]")
    return d


def status(capsys, root, *extra) -> tuple[int, str, str]:
    rc = cli.main(["status", "fcnn-table2", "--profile", "local", "--results", str(root), *extra])
    out, err = capsys.readouterr()
    return rc, out, err


def test_summary_line_and_exit_status(tmp_path, capsys, tiny):
    root = tmp_path / "results"
    started(root, "fcnn-a")
    rc, out, _ = status(capsys, root)
    assert rc == 0 and out.splitlines()[-1] == ("summary: 2 runs: 0 finished, 0 running, 1 unfinished, 0 failed, "
                                                "0 bad, 1 not started")
    started(root, "fcnn-e", state="failed")
    rc, out, _ = status(capsys, root)
    assert rc == 1 and "1 unfinished, 1 failed, 0 bad, 0 not started" in out.splitlines()[-1]
    rc, out, _ = status(capsys, root, "--state", "unfinished")  # the failed run is not selected: 0
    assert rc == 0 and "fcnn-e" not in out and "fcnn-a" in out
    assert out.splitlines()[-1] == ("summary: 1 run: 0 finished, 0 running, 1 unfinished, 0 failed, 0 bad, "
                                    "0 not started (state unfinished)")
    rc, out, _ = status(capsys, root, "--state", "failed,not-started", "--state", "bad")
    assert rc == 1 and "fcnn-a" not in out and re.search(r"fcnn-e +seed 0: failed", out)
    rc, out, _ = status(capsys, root, "--json")
    report = json.loads(out)
    assert rc == 1 and report["exit_status"] == 1 and report["summary"]["failed"] == 1
    assert report["summary"]["runs"] == len(report["runs"]) == 2
    assert cli.main(["status", "--results", str(root)]) == 1  # every experiment: the same runs, the same status
    assert capsys.readouterr().out.splitlines()[-1].startswith("summary: 2 runs: 0 finished, 0 running, 1 unfinished")


def test_bad_runs_exit_one_and_a_bad_state_is_a_usage_error(tmp_path, capsys, tiny):
    root = tmp_path / "results"
    started(root, "fcnn-a", state="bad")
    rc, out, _ = status(capsys, root)
    assert rc == 1 and "1 bad" in out.splitlines()[-1]
    rc, out, err = status(capsys, root, "--state", "done")
    assert rc == 2 and err.startswith("error: --state: unknown state 'done'; expected one or more") and \
        "not-started" in err and err.count("\n") == 1


def test_set_selects_the_runs_of_one_configuration(tmp_path, capsys, tiny):
    root = tmp_path / "results"
    started(root, "fcnn-a")
    started(root, "fcnn-e", overrides=(("recipe.lr", 0.01),), state="failed")
    rc, out, _ = status(capsys, root, "--set", "recipe.lr=0.01")
    assert rc == 1 and "fcnn-e" in out and not re.search(r"fcnn-a +seed 0: unfinished", out)
    assert out.splitlines()[-1].startswith("summary: 2 runs: 0 finished, 0 running, 0 unfinished, 1 failed")
    rc, out, _ = status(capsys, root, "--set", "recipe.lr=0.02")  # no run of that configuration started
    assert rc == 0 and "2 not started" in out.splitlines()[-1]
    rc, _, err = status(capsys, root, "--set", "recipe.lrr=1")
    assert rc == 2 and "recipe.lrr" in err and "valid: " in err


def test_collect_strict_and_file_names_of_other_configurations(tmp_path, capsys, tiny):
    root, out_dir = tmp_path / "results", tmp_path / "out"
    root.mkdir()
    args = ["collect", "fcnn-table2", "--results", str(root), "--out", str(out_dir)]
    assert cli.main([*args, "--strict"]) == 1  # nothing finished: the table is written, stderr says so
    assert "collect: no finished run of this configuration" in capsys.readouterr().err
    assert (out_dir / "fcnn_table2_local.md").is_file()
    assert cli.main(["run", "fcnn-table2", "--results", str(root), "--no-progress", "--executor", "inprocess",
                     "--models", "fcnn-a"]) == 0
    capsys.readouterr()
    assert cli.main([*args, "--strict"]) == 1  # fcnn-e has no finished run
    assert "--strict: no finished run of fcnn-e" in capsys.readouterr().err
    canonical = (out_dir / "fcnn_table2_local.md").read_text()
    assert "| A |" in canonical or "fcnn-a" in canonical
    assert cli.main([*args, "--set", "recipe.lr=0.01"]) == 0  # exit 0 without --strict
    err = capsys.readouterr().err
    identity = runner.identity_for(experiments.get("fcnn-table2"), "local", (("recipe.lr", 0.01),))
    tagged = out_dir / f"fcnn_table2_local_{identity[:8]}.md"
    assert tagged.is_file() and (out_dir / f"fcnn_table2_local_{identity[:8]}.csv").is_file()
    assert (out_dir / "fcnn_table2_local.md").read_text() == canonical  # the canonical table is not overwritten
    assert "no finished run of this configuration" in err

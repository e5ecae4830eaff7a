"""Sweeps (jobs.sweeps): a grid of configurations trained as one submission, each model's point selected on
the validation split (never the test split), the table rendered from the selected points and saying so.
The same sweep through SLURM (one job array) is in test_slurm.py."""
import dataclasses
import json
import re
from pathlib import Path

import pytest

from jobs import cli, launch, provenance, runner, sweeps
from suite import experiments, runs, train

EXP = "fcnn-table2"
TINY = ["--set", "train_limit=96", "--set", "val_limit=32", "--set", "recipe.epochs=1", "--set", "model.width=0.125"]
TINY_OVERRIDES = tuple(runner.parse_override(t) for t in TINY[1::2])
LRS = (0.01, 0.05, 0.2)


def sweep_files(root, exp=EXP, profile="local"):
    return sorted((root / exp / profile).glob("sweep-*.json"))


# ------------------------------------------------------------------------------------------------ parsing
def test_a_sweep_is_the_product_of_its_keys_in_order():
    exp = experiments.get(EXP)
    s = sweeps.resolve(exp, "local", ["recipe.lr=1e-3,1e-2", "model.width=[0.25],0.5"], (("recipe.epochs", 1),))
    assert s.points() == [(("recipe.lr", 1e-3), ("model.width", [0.25])), (("recipe.lr", 1e-3), ("model.width", 0.5)),
                          (("recipe.lr", 1e-2), ("model.width", [0.25])), (("recipe.lr", 1e-2), ("model.width", 0.5))]
    assert s.overrides(s.points()[0]) == (("recipe.epochs", 1), ("recipe.lr", 1e-3), ("model.width", [0.25]))
    assert sweeps.parse_sweep("recipe.schedule=step,plateau") == ("recipe.schedule", ("step", "plateau"))
    assert sweeps.resolve(exp, "local", None) is None  # FCNN Table 2 has no default grid


def test_every_grid_point_is_its_own_run(tmp_path):
    args = cli.parser().parse_args(["run", EXP, "--results", str(tmp_path), "--sweep", "recipe.lr=0.01,0.1", *TINY])
    sweep, configs = launch.configurations(args, experiments.get(EXP), launch.parse_overrides(args))
    tasks = [t for o in configs
             for t in runner.tasks_for(EXP, "local", tmp_path, None, ["fcnn-a", "fcnn-b"], [0, 1], o)]
    assert len(tasks) == 2 * 2 * 2 and len({runner.run_dir(t) for t in tasks}) == 8
    config = runner.run_config(experiments.get(EXP), "fcnn-a", 0, "local", configs[1])
    assert config["recipe"]["lr"] == 0.1 and config["overrides"]["recipe.lr"] == 0.1


@pytest.mark.parametrize("argv, message", [
    (["--sweep", "recipe.lr="], "--sweep recipe.lr: empty value list"),
    (["--sweep", "recipe.lr=,"], "--sweep recipe.lr: empty value list"),
    (["--sweep", "recipe.lr=0.1,,0.2"], "--sweep recipe.lr: an empty value"),
    (["--sweep", "recipe.lr"], "--sweep: expected KEY=V1,V2,..."),
    (["--sweep", "recipe.lrate=0.1,0.2"], "--sweep recipe.lrate=0.1: override 'recipe.lrate': unknown recipe field"),
    (["--sweep", "lr=0.1,0.2"], "--sweep lr=0.1: override 'lr': expected recipe.<field>"),
    (["--sweep", "train_limit=100,-1"], "--sweep train_limit=-1: override 'train_limit': expected a positive integer"),
    (["--sweep", "recipe.lr=0.1,0.2", "--set", "recipe.lr=0.3"], "recipe.lr: given with both --set and --sweep"),
    (["--sweep", "recipe.lr=0.1", "--sweep", "recipe.lr=0.2"], "--sweep recipe.lr: given twice"),
    (["--sweep", "recipe.lr=0.1,0.1"], "--sweep recipe.lr: a value is given twice"),
    (["--sweep", "seeds=[0],[1]"], "--sweep seeds: every grid point runs every seed"),
    (["--sweep", "recipe.lr=0.1", "--no-sweep"], "--sweep and --no-sweep"),
])
@pytest.mark.parametrize("command", ["run", "collect"])
def test_bad_sweeps_are_one_line_errors_before_anything_runs(command, argv, message, tmp_path, capsys):
    assert cli.main([command, EXP, "--results", str(tmp_path), *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err, err
    assert not (tmp_path / EXP).exists()


# ------------------------------------------------------------------------------------------------ paper default
def test_hocp_table2_paper_setting_sweeps_the_papers_lr_range():
    exp = experiments.get("hocp-table2")
    s = sweeps.resolve(exp, "paper", None)
    assert s.default and s.grid == (("recipe.lr", (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)),)
    assert [dict(p)["recipe.lr"] for p in s.points()] == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    assert sweeps.resolve(exp, "paper", None, no_sweep=True) is None
    assert sweeps.resolve(exp, "paper", None, (("recipe.lr", 0.01),)) is None  # a key fixed with --set leaves the grid
    assert sweeps.resolve(exp, "paper", ["recipe.lr=0.1,0.01"]).grid == (("recipe.lr", (0.1, 0.01)),)
    assert sweeps.resolve(exp, "local", None) is None  # the local profile trains one lr unless asked


def test_every_default_grid_has_provenance_and_show_prints_it(capsys):
    for exp in experiments.EXPERIMENTS.values():
        for key, values in exp.sweeps.get("paper", ()):
            entry = experiments.sweeps(exp.name)[key]
            assert entry.range.kind == "stated" and entry.grid.kind == "chosen" and entry.grid.reason
            for v in values:  # a run of a grid point records the stated range, not "set by an override"
                setting = runner.setting_for(exp, "paper", ((key, v),))
                value, prov = provenance.of(exp.name, "paper", setting, [key])[key]
                assert value == v and prov.kind == "stated" and "chosen grid" in prov.note
    assert cli.main(["show", "hocp-table2", "--profile", "paper"]) == 0
    out = capsys.readouterr().out
    assert "SWEEP" in out and "recipe.lr  [1e-05, 0.0001, 0.001, 0.01, 0.1]" in out
    assert "stated: HO-CP Sec. 4.2: \"We validated the learning rate in the range 0.1, 0.00001" in out
    assert "chosen: every power of ten in the stated range" in out


# ------------------------------------------------------------------------------------------------ selection
def finished_run(task, val_top1s: list[float], test_top1: float):
    """A finished run as run_one writes it for a dataset with a held-out test split: per-epoch validation
    top-1s in metrics.jsonl, the test split's top-1 in test.json and the summary."""
    exp = experiments.get(task.experiment)
    config = {**runner.run_config(exp, task.model, task.seed, task.profile, task.overrides), "num_classes": 10}
    d = runner.run_dir(task)
    runs.start_run(d, config)
    history = [{"epoch": i + 1, "train_loss": 1.0, "val_top1": v, "val_top5": 99.0, "val_loss": 1.0, "lr": 0.1}
               for i, v in enumerate(val_top1s)]
    runs.write_metrics(d, history)
    runs.atomic_write_bytes(d / runs.CHECKPOINT, b"weights")
    test = {"top1": test_top1, "top5": 99.0, "loss": 1.0}
    runs.atomic_write_json(d / runs.TEST, test)
    runs.finish_run(d, train.reported_on_test(runs.make_summary(config, history, 1.0, "epochs"), test))
    return d


def plant(root, lr, model, seed, val, test, *, earlier_val=None):
    over = (*TINY_OVERRIDES, ("recipe.lr", lr))
    task, = runner.tasks_for(EXP, "local", root, models=[model], seeds=[seed], overrides=over)
    return finished_run(task, ([earlier_val] if earlier_val is not None else []) + [val], test)


def test_selection_follows_validation_never_the_test_split(tmp_path, capsys):
    """Validation ranks lr 0.05 first for fcnn-a and 0.2 for fcnn-b; the test split ranks them the other way
    round (and its best is planted far higher): the selection, the file and the table follow validation."""
    root = tmp_path / "results"
    val = {("fcnn-a", 0.01): (50, 52), ("fcnn-a", 0.05): (70, 72), ("fcnn-a", 0.2): (60, 62),
           ("fcnn-b", 0.01): (40, 41), ("fcnn-b", 0.05): (55, 57), ("fcnn-b", 0.2): (65, 64)}
    test = {("fcnn-a", 0.01): 99.0, ("fcnn-a", 0.05): 10.0, ("fcnn-a", 0.2): 20.0,
            ("fcnn-b", 0.01): 98.0, ("fcnn-b", 0.05): 97.0, ("fcnn-b", 0.2): 11.0}
    for (model, lr), vals in val.items():
        for seed, v in enumerate(vals):
            # the best epoch is the planted first one: the selection reads the final epoch, not the best
            plant(root, lr, model, seed, v, test[model, lr] + seed, earlier_val=95.0 if lr == 0.01 else None)
    plant(root, 0.05, "fcnn-c", 0, 90.0, 1.0)  # fcnn-c: only lr 0.05 has a run; 0.2's seed 1 alone is incomplete
    plant(root, 0.05, "fcnn-c", 1, 91.0, 2.0)
    plant(root, 0.2, "fcnn-c", 1, 99.0, 3.0)
    out = tmp_path / "out"
    assert cli.main(["collect", EXP, "--results", str(root), "--out", str(out), *TINY,
                     "--sweep", "recipe.lr=0.01,0.05,0.2"]) == 0
    text = capsys.readouterr().out
    file, = sweep_files(root)
    sel = json.loads(file.read_text())
    assert sel["grid"] == {"recipe.lr": [0.01, 0.05, 0.2]} and sel["base_overrides"] == dict(TINY_OVERRIDES)
    chosen = sel["selected"]["fcnn-a"]
    assert chosen["point"] == {"recipe.lr": 0.05} and chosen["val_top1_mean"] == 71
    assert sel["selected"]["fcnn-b"]["point"] == {"recipe.lr": 0.2} and sel["selected"]["fcnn-b"]["n"] == 2
    assert sel["selected"]["fcnn-c"]["point"] == {"recipe.lr": 0.05}, "a point missing a seed does not compete"
    assert sel["selected"]["fcnn-d"] is None
    a = {p["label"]: p["models"]["fcnn-a"] for p in sel["points"]}
    assert a["recipe.lr=0.01"]["val_top1_mean"] == 51 and a["recipe.lr=0.01"]["n"] == 2
    assert a["recipe.lr=0.2"]["val_top1"] == {"0": 60, "1": 62}
    # the table: each model's selected runs (their test top-1), and the note naming the selection
    def row(m):
        return next(line for line in text.splitlines() if line.startswith(f"| {m} |"))
    assert "| 10.5 |" in row("A") and "| 11.5 |" in row("B") and "| 1.5 |" in row("C")
    assert "lr selected by validation over {0.01, 0.05, 0.2}: fcnn-a → 0.05 (n = 2), fcnn-b → 0.2 (n = 2), " \
           "fcnn-c → 0.05 (n = 2), fcnn-d → none" in text
    assert "SGD lr (per model) momentum" in text
    assert "another configuration" not in text and "other configuration present" not in text
    assert re.search(r"recipe.lr=0.05 +71.00 \(n=2\) +56.00 \(n=2\)", text), text  # the printed selection
    md, = (p.read_text() for p in out.glob("fcnn_table2_local_sweep-*.md") if "_compact" not in p.name)  # tagged
    assert "lr selected by validation over" in md
    # the curves show the same runs
    from paper_tables import curves
    with runs.selecting(sweeps.per_model(sel)):
        frame, _ = curves.load(EXP, "local", root)
    assert sorted({(m, json.loads((Path(d) / "config.json").read_text())["recipe"]["lr"])
                   for m, d in zip(frame.model, frame.path)}) == [("fcnn-a", 0.05), ("fcnn-b", 0.2), ("fcnn-c", 0.05)]


def test_ties_go_to_the_first_point_of_the_grid(tmp_path, capsys):
    root = tmp_path / "results"
    for lr in (0.2, 0.01):
        plant(root, lr, "fcnn-a", 0, 50.0, 10.0 if lr == 0.2 else 90.0)
    for grid, first in (("0.2,0.01", 0.2), ("0.01,0.2", 0.01)):
        assert cli.main(["collect", EXP, "--results", str(root), "--out", str(tmp_path / "out"), *TINY,
                         "--sweep", f"recipe.lr={grid}"]) == 0
        capsys.readouterr()
        sel = json.loads(max(sweep_files(root), key=lambda p: p.stat().st_mtime_ns).read_text())
        assert sel["selected"]["fcnn-a"]["point"] == {"recipe.lr": first}


# ------------------------------------------------------------------------------------------------ pool
def test_local_sweep_through_the_pool_trains_every_point_and_selects(tmp_path, capsys):
    """3 lrs × 1 model × 1 seed of the real local profile, each run in a pool worker; then the selection."""
    root = tmp_path / "results"
    assert cli.main(["run", EXP, "--executor", "pool", "--workers", "2", "--models", "fcnn-a", "--seeds", "0",
                     "--results", str(root), "--no-progress", *TINY,
                     "--sweep", f"recipe.lr={','.join(map(str, LRS))}"]) == 0
    out = capsys.readouterr().out
    assert "sweep: recipe.lr over {0.01, 0.05, 0.2} (3 configurations)" in out and "3/3 run(s) finished" in out
    groups, bad = runs.finished_groups(root, EXP, "local")
    found = [r for rs in groups.values() for r in rs]
    assert not bad and sorted(r.config["recipe"]["lr"] for r in found) == sorted(LRS) and len(groups) == 3
    file, = sweep_files(root)
    sel = json.loads(file.read_text())
    val = {r.config["recipe"]["lr"]: r.metrics[-1]["val_top1"] for r in found}
    best = max(LRS, key=lambda lr: (val[lr], -LRS.index(lr)))
    assert sel["selected"]["fcnn-a"]["point"] == {"recipe.lr": best}
    assert f"written: {file}" in out and re.search(r"selected +recipe.lr=", out)
    assert cli.main(["collect", EXP, "--results", str(root), "--out", str(tmp_path / "out"), *TINY,
                     "--sweep", f"recipe.lr={','.join(map(str, LRS))}"]) == 0
    text = capsys.readouterr().out
    chosen, = [r for r in found if r.config["recipe"]["lr"] == best]
    assert chosen.name in text and f"fcnn-a → {best} (n = 1)" in text
    # a second `run` of the same grid trains nothing and selects the same point
    assert cli.main(["run", EXP, "--executor", "pool", "--models", "fcnn-a", "--seeds", "0", "--results", str(root),
                     "--no-progress", *TINY, "--sweep", f"recipe.lr={','.join(map(str, LRS))}"]) == 0
    assert "3/3 run(s) finished; nothing to train" in capsys.readouterr().out
    assert json.loads(file.read_text())["selected"] == sel["selected"]


def test_default_grid_runs_are_listed_by_status_and_nothing_is_selected_without_runs(tmp_path, capsys, monkeypatch):
    exp = experiments.get(EXP)
    monkeypatch.setitem(experiments.EXPERIMENTS, EXP,
                        dataclasses.replace(exp, sweeps={"local": (("recipe.lr", (0.01, 0.05)),)}))
    assert cli.main(["status", EXP, "--profile", "local", "--results", str(tmp_path)]) == 0
    seeds = len(exp.setting("local").seeds)
    assert capsys.readouterr().out.count(": not started") == 2 * len(exp.models) * seeds
    assert cli.main(["collect", EXP, "--results", str(tmp_path), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "nothing selected, nothing written" in out and not sweep_files(tmp_path)
    assert "lr selected by validation over {0.01, 0.05}: fcnn-a → none" in out

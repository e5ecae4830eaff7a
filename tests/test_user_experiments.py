"""Experiments and models of your own, without editing the package (issue 27): a TOML experiment file
(``--config``), a model module outside the package (``--import``), through every ``jobs`` command and
``paper_tables``, in the worker processes of the pool and of submitit; its errors; the documented example files."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from jobs import cli, runner
from suite import experiments, models, plugins, runs
from suite.models import _registry

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "docs" / "examples"

MODELS = '''
from torch import nn
from suite.models import register_model


def _net(channels, num_classes, in_channels):
    return nn.Sequential(nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(), nn.MaxPool2d(4), nn.Flatten(),
                         nn.Linear(channels * 7 * 7, num_classes or 10))


@register_model("{prefix}-small")
def small(*, num_classes=None, in_channels=1, channels=4):
    return _net(channels, num_classes, in_channels)


@register_model("{prefix}-wide")
def wide(*, num_classes=None, in_channels=1, channels=4):
    return _net(2 * channels, num_classes, in_channels)
'''

STUDY = '''
name = "{name}"
paper = "Newcomer"
target = "Table 1"
models = ["{prefix}-small", "{prefix}-wide"]
seeds = [0, 1]

[data]
dataset = "digits"
train_limit = 96
val_limit = 32
options = {{ resize = 32, crop = 28 }}

[recipe]
lr = 0.05
batch_size = 32
epochs = 1
eval_batch_size = 250

[profile.paper]
recipe = {{ epochs = 30 }}

[[claims]]
kind = "not_worse"
a = "{prefix}-wide"
b = "{prefix}-small"
margin = 1.0
text = "wider is no worse"
'''


def write_study(tmp_path: Path, prefix: str, name: str, extra: str = "", **replace) -> tuple[Path, Path]:
    """(the experiment file, the directory of its models' module ``<prefix>_models``), both outside the package."""
    mods = tmp_path / "mods"
    mods.mkdir(exist_ok=True)
    (mods / f"{prefix.replace('-', '_')}_models.py").write_text(MODELS.format(prefix=prefix))
    text = STUDY.format(name=name, prefix=prefix) + extra
    for old, new in replace.items():
        text = text.replace(old, new)
    toml = tmp_path / f"{name}.toml"
    toml.write_text(text)
    return toml, mods


def python(*argv, pythonpath=(), timeout=300) -> subprocess.CompletedProcess:
    """``python -m ...`` as a user runs it, from the checkout, with ``pythonpath`` (the user's module directories)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, pythonpath))}
    env.pop("SUITE_RESULTS", None)
    return subprocess.run([sys.executable, "-m", *map(str, argv)], capture_output=True, text=True, cwd=REPO, env=env,
                          timeout=timeout)


@pytest.fixture
def isolated(monkeypatch):
    """The registries as they were (experiments, models, imported modules) after the test: what a test registers
    in this process does not leak into the next."""
    monkeypatch.setattr(experiments, "EXPERIMENTS", dict(experiments.EXPERIMENTS))
    monkeypatch.setattr(experiments, "_USER", {})
    monkeypatch.setattr(_registry, "_BUILDERS", dict(_registry._BUILDERS))
    monkeypatch.setattr(plugins, "_IMPORTED", {})
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        if name.endswith("_models"):
            del sys.modules[name]


# ---------------------------------------------------------------------------------------------- the newcomer
def test_a_newcomer_runs_their_own_experiment_and_model_end_to_end(tmp_path):
    """A TOML experiment and a model module in tmp_path (outside the package): run one epoch, status, collect, the
    table from paper_tables; the run's config records the file's digest and the imported module."""
    toml, mods = write_study(tmp_path, "newcomer", "newcomer-study")
    results, out = tmp_path / "results", tmp_path / "out"
    user = ["--config", toml, "--import", "newcomer_models", "--results", results]
    done = python("jobs", "run", *user, "--executor", "inprocess", "--no-progress", pythonpath=[mods])
    assert done.returncode == 0, done.stderr
    assert "newcomer-study (Newcomer Table 1), profile local" in done.stdout and "4/4 run(s) finished" in done.stdout
    found, bad = runs.scan(results, "newcomer-study", "local")
    assert sorted((r.config["model"], r.config["seed"]) for r in found) == [
        ("newcomer-small", 0), ("newcomer-small", 1), ("newcomer-wide", 0), ("newcomer-wide", 1)] and not bad
    config = found[0].config
    assert config["experiment_file"] == {"path": str(toml.resolve()),
                                         "sha256": hashlib.sha256(toml.read_bytes()).hexdigest()}
    module = mods / "newcomer_models.py"
    assert config["imported"] == [{"module": "newcomer_models", "file": str(module),
                                   "sha256": hashlib.sha256(module.read_bytes()).hexdigest()}]
    assert config["recipe"]["epochs"] == 1 and config["train_limit"] == 96 and config["dataset"] == "digits"

    done = python("jobs", "status", *user, "--profile", "local", pythonpath=[mods])
    assert done.returncode == 0 and done.stdout.count("finished: top-1") == 4, done.stdout + done.stderr

    done = python("jobs", "collect", *user, "--out", out, pythonpath=[mods])
    assert done.returncode == 0, done.stderr
    table = (out / "newcomer_study_local.md").read_text()
    assert "newcomer-study (Newcomer Table 1)" in table and str(toml.resolve()) in table
    assert all(r.name in table for r in found)
    claims = (out / "newcomer_study_local_claims.md").read_text()
    assert "wider is no worse" in claims and "newcomer-study.toml" in claims and "2/2" in claims

    done = python("paper_tables", *user, "--out", tmp_path / "out2", pythonpath=[mods])
    assert done.returncode == 0 and all(r.name in done.stdout for r in found), done.stderr
    newcomer_scripts_status_and_collect(user, mods, found, out)
    newcomer_mistakes(user, mods, tmp_path)


def newcomer_scripts_status_and_collect(user, mods, found, out):
    """The summary line and exit status of `status`, `collect --strict`, and a non-canonical configuration's files."""
    done = python("jobs", "status", *user, "--state", "finished", pythonpath=[mods])
    assert done.returncode == 0, done.stderr
    assert "summary: 4 runs: 4 finished, 0 running, 0 unfinished, 0 failed, 0 bad, 0 not started" in done.stdout
    done = python("jobs", "collect", *user, "--out", out, "--strict", pythonpath=[mods])
    assert done.returncode == 0, done.stderr  # every model has finished runs
    canonical = (out / "newcomer_study_local.md").read_text()
    done = python("jobs", "collect", *user, "--out", out, "--strict", "--set", "recipe.lr=0.02", pythonpath=[mods])
    assert done.returncode == 1 and "no finished run of this configuration" in done.stderr, \
        done.stdout + done.stderr
    assert (out / "newcomer_study_local.md").read_text() == canonical  # the other configuration wrote its own files
    assert [p.name for p in out.glob("newcomer_study_local_*.md") if "claims" not in p.name and "curves" not in p.name]
    summary = found[0].path / "summary.json"
    summary.write_text(summary.read_text()[:-5])  # a damaged run: status exits 1 and counts it
    done = python("jobs", "status", *user, pythonpath=[mods])
    assert done.returncode == 1 and "3 finished" in done.stdout and "1 bad" in done.stdout, done.stdout + done.stderr


def newcomer_mistakes(user, mods, tmp_path):
    """Each mistake issue 27 lists gets one line naming what is wrong and what was expected (exit 2)."""
    cases = [(["jobs", "run", *user, "--set", "data.clutr=3", "--dry-run"], "data.clutr: unknown option"),
             (["jobs", "run", *user, "--set", "recipe.lr=-1", "--dry-run"], "recipe.lr: expected a number > 0"),
             (["jobs", "collect", *user, "--out", "/proc/x"], "--out"),
             (["jobs", "status", "newcomer-stdy", *user], "did you mean 'newcomer-study'"),
             (["paper_tables", "--readme", tmp_path / "missing.md", "--out", tmp_path / "o"], "missing.md")]
    for argv, expected in cases:
        done = python(*argv, pythonpath=[mods])
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 2 and expected in done.stderr and "Traceback" not in done.stderr, (argv, done.stderr)
        assert len([line for line in lines if "error" in line]) == 1, (argv, done.stderr)
    with pytest.raises(ValueError, match="did you mean 'fcnn-table2'"):
        runs.runs_frame(tmp_path / "results", "fcnn-tabel2", "local")


def test_the_documented_example_runs_in_pool_workers(tmp_path):
    """docs/examples/my_experiment.toml and my_models.py exactly as shipped (the module named by the file's
    ``imports``), shrunk on the command line, through the pool executor: its worker process imports the module and
    registers the experiment from what the task carries."""
    toml = EXAMPLES / "my_experiment.toml"
    results = tmp_path / "results"
    tiny = ["--set", "train_limit=64", "--set", "val_limit=32", "--set", "recipe.epochs=1", "--set", "model.width=4"]
    done = python("jobs", "run", "--config", toml, "--results", results, "--executor", "pool", "--workers", "1",
                  "--seeds", "0", "--no-progress", *tiny, pythonpath=[EXAMPLES])
    assert done.returncode == 0 and "2/2 run(s) finished" in done.stdout, done.stdout + done.stderr
    groups, _ = runs.finished_groups(results, "my-separable", "local")
    found = [r for group in groups.values() for r in group]  # one configuration: the --set one
    assert len(groups) == 1 and {r.config["model"] for r in found} == {"my-cnn", "my-separable-cnn"}
    assert all(r.config["experiment_file"]["sha256"] == hashlib.sha256(toml.read_bytes()).hexdigest() and
               r.config["imported"][0]["module"] == "my_models" for r in found)
    done = python("jobs", "show", "--config", toml, "--profile", "paper", pythonpath=[EXAMPLES])
    assert done.returncode == 0 and "recipe.epochs           30" in done.stdout, done.stdout + done.stderr


def test_the_docs_show_the_example_files_verbatim():
    """docs/user-experiments.md quotes the example files whole: what a reader copies is what the test runs."""
    doc = (REPO / "docs" / "user-experiments.md").read_text()
    for name in ("my_experiment.toml", "my_models.py"):
        assert (EXAMPLES / name).read_text().strip() in doc, f"docs/user-experiments.md: quote {name} verbatim"
    assert "docs/user-experiments.md" in (REPO / "README.md").read_text()
    assert "user-experiments.md" in (REPO / "docs" / "training.md").read_text()


# ------------------------------------------------------------------------------------------------ errors
def error_of(capsys, argv) -> str:
    assert cli.main(list(map(str, argv))) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_misspelt_key_names_the_key_the_file_and_the_valid_keys(tmp_path, capsys, isolated):
    toml, mods = write_study(tmp_path, "keys", "keys-study", **{"lr = 0.05": "lrr = 0.05"})
    sys.path.append(str(mods))
    err = error_of(capsys, ["show", "--config", toml])
    line, = err.strip().splitlines()
    assert line == (f"error: {toml.resolve()}: unknown key 'recipe.lrr'; valid keys of [recipe]: lr, momentum, "
                    f"weight_decay, batch_size, epochs, schedule, gamma, patience, min_lr, step_epochs, "
                    f"eval_batch_size, num_workers, decompose_after, memory_format; did you mean 'lr'?")
    toml.write_text(toml.read_text().replace("models =", "modles ="))
    assert "unknown key 'modles'; valid keys: name, paper" in error_of(capsys, ["run", "--config", toml])
    toml, _ = write_study(tmp_path, "keys", "keys-2", extra='\n[profile.lokal]\nseeds = [0]\n')
    assert "unknown profile 'lokal'; valid profiles: paper, local; did you mean 'local'?" in \
        error_of(capsys, ["status", "--config", toml])
    toml, _ = write_study(tmp_path, "keys", "keys-3", **{"batch_size = 32": "batch_size = -3"})
    assert "recipe.batch_size: expected a positive int, got -3" in error_of(capsys, ["show", "--config", toml])
    toml, _ = write_study(tmp_path, "keys", "fcnn-table2")
    assert "name 'fcnn-table2' is taken by one of the papers' experiments" in error_of(capsys, ["list", "--config",
                                                                                                 toml])


def test_an_unknown_model_gets_a_did_you_mean(tmp_path, capsys, isolated):
    toml, mods = write_study(tmp_path, "typo", "typo-study", **{'"typo-wide"]': '"typo-wid"]',
                                                                'a = "typo-wide"': 'a = "typo-wid"'})
    err = error_of(capsys, ["run", "--config", toml, "--import", "typo_models", "--results", tmp_path / "r"])
    assert "ModuleNotFoundError: No module named 'typo_models' (is its directory on sys.path / PYTHONPATH?)" in err
    sys.path.append(str(mods))
    err = error_of(capsys, ["run", "--config", toml, "--import", "typo_models", "--results", tmp_path / "r",
                            "--executor", "inprocess"])
    assert "unknown model 'typo-wid'" in err and "did you mean 'typo-wide'?" in err, err
    assert not (tmp_path / "r" / "typo-study").exists()
    with pytest.raises(ValueError, match="unknown model 'fcnn-aa'.*; did you mean 'fcnn-a'\\?"):
        models.build("fcnn-aa")


def test_a_missing_or_broken_module_is_one_line_naming_it(tmp_path, capsys, isolated):
    err = error_of(capsys, ["list", "--import", "no_such_models"])
    assert err.strip() == ("error: --import no_such_models: cannot import module 'no_such_models': "
                           "ModuleNotFoundError: No module named 'no_such_models' (is its directory on sys.path / "
                           "PYTHONPATH?)")
    (tmp_path / "broken_models.py").write_text("import torch\nraise ImportError('needs timm')\n")
    sys.path.append(str(tmp_path))
    err = error_of(capsys, ["list", "--import", "broken_models"])
    assert err.strip() == "error: --import broken_models: cannot import module 'broken_models': ImportError: needs timm"


def test_a_misspelt_experiment_gets_a_did_you_mean(tmp_path, capsys, isolated):
    for command in ("run", "status", "collect", "show"):
        err = error_of(capsys, [command, "fcnn-tabel2"] + (["--results", tmp_path] if command != "show" else []))
        assert "unknown experiment 'fcnn-tabel2'; valid experiments: " in err and "did you mean 'fcnn-table2'?" in err
    toml, mods = write_study(tmp_path, "spell", "spell-study")
    sys.path.append(str(mods))
    err = error_of(capsys, ["status", "spell-stdy", "--config", toml, "--results", tmp_path])
    assert "did you mean 'spell-study'?" in err and "spell-study" in err.split("valid experiments: ")[1]


# ------------------------------------------------------------------------------------ registry and identity
def test_identity_is_the_setting_the_digest_is_provenance(tmp_path, isolated):
    """Another setting in the file is another configuration (another run directory); an edited comment or claim
    is the same configuration (its runs are found), with the new digest recorded as provenance."""
    def config_of(**replace):
        experiments._USER.pop("id-study", None)
        experiments.EXPERIMENTS.pop("id-study", None)
        toml, mods = write_study(tmp_path, "id", "id-study", **replace)
        experiments.load_all([toml], [])
        return runner.run_config(experiments.get("id-study"), "id-small", 0, "local")
    sys.path.append(str(tmp_path / "mods"))
    base = config_of()
    lr = config_of(**{"lr = 0.05": "lr = 0.1"})
    comment = config_of(**{"wider is no worse": "wider is not worse", 'target = "Table 1"': 'target = "Table 1"\n#'})
    assert runs.identity_key(base) != runs.identity_key(lr)
    assert runs.identity_key(base) == runs.identity_key(comment)
    assert base["experiment_file"]["sha256"] != comment["experiment_file"]["sha256"]
    builtin = runner.run_config(experiments.get("fcnn-table2"), "fcnn-a", 0, "local")
    assert "experiment_file" not in builtin and "imported" not in builtin  # the papers' identities are unchanged


def test_one_file_registers_once_and_a_name_is_never_taken_twice(tmp_path, isolated):
    toml, mods = write_study(tmp_path, "twice", "twice-study")
    sys.path.append(str(mods))
    assert experiments.load_all([toml, toml], ["twice_models"]) == ["twice-study", "twice-study"]
    other = tmp_path / "other.toml"
    other.write_text(toml.read_text().replace("seeds = [0, 1]", "seeds = [0]"))
    with pytest.raises(experiments.ConfigError, match=f"name 'twice-study' is taken by the experiment of {toml}"):
        experiments.load(other)
    assert [c.key for c in experiments.claims_of("twice-study")] == ["twice-study-1"]
    assert experiments.get("twice-study").setting("paper").recipe.epochs == 30  # [profile.paper] over the base


def test_show_defaults_to_the_local_profile_as_run_and_collect():
    p = cli.parser()
    assert {p.parse_args([c, "fcnn-table2"]).profile for c in ("run", "collect", "show")} == {"local"}


def test_entry_point_models_load_lazily(monkeypatch, isolated, tmp_path):
    """A package's ``fcnn_suite.models`` entry point is imported the first time a name is not found."""
    (tmp_path / "ep_models.py").write_text(MODELS.format(prefix="ep"))
    sys.path.append(str(tmp_path))
    from importlib import metadata
    ep = metadata.EntryPoint("ep", "ep_models", plugins.ENTRY_POINT_GROUP)
    monkeypatch.setattr(metadata, "entry_points", lambda group: [ep] if group == plugins.ENTRY_POINT_GROUP else [])
    monkeypatch.setattr(plugins, "_ENTRY_POINTS_LOADED", False)
    assert models.build("ep-wide", num_classes=3)[-1].out_features == 3
    assert [m["module"] for m in plugins.imported()] == ["ep_models"]
    assert plugins.user_modules() == ()  # a worker loads entry points itself


def test_a_task_carries_what_its_worker_must_load(tmp_path, isolated):
    toml, mods = write_study(tmp_path, "carry", "carry-study")
    sys.path.append(str(mods))
    experiments.load_all([toml], ["carry_models"])
    task, *_ = runner.tasks_for("carry-study", "local", tmp_path)
    assert task.imports == (("carry_models", str(mods)),)
    assert task.experiment_file == (str(toml.resolve()), toml.read_text(),
                                    hashlib.sha256(toml.read_bytes()).hexdigest())
    json.dumps(task.kwargs())  # plain data: it pickles for submitit and the pool

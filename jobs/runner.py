"""The unit of work: one (experiment, model, seed, profile) training run.

``run_one`` is a picklable, checkpointable callable (a ``submitit.helpers.Checkpointable``): an
executor may run it in this process, in a subprocess, or on a SLURM node; if the job is preempted or
times out, submitit calls ``checkpoint`` and requeues the same call, which resumes from the run's
latest per-epoch checkpoint (suite.train).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from functools import lru_cache
from pathlib import Path

import submitit

from suite import experiments, runs
from suite.profiles import check_profile

from . import distributed, provenance


@dataclass(frozen=True)
class Task:
    experiment: str
    model: str
    seed: int
    profile: str
    results_root: str
    data_root: str | None = None
    overrides: tuple = ()  # (key, value) pairs over the profile's setting, see apply_overrides
    imports: tuple = ()    # ((module, sys.path entry), ...): the user's model modules, imported by the worker first
    experiment_file: tuple = ()  # (path, text, sha256) of a user experiment's TOML file, registered by the worker

    def kwargs(self) -> dict:
        return asdict(self)


def user_payload(experiment: str) -> dict:
    """What a worker needs to resolve what this process resolved: the user's model modules (``--import``) and, for
    an experiment defined in a file, the file's path and text (never re-read from a file edited since)."""
    from suite import plugins
    entry = experiments.user(experiments.get(experiment).results_key)
    return {"imports": plugins.user_modules(),
            "experiment_file": (entry.path, entry.text, entry.sha256) if entry is not None else ()}


def load_user_payload(imports=(), experiment_file=()) -> None:
    """In a worker: import the user's model modules and register the user's experiment (see `user_payload`)."""
    if imports:
        from suite import models
        models.import_modules([m for m, _ in imports], [o for _, o in imports if o])
    if experiment_file:
        from suite.experiments.user import parse
        experiments.register(parse(experiment_file[1], experiment_file[0], experiment_file[2]))


SETTING_KEYS = ("train_limit", "val_limit", "seeds")


def parse_override(text: str) -> tuple[str, object]:
    """``key=value`` from the command line (``--set recipe.epochs=2``); the value is read as JSON
    (numbers, lists, true/false/null), anything else stays a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise ValueError(f"--set: expected key=value (e.g. recipe.epochs=2), got {text!r}")
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def apply_overrides(setting: experiments.Setting, overrides=()) -> experiments.Setting:
    """The profile's setting with ``(key, value)`` overrides: ``recipe.<field>`` (suite.train.Recipe),
    ``model.<key>`` (model_overrides), ``data.<key>`` (data_options), or one of SETTING_KEYS. A recipe field set
    here applies to every model, over a model's own value (`Setting.model_recipes`).
    For short checks of a cluster setup (``--set recipe.epochs=1 --set train_limit=500``); the
    overrides are part of the run's config, so such runs get their own directories."""
    for key, value in overrides:
        head, _, tail = key.partition(".")
        if head == "recipe" and tail:
            valid = [f.name for f in fields(setting.recipe)]
            if tail not in valid:
                raise ValueError(f"override {key!r}: unknown recipe field; valid: {', '.join(valid)}")
            setting = replace(setting, recipe=_recipe_with(setting.recipe, key, value),  # for every model:
                              model_recipes=_without(setting.model_recipes, tail))  # it wins over a model's own
        elif head == "model" and tail:
            setting = replace(setting, model_overrides={**setting.model_overrides, tail: value})
        elif head == "data" and tail:
            from suite import data
            data.check_options(setting.dataset, [tail])  # a misspelt key is named here, before any run
            setting = replace(setting, data_options={**setting.data_options, tail: value})
        elif key in SETTING_KEYS:
            setting = replace(setting, **{key: _setting_value(key, value)})
        else:
            raise ValueError(f"override {key!r}: expected recipe.<field>, model.<key>, data.<key> "
                             f"or one of {', '.join(SETTING_KEYS)}")
    return setting


def _recipe_with(recipe, key: str, value):
    """``recipe`` with ``--set key=value`` (key ``recipe.<field>``); an invalid value is an error naming the key."""
    try:
        return replace(recipe, **{key.partition(".")[2]: value})
    except (TypeError, ValueError) as e:
        message = str(e)
        raise ValueError(message if message.startswith(key) else f"--set {key}={value!r}: {message}") from None


def _without(model_recipes: dict, field_name: str) -> dict:
    """``model_recipes`` less ``field_name`` (a ``--set recipe.<field>`` sets it for every model)."""
    kept = {m: {k: v for k, v in r.items() if k != field_name} for m, r in model_recipes.items()}
    return {m: r for m, r in kept.items() if r}


def _setting_value(key: str, value):
    if key == "seeds":
        if not (isinstance(value, list) and value and all(type(v) is int and v >= 0 for v in value)):
            raise ValueError(f"override 'seeds': expected a JSON list of non-negative integers, e.g. "
                             f"seeds=[0,1,2], got {value!r}")
        return tuple(value)
    if not (value is None or (type(value) is int and value > 0)):
        raise ValueError(f"override {key!r}: expected a positive integer or null, got {value!r}")
    return value


def setting_for(exp: experiments.Experiment, profile: str, overrides=()) -> experiments.Setting:
    return apply_overrides(exp.setting(profile), overrides)


@lru_cache(maxsize=16)
def data_fingerprint(dataset: str, data_root: str | None) -> dict:
    from suite import data
    return data.fingerprint(dataset, data_root)


def run_config(exp: experiments.Experiment, model: str, seed: int, profile: str, overrides=(),
               data_root=None) -> dict:
    """Everything that defines the run (and its directory's hash): the resolved setting with every
    override and the fingerprint of the data it reads (its identity, see suite.runs)."""
    from suite import models
    config = {**setting_config(exp, profile, overrides), "model": model, "seed": seed}
    config["data"] = data_fingerprint(config["dataset"], None if data_root is None else str(data_root))
    # documentation of the setting and the model (not part of a table's identity, see suite.runs)
    config["provenance"] = provenance.to_config(exp.results_key, profile, setting_for(exp, profile, overrides),
                                                [k for k, _ in overrides])
    config["reading"] = models.reading(model)
    entry = experiments.user(exp.results_key)
    if entry is not None:  # an experiment of the user's: its file and digest (provenance, not identity)
        config["experiment_file"] = entry.source()
    if models.imported():  # the user's model modules: module, file, sha256
        config["imported"] = [{k: v for k, v in m.items() if k != "origin"} for m in models.imported()]
    return config


def identity_for(exp: experiments.Experiment, profile: str, overrides=(), data_root=None) -> str | None:
    """The identity (see suite.runs.identity_key) of the runs of the profile's setting with ``overrides``; None
    when the setting reads a data directory that is not given (no fingerprint of its data to hash)."""
    from suite.data import DatasetError
    try:
        return runs.identity_key(run_config(exp, exp.models[0], 0, profile, overrides, data_root))
    except DatasetError:
        return None


def setting_config(exp: experiments.Experiment, profile: str, overrides=()) -> dict:
    """What the runs of one table share: the resolved setting, every override. (An experiment that
    plots another's runs, Figure 2, names the runs as that one does: one run, one identity.)"""
    owner = experiments.get(exp.results_key)
    config = {"experiment": owner.name, "profile": profile, "paper": owner.paper, "target": owner.target,
              **setting_for(exp, profile, overrides).to_config()}
    if overrides:  # a run off the profile's exact setting says so
        config["overrides"] = {k: v for k, v in overrides}
    return config


def _not_in(model: str, exp) -> str:
    from suite.suggest import did_you_mean
    return (f"model {model!r} is not in experiment {exp.name}; its models: {', '.join(exp.models)}"
            f"{did_you_mean(model, exp.models)}")


def run_dir(task: Task) -> Path:
    exp = experiments.get(task.experiment)
    return runs.find_run_dir(task.results_root, run_config(exp, task.model, task.seed, task.profile,
                                                              task.overrides, task.data_root))


def build_model(name: str, *, num_classes: int, overrides: dict):
    from suite import models
    return models.build(name, num_classes=num_classes, **overrides)


class RunOne(submitit.helpers.Checkpointable):
    """``run_one(experiment, model, seed, profile, results_root, data_root=None, overrides=())`` -> summary dict.
    ``progress`` and ``log`` (live-curve backends, suite.livelog) are launch options, not part of the run."""

    def __call__(self, experiment: str, model: str, seed: int, profile: str, results_root,
                 data_root=None, overrides=(), imports=(), experiment_file=(), progress: bool = True,
                 log=()) -> dict:
        from suite import data, train
        load_user_payload(imports, experiment_file)  # a pool worker or a SLURM job: what the submitter loaded
        exp = experiments.get(experiment)
        check_profile(profile)
        if model not in exp.models:
            raise ValueError(_not_in(model, exp))
        s = setting_for(exp, profile, overrides)
        train_set = data.build(s.dataset, "train", root=data_root, limit=s.train_limit, **s.data_options)
        val_set = data.build(s.dataset, "val", root=data_root, limit=s.val_limit, **s.data_options)
        # the reported split, read once after training (None: the paper reports on val, e.g. ImageNet)
        test_set = data.build(s.dataset, "test", root=data_root, **s.data_options) \
            if s.splits()["report"] == "test" else None
        train.seed_everything(seed)  # the initial weights are the seed's, in every process
        build_overrides = dict(s.model_overrides)
        build_overrides.setdefault("in_channels", train_set.sample_shape[0])
        net = build_model(model, num_classes=train_set.num_classes, overrides=build_overrides)
        config = {**run_config(exp, model, seed, profile, overrides, data_root), "num_classes": train_set.num_classes}
        env = {"data_root": None if data_root is None else str(data_root)}
        env["data"] = {"train": train_set.description, "val": val_set.description,
                       "test": None if test_set is None else test_set.description,
                          "num_classes": train_set.num_classes, "sample_shape": list(train_set.sample_shape)}
        task = Task(experiment, model, seed, profile, str(results_root),
                    None if data_root is None else str(data_root), tuple(overrides), tuple(imports),
                    tuple(experiment_file))
        recipe, out = s.recipe_for(model), run_dir(task)  # the model's own recipe fields (Setting.model_recipes)
        # a job of several tasks (nodes × tasks_per_node) trains one run with DDP
        ranks = distributed.init(train.default_device().type)
        if ranks is None:
            return train.train(net, train_set, val_set, recipe=recipe, run_dir=out, seed=seed,
                               config=config, env=env, progress=progress, test_set=test_set, log=log)
        env["distributed"] = {"world_size": ranks.world, "backend": ranks.backend}
        net, train_set, recipe, out = distributed.prepare(net, train_set, recipe, out, ranks)
        try:
            return train.train(net, train_set, val_set, recipe=recipe, run_dir=out, seed=seed, config=config,
                               env=env, progress=progress and ranks.rank == 0, device=ranks.device,
                               test_set=test_set, log=log if ranks.rank == 0 else ())  # live curves: rank 0
        finally:
            distributed.finish()


run_one = RunOne()


def validate(exp: experiments.Experiment, profile: str, overrides=(), data_root=None, models=None) -> None:
    """Everything that can fail on a typo, checked before anything is submitted (a SLURM array should
    not wait in the queue only to fail): the setting with its overrides, the data directory's layout
    and options (by opening its validation split), and each model's options (built on the meta device,
    no memory)."""
    import torch

    from suite import data
    s = setting_for(exp, profile, overrides)
    try:
        val_set = data.build(s.dataset, "val", root=data_root, limit=s.val_limit, **s.data_options)
    except TypeError as e:  # an unknown data.<key>
        raise ValueError(f"data options {s.data_options}: {e}") from None
    build_overrides = {"in_channels": val_set.sample_shape[0], **s.model_overrides}
    for model in models or exp.models:
        s.recipe_for(model)  # a per-model recipe field that does not fit (e.g. decompose_after >= epochs)
        try:
            with torch.device("meta"):
                build_model(model, num_classes=val_set.num_classes, overrides=build_overrides)
        except (TypeError, ValueError) as e:
            raise ValueError(f"model {model} with model options {s.model_overrides}: {e}") from None


def tasks_for(experiment: str, profile: str, results_root, data_root=None, models=None, seeds=None,
              overrides=()) -> list[Task]:
    exp = experiments.get(experiment)
    overrides = tuple((k, v) for k, v in overrides)
    s = setting_for(exp, check_profile(profile), overrides)
    models = list(models or exp.models)
    for m in models:
        if m not in exp.models:
            raise ValueError(_not_in(m, exp))
    seeds = list(s.seeds if seeds is None else seeds)
    models, seeds = list(dict.fromkeys(models)), list(dict.fromkeys(int(sd) for sd in seeds))  # no run twice
    payload = user_payload(experiment)
    return [Task(experiment, m, int(sd), profile, str(results_root), None if data_root is None else str(data_root),
                 overrides, payload["imports"], payload["experiment_file"]) for m in models for sd in seeds]

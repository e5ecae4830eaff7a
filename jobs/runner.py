"""The unit of work: one (experiment, model, seed, profile) training run.

``run_one`` is a picklable, checkpointable callable (a ``submitit.helpers.Checkpointable``): an
executor may run it in this process, in a subprocess, or on a SLURM node; if the job is preempted or
times out, submitit calls ``checkpoint`` and requeues the same call, which resumes from the run's
latest per-epoch checkpoint (suite.train).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import submitit

from . import experiments

REPO = Path(__file__).resolve().parents[1]
DEFAULT_RESULTS = REPO / "results"


@dataclass(frozen=True)
class Task:
    experiment: str
    model: str
    seed: int
    profile: str
    results_root: str
    data_root: str | None = None

    def kwargs(self) -> dict:
        return asdict(self)


def run_config(exp: experiments.Experiment, model: str, seed: int, profile: str) -> dict:
    """Everything that defines the run (and its directory's hash); no machine-specific paths."""
    return {"experiment": exp.results_key, "model": model, "seed": seed, "profile": profile,
            "paper": exp.paper, "target": exp.target, **exp.setting(profile).to_config()}


def run_dir(task: Task) -> Path:
    from suite import results
    exp = experiments.get(task.experiment)
    return results.run_dir_for(task.results_root, run_config(exp, task.model, task.seed, task.profile))


def build_model(name: str, *, num_classes: int, overrides: dict):
    from suite import models
    return models.build(name, num_classes=num_classes, **overrides)


class RunOne(submitit.helpers.Checkpointable):
    """``run_one(experiment, model, seed, profile, results_root, data_root=None)`` -> summary dict."""

    def __call__(self, experiment: str, model: str, seed: int, profile: str, results_root,
                 data_root=None, progress: bool = True) -> dict:
        from suite import data, train
        exp = experiments.get(experiment)
        experiments.check_profile(profile)
        if model not in exp.models:
            raise ValueError(f"model {model!r} is not in experiment {experiment}; its models: {', '.join(exp.models)}")
        s = exp.setting(profile)
        train_set = data.build(s.dataset, "train", root=data_root, limit=s.train_limit, **s.data_options)
        val_set = data.build(s.dataset, "val", root=data_root, limit=s.val_limit, **s.data_options)
        overrides = dict(s.model_overrides)
        overrides.setdefault("in_channels", train_set.sample_shape[0])
        net = build_model(model, num_classes=train_set.num_classes, overrides=overrides)
        config = {**run_config(exp, model, seed, profile), "num_classes": train_set.num_classes}
        env = {"data_root": None if data_root is None else str(data_root)}
        env["data"] = {"train": train_set.description, "val": val_set.description,
                          "num_classes": train_set.num_classes, "sample_shape": list(train_set.sample_shape)}
        task = Task(experiment, model, seed, profile, str(results_root), None if data_root is None else str(data_root))
        return train.train(net, train_set, val_set, recipe=s.recipe, run_dir=run_dir(task), seed=seed,
                           config=config, env=env, progress=progress)


run_one = RunOne()


def tasks_for(experiment: str, profile: str, results_root, data_root=None, models=None, seeds=None) -> list[Task]:
    exp = experiments.get(experiment)
    s = exp.setting(experiments.check_profile(profile))
    models = list(models or exp.models)
    for m in models:
        if m not in exp.models:
            raise ValueError(f"model {m!r} is not in experiment {experiment}; its models: {', '.join(exp.models)}")
    seeds = list(s.seeds if seeds is None else seeds)
    return [Task(experiment, m, int(sd), profile, str(results_root), None if data_root is None else str(data_root))
            for m in models for sd in seeds]

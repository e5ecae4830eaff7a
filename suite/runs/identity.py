"""A run's identity: which configuration it belongs to. The runs of one identity are the seeds and
models of one table; tables never mix identities.

A run directory is named ``<model>_s<seed>_<identity>``: exactly what a table tells runs apart by, never the
documentation a config also carries (provenance sentences, readings), so rewording a sentence of the docs finds
the finished run instead of training it again. Directories written before (named by the hash of the whole
config, :func:`legacy_hash`) are found by :func:`find_run_dir` through their config's identity: an upgrade
retrains nothing. A directory whose name matches neither is not its config's run (a copy, a rename).
"""
from __future__ import annotations

import json
from pathlib import Path

from .layout import CONFIG, config_hash
from .read import read_json

# per model, or documentation: a user experiment's file (path, sha256) and the user's imported model modules are
# recorded, but its identity is its resolved setting, as for every experiment: an edited comment or claim in the file
# finds the finished runs, an edited setting (recipe, data, model options, ...) is another configuration
IDENTITY_EXCLUDED = ("model", "seed", "num_classes", "reading", "provenance", "experiment_file", "imported")
LEGACY_EXCLUDED = ("num_classes",)  # added to config.json after the directory was named, before this version


def identity_key(config: dict) -> str:
    """A configuration's identity: its whole resolved config (profile, overrides, data fingerprint,
    recipe, ...) except what tells the runs of one table apart (model, seed) and documentation."""
    return config_hash({k: v for k, v in config.items() if k not in IDENTITY_EXCLUDED})


def legacy_hash(config: dict) -> str:
    """The hash that named a run directory before names held the identity only (the whole config)."""
    return config_hash({k: v for k, v in config.items() if k not in LEGACY_EXCLUDED})


def run_name(config: dict) -> str:
    """``<model>_s<seed>_<identity>``: the directory name of the run of ``config``."""
    for key in ("experiment", "profile", "model", "seed"):
        if key not in config:
            raise ValueError(f"config: expected key {key!r} (experiment, profile, model, seed), got {sorted(config)}")
    return f"{config['model']}_s{config['seed']}_{identity_key(config)}"


def name_matches(name: str, config: dict) -> bool:
    """Whether a directory called ``name`` may hold the run of ``config``: its model, seed and identity (or,
    for a directory written by an older version, the hash of its whole config)."""
    prefix = f"{config.get('model')}_s{config.get('seed')}_"
    return name.startswith(prefix) and name[len(prefix):] in (identity_key(config), legacy_hash(config))


def same_run(a: dict, b: dict) -> bool:
    """Whether two configs describe one run: the same identity, model and seed (documentation may differ)."""
    a, b = json.loads(json.dumps(a)), json.loads(json.dumps(b))
    return identity_key(a) == identity_key(b) and (a.get("model"), a.get("seed")) == (b.get("model"), b.get("seed"))


def run_dir_for(results_root, config: dict) -> Path:
    """The directory of a new run of ``config`` (needs experiment, profile, model, seed)."""
    name = run_name(config)
    return Path(results_root) / config["experiment"] / config["profile"] / name


def find_run_dir(results_root, config: dict) -> Path:
    """The directory holding the run of ``config``: its own name's if that exists, else a directory of the same
    model and seed written under an older naming whose config has this identity; else the new name's."""
    new = run_dir_for(results_root, config)
    if new.exists() or new.is_symlink() or not new.parent.is_dir():
        return new
    for d in sorted(new.parent.glob(f"{config['model']}_s{config['seed']}_*")):
        if d.is_symlink() or not d.is_dir():
            continue
        try:
            old = read_json(d / CONFIG)
        except (OSError, ValueError):
            continue
        if isinstance(old, dict) and d.name == f"{config['model']}_s{config['seed']}_{legacy_hash(old)}" \
                and same_run(old, config):
            return d
    return new


def format_overrides(overrides: dict) -> str:
    """Overrides as the command line gives them: ``--set recipe.epochs=1 --set train_limit=500``."""
    return " ".join(f"--set {k}={json.dumps(v)}" for k, v in sorted(overrides.items()))


def describe_identity(config: dict) -> str:
    """Short label of a configuration: its overrides (``--set``), or 'no --set overrides'."""
    label = format_overrides(config.get("overrides") or {}) or "no --set overrides"
    return f"{label} [identity {identity_key(config)}]"

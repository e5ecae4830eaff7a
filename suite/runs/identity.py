"""A run's identity: which configuration it belongs to. The runs of one identity are the seeds and
models of one table; tables never mix identities."""
from __future__ import annotations

import json

from .layout import config_hash

IDENTITY_EXCLUDED = ("model", "seed", "num_classes", "reading", "provenance")  # per model, or documentation


def identity_key(config: dict) -> str:
    """A configuration's identity: its whole resolved config (profile, overrides, data fingerprint,
    recipe, ...) except what tells the runs of one table apart (model, seed) and documentation."""
    return config_hash({k: v for k, v in config.items() if k not in IDENTITY_EXCLUDED})


def format_overrides(overrides: dict) -> str:
    """Overrides as the command line gives them: ``--set recipe.epochs=1 --set train_limit=500``."""
    return " ".join(f"--set {k}={json.dumps(v)}" for k, v in sorted(overrides.items()))


def describe_identity(config: dict) -> str:
    """Short label of a configuration: its overrides (``--set``), or 'no --set overrides'."""
    label = format_overrides(config.get("overrides") or {}) or "no --set overrides"
    return f"{label} [identity {identity_key(config)}]"

"""The run directories under a results root as pandas DataFrames (``suite.runs.runs_frame`` /
``metrics_frame``).

``runs_frame``: one row per started run directory, finished or not. Identity columns first (``run_id`` =
``<experiment>/<profile>/<run directory>``; ``experiment``, ``profile``, ``model``, ``seed``; ``identity``,
the configuration key of :func:`suite.runs.identity_key` that tables never mix; ``status`` as
:func:`suite.runs.classify` says: finished, running, unfinished, failed or bad; ``reason`` why it is not
finished; ``path``), then the summary's values under their own names
(``top1``, ``top5``, ``epochs``, ...; empty unless finished), then ``config.*`` and ``env.*``: config.json
and env.json flattened with dotted keys (``config.recipe.lr``).

``metrics_frame``: one row per epoch per run, the identity columns and the metrics.jsonl keys
(``epoch``, ``train_loss``, ``val_top1``, ``val_top5``, ``val_loss``, ``lr``, ``seconds``, ``time``).
Runs not finished contribute the epochs they have logged (``status`` says so); a run whose metrics cannot
be read contributes none. Filter on ``status == "finished"`` (and one ``identity``) for anything a table
reports.

Which runs are finished and why a run is bad is decided by :func:`suite.runs.classify`, once.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .classify import BAD, FINISHED, NOT_STARTED, classify
from .identity import identity_key
from .layout import CONFIG, ENV, METRIC_KEYS, METRICS, run_dirs, run_id
from .read import read_json, read_metrics
from .select import misplaced

IDENTITY = ("run_id", "experiment", "profile", "model", "seed", "identity", "status", "reason", "path")


def _flat(prefix: str, obj) -> dict:
    """``{"a": {"b": 1}}`` -> ``{"<prefix>.a.b": 1}``; lists stay values."""
    out = {}
    for key, value in (obj or {}).items():
        name = f"{prefix}.{key}"
        out.update(_flat(name, value) if isinstance(value, dict) else {name: value})
    return out


def _read_optional(path: Path, read=read_json):
    """What ``read`` makes of a file, or None if it is missing or unreadable (the status says why)."""
    try:
        return read(path)
    except (OSError, ValueError):
        return None


def _identity(path: Path, config: dict | None, status: str, reason: str | None) -> dict:
    """Identity columns; experiment/profile from the directory when the config cannot be read."""
    config = config if isinstance(config, dict) else {}
    parts = Path(path).parts
    experiment = config.get("experiment", parts[-3] if len(parts) >= 3 else None)
    profile = config.get("profile", parts[-2] if len(parts) >= 2 else None)
    return {"run_id": run_id(path, {"experiment": experiment, "profile": profile}), "experiment": experiment,
            "profile": profile, "model": config.get("model"), "seed": config.get("seed"),
            "identity": identity_key(config) if config else None, "status": status,
            "reason": reason or None, "path": str(path)}


def _entries(root, experiment, profile):
    """(path, config, summary, metrics, status, reason) of every started run directory, as
    :func:`suite.runs.classify` reads it."""
    for d in run_dirs(root, experiment, profile):
        st = classify(d)
        if st.state == NOT_STARTED:
            continue
        if st.state == FINISHED:
            run = st.run
            wrong = misplaced(run.config, experiment, profile)
            yield d, run.config, run.summary, run.metrics, BAD if wrong else st.state, wrong
            continue
        config = _read_optional(d / CONFIG)
        metrics = None if st.state == BAD else _read_optional(d / METRICS, read_metrics)
        yield d, config, None, metrics, st.state, st.reason or st.describe()


def _check_root(root, experiment: str | None = None, profile: str | None = None) -> Path:
    """``root``, checked to be a directory; ``experiment`` and ``profile``, checked to be known (an experiment
    of suite.experiments or a directory under ``root``; a profile of suite.profiles or a directory under the
    experiment's): a misspelt name is an error naming the valid ones, never an empty frame."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"results root {root}: no such directory (expected the directory holding "
                                f"<experiment>/<profile>/<run>/)")
    if experiment is not None:
        _check_name("experiment", experiment, root, _known_experiments())
    if profile is not None:
        from suite.profiles import PROFILES
        _check_name("profile", profile, root / experiment if experiment else None, PROFILES)
    return root


def _known_experiments() -> list[str]:
    from suite import experiments
    return [*experiments.names(), *(e.results_key for e in map(experiments.get, experiments.names()))]


def _check_name(what: str, name: str, parent: Path | None, known) -> None:
    """ValueError unless ``name`` is ``known`` or a directory under ``parent``."""
    present = sorted(d.name for d in parent.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))) \
        if parent is not None and parent.is_dir() else []
    if name in known or name in present:
        return
    from suite.suggest import did_you_mean
    valid = sorted(set(known) | set(present))
    raise ValueError(f"unknown {what} {name!r}; expected one of: {', '.join(valid)}"
                     + (f" (with runs under {parent}: {', '.join(present)})" if present else "")
                     + did_you_mean(name, valid))


def runs_frame(root, experiment: str | None = None, profile: str | None = None) -> pd.DataFrame:
    """One row per run directory under ``root`` (optionally one experiment and/or profile); see the module."""
    root = _check_root(root, experiment, profile)
    rows = []
    for path, config, summary, _, status, reason in _entries(root, experiment, profile):
        row = _identity(path, config, status, reason)
        row.update({k: v for k, v in (summary or {}).items() if k not in row})
        row.update(_flat("config", config))
        row.update(_flat("env", _read_optional(path / ENV)))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else list(IDENTITY))
    return frame.sort_values("run_id", kind="stable", ignore_index=True) if rows else frame


def metrics_frame(root, experiment: str | None = None, profile: str | None = None) -> pd.DataFrame:
    """One row per logged epoch per run under ``root``; see the module."""
    root = _check_root(root, experiment, profile)
    rows = []
    for path, config, _, metrics, status, reason in _entries(root, experiment, profile):
        ident = _identity(path, config, status, reason)
        rows += [{**ident, **{k: v for k, v in m.items() if k != "run_id"}} for m in metrics or ()]
    columns = [*IDENTITY, *METRIC_KEYS]
    frame = pd.DataFrame(rows, columns=None if rows else columns)
    return frame.sort_values(["run_id", "epoch"], kind="stable", ignore_index=True) if rows else frame

"""Where runs live under a results root, and what their files are called.

One directory per run (DESIGN.md, "Results")::

    results/<experiment>/<profile>/<model>_s<seed>_<confighash>/
        config.json      what was run: experiment, model, profile, seed, dataset, the data's
                         fingerprint, recipe, every override (the run's identity)
        env.json         where it ran (git commit, package versions, CPU/GPU)
        metrics.jsonl    one JSON object per finished epoch
        checkpoint.pt    the latest epoch's state (tensors and plain data only), for resuming
        failure.json     why the last attempt failed (e.g. diverged), if it did
        summary.json     written atomically, last; holds the digest of every file above
    results/<experiment>/<profile>/.<run name>.lock   flock'd while a process trains the run
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

SCHEMA = 2
CONFIG, ENV, METRICS, SUMMARY, CHECKPOINT, FAILURE = (
    "config.json", "env.json", "metrics.jsonl", "summary.json", "checkpoint.pt", "failure.json")
DIGESTED = (CONFIG, ENV, METRICS, CHECKPOINT)  # files a summary vouches for, by their SHA-256
TEST = "test.json"  # the reported test split's metrics, read once after training (digested when present)
# Keys (and types) a summary must hold to be read as a finished run.
SUMMARY_KEYS = {"schema": int, "experiment": str, "model": str, "profile": str, "seed": int,
                "epochs": int, "top1": float, "top5": float, "best_top1": float, "final_train_loss": float,
                "train_seconds": float, "stopped": str, "finished_at": str, "git_commit": str, "files": dict}
METRIC_KEYS = {"epoch": int, "train_loss": float, "val_top1": float, "val_top5": float, "val_loss": float,
               "lr": float}
REPO = Path(__file__).resolve().parents[2]
DEFAULT_RESULTS = REPO / "results"
RESULTS_ENV = "SUITE_RESULTS"  # a results root elsewhere than this checkout (e.g. a cluster's shared scratch)
RESULTS_HELP = f"results root (default: ${RESULTS_ENV} if set, else {DEFAULT_RESULTS})"


def results_root(root=None) -> Path:
    """``root`` if given, else ``$SUITE_RESULTS`` if set, else ``results/`` of this checkout; read at each
    call (not at import), so the variable set by a job script or a test applies."""
    if root is not None and str(root):
        return Path(root)
    env = os.environ.get(RESULTS_ENV, "").strip()
    return Path(env).expanduser() if env else DEFAULT_RESULTS


def config_hash(config: dict) -> str:
    """Short stable hash of a run's config: a changed recipe gets a new directory, not a wrong resume."""
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:8]


def run_dir_for(results_root, config: dict) -> Path:
    """The directory of the run described by ``config`` (needs experiment, profile, model, seed)."""
    for key in ("experiment", "profile", "model", "seed"):
        if key not in config:
            raise ValueError(f"config: expected key {key!r} (experiment, profile, model, seed), got {sorted(config)}")
    name = f"{config['model']}_s{config['seed']}_{config_hash(config)}"
    return Path(results_root) / config["experiment"] / config["profile"] / name


def run_dirs(results_root, experiment: str | None = None, profile: str | None = None) -> list[Path]:
    """Every run directory results/<experiment>/<profile>/<run>/ (hidden ones, e.g. runs set aside,
    excluded)."""
    root = Path(results_root)
    dirs = []
    for exp_dir in [root / experiment] if experiment else sorted(root.iterdir()) if root.is_dir() else []:
        if exp_dir.name.startswith((".", "_")) or not exp_dir.is_dir():
            continue
        for prof_dir in [exp_dir / profile] if profile else sorted(exp_dir.iterdir()):
            if prof_dir.is_dir():
                dirs += [d for d in sorted(prof_dir.iterdir()) if d.is_dir() and not d.name.startswith((".", "_"))]
    return dirs


def lock_path(run_dir) -> Path:
    """The run's lock file: beside its directory (so setting a bad directory aside keeps the lock)."""
    run_dir = Path(run_dir)
    return run_dir.parent / f".{run_dir.name}.lock"


def run_id(run_dir, config: dict) -> str:
    """``<experiment>/<profile>/<run directory name>``: unique under one results root, the same string the
    DataFrames of :mod:`suite.runs.frames` use, so log lines and table rows can be joined."""
    return f"{config.get('experiment', '')}/{config.get('profile', '')}/{Path(run_dir).name}"

"""How training writes a run directory: config.json and env.json first, metrics.jsonl after each epoch,
summary.json atomically and last (from then on the run is finished)."""
from __future__ import annotations

import json
import time
from pathlib import Path

from ..host import atomic_write_bytes, atomic_write_json
from .environment import environment
from .errors import BadRun
from .identity import same_run
from .layout import CONFIG, DIGESTED, ENV, FAILURE, METRICS, SCHEMA, SUMMARY, TEST
from .lock import check_owner
from .read import read_json
from .verify import file_digest, verify


def check_config(run_dir: Path, config: dict) -> bool:
    """True if ``run_dir`` holds the run of ``config`` (the same identity, model and seed: its documentation
    may be worded otherwise), False if it holds none; ValueError if it holds another run."""
    path = Path(run_dir) / CONFIG
    if not path.exists():
        return False
    held = read_json(path)
    if not isinstance(held, dict) or not same_run(held, config):
        raise ValueError(f"{run_dir}: holds a run with another config; expected the same config to resume")
    return True


def start_run(run_dir: Path, config: dict, env: dict | None = None) -> None:
    """Write config.json (refusing a directory holding another config) and env.json; clear the
    failure of a previous attempt."""
    run_dir = Path(run_dir)
    if not check_config(run_dir, config):
        atomic_write_json(run_dir / CONFIG, config)
    atomic_write_json(run_dir / ENV, {**environment(), **(env or {})})
    (run_dir / FAILURE).unlink(missing_ok=True)


def write_metrics(run_dir: Path, history: list[dict]) -> None:
    """Rewrite metrics.jsonl from the full per-epoch history (atomic, so a resumed run never keeps
    a line of an epoch its checkpoint does not have)."""
    text = "".join(json.dumps(row, sort_keys=True, allow_nan=False) + "\n" for row in history)
    atomic_write_bytes(Path(run_dir) / METRICS, text.encode())


def record_failure(run_dir: Path, error: BaseException) -> None:
    """failure.json: why this attempt ended without a summary (shown by status; cleared on restart)."""
    atomic_write_json(Path(run_dir) / FAILURE, {"error": type(error).__name__, "message": str(error),
                                                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})


def make_summary(config: dict, history: list[dict], elapsed: float, stopped: str) -> dict:
    """The summary of a run that trained ``history`` (its per-epoch metrics) under ``config``."""
    if not history:
        raise ValueError("no epoch was trained (recipe.epochs must be >= 1)")
    last = history[-1]
    return {"experiment": config.get("experiment", ""), "model": config.get("model", ""),
            "profile": config.get("profile", ""), "seed": int(config["seed"]), "epochs": len(history),
            "top1": last["val_top1"], "top5": last["val_top5"], "best_top1": max(h["val_top1"] for h in history),
            "final_train_loss": last["train_loss"], "train_seconds": round(float(elapsed), 3), "stopped": stopped,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def finish_run(run_dir: Path, summary: dict, owner: str | None = None) -> dict:
    """Write summary.json, atomically and last: from now on the run is finished. Adds the schema,
    the code commit from env.json and the digest of every result file, then verifies the whole run
    before writing (a run that would not read back as finished is never marked finished). ``owner``: the
    token of the lock this process holds (``lock_run``); RunLocked if the run was taken over meanwhile."""
    run_dir = Path(run_dir)
    if owner is not None:
        check_owner(run_dir, owner)
    env = read_json(run_dir / ENV) if (run_dir / ENV).is_file() else {}
    summary = {**summary, "schema": SCHEMA, "git_commit": env.get("git_commit") if isinstance(env, dict) else None,
               "files": {name: file_digest(run_dir / name) for name in (*DIGESTED, TEST) if (run_dir / name).is_file()}}
    try:
        verify(run_dir, summary)
    except ValueError as e:
        raise BadRun(run_dir, f"{run_dir}: not marked finished: {e}") from None
    atomic_write_json(run_dir / SUMMARY, summary)
    return summary

""":func:`classify` is the one reading of a run directory (not started / running / unfinished / failed /
finished / bad): ``jobs run``, ``jobs status`` and the tables all use it, so they cannot disagree."""
from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BadRun
from .identity import name_matches, run_name
from .layout import CHECKPOINT, CONFIG, ENV, FAILURE, METRICS, SUMMARY, TEST
from .lock import lock_holder
from .read import metrics_so_far, read_json
from .verify import Run, is_finished, read_run

RUN_FILES = (CONFIG, ENV, METRICS, CHECKPOINT, SUMMARY, TEST, FAILURE)
NOT_STARTED, RUNNING, UNFINISHED, FAILED, FINISHED, BAD = (
    "not started", "running", "unfinished", "failed", "finished", "bad")


@dataclass
class RunStatus:
    """What :func:`classify` found in a run directory."""
    path: Path
    state: str                      # one of NOT_STARTED ... BAD
    reason: str = ""                # FAILED, BAD: why
    epochs: int = 0                 # epochs done (RUNNING, UNFINISHED, FAILED, FINISHED)
    holder: str = ""                # RUNNING: host:pid holding the lock
    heartbeat_age: float | None = None
    run: Run | None = None          # FINISHED

    def describe(self) -> str:
        if self.state == FINISHED:
            s = self.run.summary
            return f"finished: top-1 {s['top1']:.2f}% ({s['epochs']} epochs)"
        if self.state == RUNNING:
            age = "" if self.heartbeat_age is None else f", heartbeat {self.heartbeat_age:.0f} s ago"
            return f"running: {self.epochs} epoch(s) done ({self.holder}{age})"
        if self.state == UNFINISHED:
            return f"unfinished: {self.epochs} epoch(s) done"
        if self.state in (FAILED, BAD):
            return f"{self.state}: {self.reason}"
        return self.state


def _epochs_done(run_dir: Path) -> int:
    return len(metrics_so_far(run_dir))


def classify(run_dir: Path, *, check_lock: bool = True) -> RunStatus:
    """The one reading of a run directory, for ``jobs run``, ``jobs status`` and the tables. Never
    raises for what it finds on disk: a damaged directory is BAD with the reason. ``check_lock``:
    False for the lock's own holder."""
    run_dir = Path(run_dir)
    held, holder, age = lock_holder(run_dir) if check_lock else (False, "", None)
    if held:
        return RunStatus(run_dir, RUNNING, epochs=_epochs_done(run_dir), holder=holder, heartbeat_age=age)
    try:
        if run_dir.is_symlink():
            return RunStatus(run_dir, BAD, f"a symbolic link to {os.readlink(run_dir)}, not a run directory "
                                           f"(a linked run is never counted)")
        present = run_dir.is_dir() and any(not p.name.startswith(".") for p in run_dir.iterdir())
        if not present:
            return RunStatus(run_dir, NOT_STARTED)
        if odd := _not_regular(run_dir):
            return RunStatus(run_dir, BAD, odd)
        if is_finished(run_dir):
            run = read_run(run_dir)
            if _misnamed_in_tree(run_dir, run.config):
                return RunStatus(run_dir, BAD, _misnamed(run.config))
            return RunStatus(run_dir, FINISHED, epochs=len(run.metrics), run=run)
        if not (run_dir / CONFIG).is_file():
            return RunStatus(run_dir, BAD, f"missing {CONFIG}")
        config = read_json(run_dir / CONFIG)
        if not isinstance(config, dict):
            return RunStatus(run_dir, BAD, f"{CONFIG}: expected a JSON object, got {type(config).__name__}")
        if _misnamed_in_tree(run_dir, config):
            return RunStatus(run_dir, BAD, _misnamed(config))
        if (run_dir / FAILURE).is_file():
            return RunStatus(run_dir, FAILED, _failure_text(run_dir), epochs=_epochs_done(run_dir))
        return RunStatus(run_dir, UNFINISHED, epochs=_epochs_done(run_dir))
    except BadRun as e:
        return RunStatus(run_dir, BAD, e.reason)
    except (ValueError, OSError) as e:
        return RunStatus(run_dir, BAD, str(e))


def _misnamed_in_tree(run_dir: Path, config: dict) -> bool:
    """A directory under <experiment>/<profile>/ of its config whose name is not its config's run (a copy, a
    rename). (A directory given to ``train`` outside a results tree is named by its caller.)"""
    in_tree = (run_dir.parent.name, run_dir.parent.parent.name) == (config.get("profile"), config.get("experiment"))
    return in_tree and not name_matches(run_dir.name, config)


def _misnamed(config: dict) -> str:
    return (f"name does not match its config (a copy or a renamed run? its config's run is "
            f"{run_name(config) if {'experiment', 'profile', 'model', 'seed'} <= set(config) else 'unnamed'})")


def _not_regular(run_dir: Path) -> str | None:
    """Why a run's own file is not a plain file (a link, a FIFO, a device, a directory), or None."""
    for name in RUN_FILES:
        path = run_dir / name
        try:
            mode = path.lstat().st_mode
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(mode):
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "a FIFO" if stat.S_ISFIFO(mode) else \
                "a directory" if stat.S_ISDIR(mode) else "not a regular file"
            return f"{name} is {kind} (a run's files are plain files; never followed or read)"
    return None


def _failure_text(run_dir: Path) -> str:
    try:
        f = read_json(run_dir / FAILURE)
        return f"{f['error']}: {f['message']}"
    except (ValueError, OSError, KeyError, TypeError):
        return f"{FAILURE} unreadable"


def set_aside(run_dir: Path) -> Path:
    """Rename a bad run directory out of the way (never delete data): ``.<name>.bad-<UTC time>``,
    which no reader lists; returns the new path."""
    run_dir = Path(run_dir)
    target = run_dir.with_name(f".{run_dir.name}.bad-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
    n = 1
    while target.exists():
        target, n = target.with_name(f"{target.name.split('~')[0]}~{n}"), n + 1
    run_dir.rename(target)
    return target

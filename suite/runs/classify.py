""":func:`classify` is the one reading of a run directory (not started / running / unfinished / failed /
finished / bad): ``jobs run``, ``jobs status`` and the tables all use it, so they cannot disagree."""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from .errors import BadRun
from .layout import CONFIG, FAILURE
from .lock import lock_holder
from .read import metrics_so_far, read_json
from .verify import Run, is_finished, read_run

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
        present = run_dir.is_dir() and any(not p.name.startswith(".") for p in run_dir.iterdir())
        if not present:
            return RunStatus(run_dir, NOT_STARTED)
        if is_finished(run_dir):
            run = read_run(run_dir)
            return RunStatus(run_dir, FINISHED, epochs=len(run.metrics), run=run)
        if not (run_dir / CONFIG).is_file():
            return RunStatus(run_dir, BAD, f"missing {CONFIG}")
        config = read_json(run_dir / CONFIG)
        if not isinstance(config, dict):
            return RunStatus(run_dir, BAD, f"{CONFIG}: expected a JSON object, got {type(config).__name__}")
        if (run_dir / FAILURE).is_file():
            return RunStatus(run_dir, FAILED, _failure_text(run_dir), epochs=_epochs_done(run_dir))
        return RunStatus(run_dir, UNFINISHED, epochs=_epochs_done(run_dir))
    except BadRun as e:
        return RunStatus(run_dir, BAD, e.reason)
    except (ValueError, OSError) as e:
        return RunStatus(run_dir, BAD, str(e))


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

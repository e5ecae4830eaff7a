"""What reading or training a run directory can raise."""
from __future__ import annotations

from pathlib import Path


class BadRun(ValueError):
    """A run directory that cannot be read as a finished, well-formed run; ``reason`` says why.
    (:func:`suite.runs.scan` lists these beside the good runs, so tables can name what they skipped.)"""

    def __init__(self, path, reason: str):
        super().__init__(reason)
        self.path, self.reason = Path(path), reason

    def __reduce__(self):  # crosses process boundaries (pool workers) intact
        return type(self), (self.path, self.reason)


class UnfinishedRun(BadRun):
    """A run directory without ``summary.json``: still training, or killed before the end."""


class RunLocked(RuntimeError):
    """Another process holds the run directory's lock (it is training that run)."""

    def __init__(self, run_dir, holder: str):
        super().__init__(f"{run_dir}: being trained by {holder}; skipped (not trained twice)")
        self.path, self.holder = Path(run_dir), holder

    def __reduce__(self):
        return type(self), (self.path, self.holder)


class Diverged(FloatingPointError):
    """Training produced a non-finite loss, validation loss or weight."""

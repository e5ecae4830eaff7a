"""How far runs in flight are, read from their directories while they train: epochs done (``metrics.jsonl``)
of the recipe's maximum (``config.json``) and an ETA from the epoch times so far (``suite.runs.trainlog``'s rule).

- :class:`WorkerBoard`: the ``pool`` executor's line per worker ("worker 1: fcnn-e seed 2 epoch 3/6, ETA
  0:00:40"), a tqdm line each, or with progress bars off a plain line whenever one changes;
- :func:`waiting_lines`: what ``jobs collect`` prints while it waits on submitted jobs.

Nothing here is read back as a result: the tables read finished runs through ``suite.runs`` only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from suite import runs
from suite.runs import trainlog


@dataclass(frozen=True)
class Progress:
    epochs: int            # epochs logged so far
    total: int | None      # the recipe's maximum (a plateau schedule may stop earlier); None: not started
    seconds: float         # training time of those epochs

    @property
    def eta(self) -> float | None:
        """Seconds left at the mean epoch time so far; None before the first epoch."""
        if self.total is None or self.epochs == 0:
            return None
        return trainlog.eta_seconds(self.seconds, self.epochs, self.total)

    def text(self) -> str:
        if self.total is None:
            return "not started"
        eta = self.eta
        left = f", ETA {trainlog.hms(eta)}" if eta is not None and self.epochs < self.total else ""
        return f"epoch {self.epochs}/{self.total}{left}"


def read(run_dir) -> Progress:
    """The progress of the run in ``run_dir`` (any state; an unreadable config counts as not started)."""
    rows = runs.metrics_so_far(Path(run_dir))
    try:
        total = int(runs.read_json(Path(run_dir) / runs.CONFIG)["recipe"]["epochs"])
    except (OSError, ValueError, KeyError, TypeError):
        total = None
    seconds = sum(float(r.get("seconds") or 0.0) for r in rows if isinstance(r.get("seconds", 0.0), (int, float)))
    return Progress(len(rows), total, seconds)


def waiting_lines(pending: dict) -> list[str]:
    """Per pending job record (``jobs.records``: model, seed, job_id, run_dir, and ``state``): its epochs and
    ETA; then the total, with the ETA of the slowest run in flight (runs not started yet have none)."""
    lines, etas, done, total, waiting = [], [], 0, 0, 0
    for rec in pending.values():
        p = read(rec["run_dir"]) if rec.get("run_dir") else Progress(0, None, 0.0)
        state = f" {rec['state']}" if rec.get("state") else ""
        lines.append(f"  {rec['model']} seed {rec['seed']} (job {rec['job_id']}{state}): {p.text()}")
        if p.total is None:
            waiting += 1
            continue
        done, total = done + p.epochs, total + p.total
        if p.eta is not None:
            etas.append(p.eta)
    summary = f"{done}/{total} epoch(s) done" if total else "no run started yet"
    if etas:
        summary += f"; ETA {trainlog.hms(max(etas))} (the slowest run in flight)"
    if waiting:
        summary += f"; {waiting} run(s) not started, not in the ETA"
    return lines + [f"  {summary}"]


class WorkerBoard:
    """The run and epoch of each pool worker. Workers put ``(pid, job_id)`` on ``started`` as they start a
    job; a worker's number is the order in which it first spoke. ``update()`` reads the queue and each
    current run's metrics and shows what changed; ``update(ended=job_id)`` also shows the final epoch of
    a run that ended, so a short run is seen whole whatever the polling."""

    def __init__(self, started, submitted, *, bars: bool = True):
        from .runner import run_dir
        self.started, self.bars = started, bars
        self.jobs = {handle.job_id: (task, run_dir(task)) for task, handle in submitted}
        self.worker_of: dict[int, int] = {}   # pid -> worker number (1, 2, ...)
        self.where: dict[str, int] = {}       # job id -> the worker that runs (ran) it
        self.current: dict[int, str] = {}     # worker number -> the job id it runs
        self.shown: dict[int, str] = {}       # worker number -> the line shown
        self.lines: dict[int, object] = {}    # worker number -> its tqdm bar (bars only)

    def _drain(self) -> None:
        """Read the start messages (a SimpleQueue: a worker's put is in the pipe before its result is)."""
        while not self.started.empty():
            pid, job_id = self.started.get()
            worker = self.worker_of.setdefault(pid, len(self.worker_of) + 1)
            self.where[job_id], self.current[worker] = worker, job_id

    def text(self, job_id: str) -> str:
        task, path = self.jobs[job_id]
        p = read(path)
        return f"worker {self.where[job_id]}: {task.model} seed {task.seed} " + (
            "starting" if p.total is None else p.text())

    def update(self, ended: str | None = None) -> None:
        self._drain()
        if ended in self.where and ended in self.jobs:
            worker = self.where[ended]
            self.show(worker, self.text(ended) + " (ended)")
            if self.current.get(worker) == ended:
                del self.current[worker]
        for worker, job_id in sorted(self.current.items()):
            if job_id in self.jobs:
                self.show(worker, self.text(job_id))

    def show(self, worker: int, text: str) -> None:
        if self.shown.get(worker) == text:
            return
        self.shown[worker] = text
        if not self.bars:
            print(text, flush=True)
            return
        from tqdm.auto import tqdm
        if worker not in self.lines:
            self.lines[worker] = tqdm(total=0, bar_format="{desc}", leave=False)
        self.lines[worker].set_description_str(text)

    def close(self) -> None:
        for line in self.lines.values():
            line.close()
        self.lines.clear()

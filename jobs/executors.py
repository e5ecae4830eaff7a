"""Executors: where ``run_one`` calls run. A small registry so a cluster executor plugs in.

An executor factory is registered with ``@register(name)`` and called as
``factory(folder=Path, resources=dict, options=dict)``; it returns an object with
``submit(fn, task: Task) -> handle``, where a handle has ``job_id``, ``done()``, ``result()`` and
``state`` — the interface of ``submitit.Job``. Built in:

- ``inprocess`` (default): runs each task right here, one after the other; no SLURM, no subprocess.
- ``local``: submitit's ``LocalExecutor`` (one subprocess per task, same machine).
- ``debug``: submitit's ``DebugExecutor`` (in this process, through submitit's machinery).
- ``pool``: ``workers`` local worker processes, one single-threaded run per core (what
  ``make reproduce-table2`` uses locally: fastest on a small, shared CPU).

[4/6] adds ``slurm`` (``submitit.AutoExecutor``) the same way.
"""
from __future__ import annotations

from pathlib import Path

EXECUTORS: dict = {}
DEFAULT = "inprocess"


def register(name: str):
    def deco(factory):
        EXECUTORS[name] = factory
        return factory
    return deco


def names() -> list[str]:
    return sorted(EXECUTORS)


def get(name: str, *, folder, resources: dict | None = None, options: dict | None = None):
    if name not in EXECUTORS:
        raise ValueError(f"unknown executor {name!r}; valid executors: {', '.join(names())}")
    return EXECUTORS[name](folder=Path(folder), resources=dict(resources or {}), options=dict(options or {}))


class DoneJob:
    """Handle of a task that ran in this process (same interface as submitit.Job)."""

    _counter = 0

    def __init__(self, result=None, error: BaseException | None = None):
        DoneJob._counter += 1
        self.job_id = f"inprocess-{DoneJob._counter}"
        self._result, self._error = result, error
        self.state = "FAILED" if error else "COMPLETED"

    def done(self) -> bool:
        return True

    def result(self):
        if self._error is not None:
            raise self._error
        return self._result

    def exception(self):
        return self._error


@register("inprocess")
class InProcessExecutor:
    def __init__(self, *, folder, resources, options):
        self.progress = options.get("progress", True)

    def submit(self, fn, task):
        try:
            return DoneJob(fn(**task.kwargs(), progress=self.progress))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as e:  # recorded on the handle, like a failed cluster job
            return DoneJob(error=e)


class SubmititExecutor:
    def __init__(self, executor, progress: bool):
        self.executor, self.progress = executor, progress

    def submit(self, fn, task):
        return self.executor.submit(fn, **task.kwargs(), progress=self.progress)


@register("local")
def local_executor(*, folder, resources, options):
    import submitit
    ex = submitit.LocalExecutor(folder=str(folder))
    ex.update_parameters(timeout_min=int(options.get("timeout_min", resources.get("timeout_min", 24 * 60))))
    return SubmititExecutor(ex, options.get("progress", False))


@register("debug")
def debug_executor(*, folder, resources, options):
    import submitit
    return SubmititExecutor(submitit.DebugExecutor(folder=str(folder)), options.get("progress", True))


class FutureJob:
    """A concurrent.futures.Future behind the submitit.Job interface."""

    def __init__(self, future, job_id: str):
        self.future, self.job_id = future, job_id

    @property
    def state(self) -> str:
        if not self.future.done():
            return "RUNNING"
        return "FAILED" if self.future.exception() is not None else "COMPLETED"

    def done(self) -> bool:
        return self.future.done()

    def result(self):
        return self.future.result()

    def exception(self):
        return self.future.exception()


def _pool_worker_init(threads: int) -> None:
    import torch
    torch.set_num_threads(threads)


@register("pool")
class PoolExecutor:
    """``workers`` local worker processes (default: one per core), each with cores/workers torch threads.

    On a small shared CPU, one single-threaded run per core is much faster than one run using every core:
    many small convolutions parallelise poorly, and OpenMP threads spin badly when cores are oversubscribed.
    """

    def __init__(self, *, folder, resources, options):
        import multiprocessing
        import os
        from concurrent.futures import ProcessPoolExecutor
        cores = os.cpu_count() or 1
        self.workers = int(options.get("workers") or cores)
        if self.workers < 1:
            raise ValueError(f"workers: expected >= 1, got {self.workers}")
        threads = max(1, cores // self.workers)
        self.pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_pool_worker_init, initargs=(threads,))
        self.count = 0

    def submit(self, fn, task):
        self.count += 1
        return FutureJob(self.pool.submit(fn, **task.kwargs(), progress=False), f"pool-{self.count}")
